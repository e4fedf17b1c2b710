"""/_mock/outbox and /_mock/email-queue: read what the mailroom delivered, see what it holds,
deliver it now; /_mock/outbox.html shows the outbox (and the phone outbox's text messages) to a
person."""
from __future__ import annotations

from flask import Blueprint, request

from ..core.factors import phone_outbox
from ..core.tenant.errors import ControlError
from .hosted import WEB_TEMPLATES, page
from .http import json_response, tenant
from .posture import control_page

outbox = Blueprint("outbox", __name__, url_prefix="/_mock", template_folder=str(WEB_TEMPLATES))
FILTERS = ("to", "template", "user_id")


def _filters() -> dict[str, str]:
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        raise ControlError(400, f"Unknown query parameter(s): {', '.join(unknown)}. "
                                f"Filter with: {', '.join(FILTERS)}.")
    return {name: request.args[name] for name in FILTERS if name in request.args}


@outbox.get("/outbox")
def list_messages():
    return json_response({"messages": tenant().mailroom.messages(**_filters())})


@outbox.get("/outbox/latest")
def latest_message():
    filters = _filters()
    found = tenant().mailroom.messages(**filters)
    if not found:
        described = ", ".join(f"{name}={value}" for name, value in filters.items()) or "any recipient"
        raise ControlError(404, f"No message in the outbox for {described}.", "not_found")
    return json_response(found[-1])


@outbox.get("/outbox/<message_id>")
def get_message(message_id: str):
    message = tenant().mailroom.message(message_id)
    if message is None:
        raise ControlError(404, f"No message {message_id} in the outbox.", "not_found")
    return json_response(message)


@outbox.delete("/outbox")
def clear_outbox():
    return json_response({"deleted": tenant().mailroom.clear_outbox()})


@outbox.get("/email-queue")
def email_queue():
    return json_response({"messages": tenant().mailroom.pending()})


@outbox.post("/email-queue/flush")
def flush_email_queue():
    mailroom = tenant().mailroom
    delivered = set(mailroom.flush())
    return json_response({"messages": [m for m in mailroom.messages() if m["id"] in delivered]})


@outbox.get("/outbox.html")
@control_page
def outbox_page():
    mailroom = tenant().mailroom
    messages = list(reversed(mailroom.messages()))  # newest first for a person
    for message in messages:
        message["framed_html"] = _framed(message.get("html") or "")
    pending = mailroom.pending()
    text_messages = list(reversed(phone_outbox.messages(tenant())))  # the phone outbox, newest first
    fingerprint = [f"{item['id']}:{item['status']}" for item in messages + pending]  # page reloads on change
    fingerprint += [f"{item['id']}:sent" for item in text_messages]
    return page("outbox.html", page_title="Outbox", messages=messages, pending=pending,
                text_messages=text_messages, settings=mailroom.settings.as_json(), fingerprint=fingerprint)


def _framed(html: str) -> str:
    """The email as the iframe's document; links open in the tab, not inside the frame."""
    base = '<base target="_top">'
    return html.replace("<head>", "<head>" + base, 1) if "<head>" in html else base + html
