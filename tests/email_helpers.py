"""Helpers for the email-pipeline tests: the outbox, settings, links and the hosted pages."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests
from conftest import Api

CONNECTION = "Username-Password-Authentication"
STRONG_PASSWORD = "N3w-Passw0rd!"
TICKET_URL = re.compile(r"^(?P<base>https?://[^/]+)/u/(?P<page>reset-password|email-verification)"
                        r"\?ticket=(?P<ticket>[A-Za-z0-9]{32})#$")
MESSAGE_KEYS = {"id", "to", "from", "subject", "template", "html", "text", "links", "user_id", "url",
                "status", "error", "queued_at", "delivered_at", "request_id"}


def email_settings(anonymous: Api, **email) -> dict:
    response = anonymous.patch("/_mock/settings", json={"email": email})
    assert response.status_code == 200, response.text
    return response.json()["email"]


def outbox(anonymous: Api, **filters) -> list[dict]:
    response = anonymous.get("/_mock/outbox", params=filters)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def queue(anonymous: Api) -> list[dict]:
    response = anonymous.get("/_mock/email-queue")
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def flush(anonymous: Api) -> list[dict]:
    response = anonymous.post("/_mock/email-queue/flush")
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def freeze(anonymous: Api, now: str | None = None) -> None:
    """Freeze the tenant clock (at `now`, else where it is). Management tokens minted before a
    jump forward expire: take a fresh one with `management_api(mockidp)` afterwards."""
    body = {"frozen": True, **({"now": now} if now else {})}
    assert anonymous.put("/_mock/clock", json=body).status_code == 200


def management_api(mockidp) -> Api:
    """A Management API client whose token is minted at the tenant clock's current time."""
    return Api(mockidp.url, mockidp.management_token())


def advance(anonymous: Api, seconds: float) -> None:
    assert anonymous.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def change_password(anonymous: Api, email: str, **extra) -> requests.Response:
    return anonymous.post("/dbconnections/change_password",
                          json={"email": email, "connection": CONNECTION, **extra})


def install_template(api: Api, template: str, **fields) -> dict:
    body = {"template": template, "body": "<p>{{ url }}</p>", "from": "admin@example.com",
            "subject": template, "syntax": "liquid", "enabled": True, **fields}
    response = api.post("/api/v2/email-templates", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def ticket_of(link: str) -> str:
    match = TICKET_URL.match(link)
    assert match, f"not an Auth0 ticket URL: {link}"
    return match["ticket"]


def page_path(link: str) -> str:
    """The hosted page a ticket URL points at, relative to the server (fragment dropped)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def submit_password(anonymous: Api, link: str, password: str, confirmation: str | None = None) -> requests.Response:
    form = {"password": password, "re-enter-password": password if confirmation is None else confirmation}
    return anonymous.post(page_path(link), data=form, allow_redirects=False)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def get_user(api: Api, user_id: str) -> dict:
    response = api.get(f"/api/v2/users/{requests.utils.quote(user_id, safe='')}")
    assert response.status_code == 200, response.text
    return response.json()
