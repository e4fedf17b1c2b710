"""Hosted pages behind the emailed and ticket links, as New Universal Login shows them:
/u/reset-password (form, policy errors, success, expired/used link) and /u/email-verification;
and /exports/{job}/{file}, a finished user export's download link.
Texts are Auth0's English defaults for the reset-password and email-verification prompts."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from ..core.applications.passwords import check_password
from ..core.email import emails, tickets
from ..core.jobs import exports
from ..core.email.tickets import PASSWORD_CHANGE, TicketProblem, WeakPassword
from ..core.login import account_events, bruteforce
from .. import __version__
from .caller import request_info
from .http import public_base_url, tenant

WEB_TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
hosted = Blueprint("hosted", __name__, template_folder=str(WEB_TEMPLATES))

FORGOT_AGAIN = 'To reset your password, return to the login page and select "Forgot Your Password" to send a new email.'
RESET_PROBLEMS = {  # reset-password-error screen: (title, description)
    "expired": ("Link Expired", FORGOT_AGAIN),
    "used": ("Invalid Link", "This link has already been used. " + FORGOT_AGAIN),
    "invalid": ("Invalid Link", FORGOT_AGAIN),
}
VERIFICATION_PROBLEMS = {  # email-verification-result screen, error variants
    "invalid": "User account does not exist or the verification code is invalid.",
    "used": tickets.PROBLEM_MESSAGES["used"],
    "expired": tickets.PROBLEM_MESSAGES["expired"],
    "already_verified": "This account is already verified.",
    "email_changed": "Your email address could not be verified.",
}
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "deny", "Referrer-Policy": "same-origin"}


def page(template: str, status: int = 200, **context) -> Response:
    name = tenant().tenant_settings.get("friendly_name") or "mockidp"
    html = render_template(template, tenant_name=name, logo_initial=name[:1].upper(), **context)
    return Response(html, status, headers=PAGE_HEADERS, content_type="text/html; charset=utf-8")


@hosted.get("/")
def home():
    """What a newcomer who opens the server in a browser needs: that it is a mock, and where to go."""
    return page("home.html", version=__version__, base_url=public_base_url())


def message_page(kind: str, title: str, description: str, status: int = 200, button: dict | None = None,
                 page_title: str = "Reset Password") -> Response:
    return page("ul_message.html", status, kind=kind, title=title, description=description,
                button=button, page_title=page_title)


def http_error_page(error: HTTPException) -> Response:
    """404, 405, 413 under /u/: a page, never JSON."""
    status = error.code or 500
    response = message_page("error", error.name, "This page cannot handle that request. Open the "
                            "link from your email again.", status, page_title=error.name)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


# --- /u/reset-password ------------------------------------------------------------------------

@hosted.get("/u/reset-password")
def reset_password_form():
    try:
        ticket = tickets.usable(tenant(), _ticket_id(), PASSWORD_CHANGE)
    except TicketProblem as problem:
        return _reset_problem(problem)
    return _reset_form(ticket)


@hosted.post("/u/reset-password")
def reset_password_submit():
    current, ticket_id = tenant(), _ticket_id()
    try:
        ticket = tickets.usable(current, ticket_id, PASSWORD_CHANGE)
    except TicketProblem as problem:
        return _reset_problem(problem)
    password = request.form.get("password", "")
    confirmation = request.form.get("re-enter-password")
    if confirmation is not None and confirmation != password:
        return _reset_form(ticket, error="Passwords don't match.", candidate=password)
    try:
        redemption = tickets.reset_password(current, ticket_id, password)
    except WeakPassword:
        account_events.password_change_failed(current, ticket, request_info(), "Password is too weak")
        return _reset_form(ticket, error="Password is too weak", candidate=password)
    except TicketProblem as problem:  # used or expired meanwhile
        return _reset_problem(problem)
    account_events.password_changed(current, redemption.user, request_info())  # log scp
    target = tickets.redirect_url(current, redemption.ticket, success=True,
                                  message=tickets.PASSWORD_CHANGED_MESSAGE)
    if target:
        return redirect(target, 302)
    return message_page("success", "Password Changed!", "Your password has been changed successfully.",
                        button=_back_to_application(redemption.ticket))


def _ticket_id() -> str:
    return request.args.get("ticket", "")


def _reset_form(ticket: dict, error: str | None = None, candidate: str | None = None) -> Response:
    check = check_password(tickets.password_connection(tenant(), ticket), candidate or "")
    return page("ul_reset_password.html", 400 if error else 200, page_title="Reset Password",
                email=ticket.get("email"), error=error, rules=displayed_rules(check.rules),
                checked=candidate is not None)


def displayed_rules(rules: list[dict]) -> list[dict]:
    """A password policy check's rules as the hosted forms list them."""
    return [{"text": rule["message"] % tuple(rule["format"]) if "format" in rule else rule["message"],
             "verified": rule["verified"], "items": rule.get("items", [])} for rule in rules]


def _reset_problem(problem: TicketProblem) -> Response:
    title, description = RESET_PROBLEMS.get(problem.reason, RESET_PROBLEMS["invalid"])
    return message_page("error", title, description, 400)


def _back_to_application(ticket: dict) -> dict | None:
    """New Universal Login offers "Back to <app>" when the ticket names a client with a login
    route (its initiate_login_uri)."""
    client = tenant().directory.clients.get(ticket.get("client_id") or "")
    if client and client.get("initiate_login_uri"):
        return {"href": client["initiate_login_uri"], "label": f"Back to {client['name']}"}
    return None


# --- /u/email-verification --------------------------------------------------------------------

@hosted.get("/u/email-verification")
def email_verification():
    current = tenant()
    if request.method == "HEAD":  # link scanners probe with HEAD: never use the link up
        return _verification_probe()
    try:
        redemption = emails.use_verification_link(current, _ticket_id())
    except TicketProblem as problem:
        target = tickets.redirect_url(current, problem.ticket, success=False, message=problem.message)
        if target:
            return redirect(target, 302)
        return message_page("error", "Error", VERIFICATION_PROBLEMS[problem.reason], 400,
                            page_title="Email Verification")
    account_events.email_verified(current, redemption.user, request_info())  # log sv
    target = tickets.redirect_url(current, redemption.ticket, success=True, message=tickets.VERIFIED_MESSAGE)
    if target:
        return redirect(target, 302)
    return message_page("success", "Email Verified", "Your email address was successfully verified.",
                        button=_back_to_application(redemption.ticket), page_title="Email Verification")


def _verification_probe() -> Response:
    try:
        tickets.usable(tenant(), _ticket_id(), tickets.EMAIL_VERIFICATION)
    except TicketProblem:
        return Response(status=400)
    return Response(status=200, content_type="text/html; charset=utf-8")


# --- /u/unblock (the blocked_account email's link) --------------------------------------------

UNBLOCK_PROBLEMS = {"invalid": "This link is invalid.", "used": tickets.PROBLEM_MESSAGES["used"],
                    "expired": tickets.PROBLEM_MESSAGES["expired"]}


@hosted.get("/exports/<job_id>/<filename>")
def export_file(job_id: str, filename: str):
    """A finished user export's file (core/jobs/exports.py): the job's `location`, a link that
    needs no token, as Auth0's pre-signed download URL needs none."""
    data, media_type = exports.export_file(tenant(), job_id, filename, public_base_url())
    return Response(data, content_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@hosted.get("/u/unblock")
def unblock():
    """Ends the brute-force block the email was sent for (logged `ublkdu`). HEAD only checks the
    link, so link scanners do not use it up."""
    probe = request.method == "HEAD"
    try:
        bruteforce.use_unblock_link(tenant(), _ticket_id(), request_info(), probe=probe)
    except bruteforce.UnblockProblem as problem:
        if probe:
            return Response(status=400)
        return message_page("error", "Error", UNBLOCK_PROBLEMS[problem.reason], 400, page_title="Unblock Account")
    if probe:
        return Response(status=200, content_type="text/html; charset=utf-8")
    return message_page("success", "Account Unblocked", "Your account has been unblocked. You can now "
                        "log in again.", page_title="Unblock Account")
