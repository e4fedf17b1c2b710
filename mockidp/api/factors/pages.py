"""The hosted MFA pages a login goes through when MFA applies (core/factors/hosted_mfa.py):
/u/mfa-otp-enrollment-qr (the secret, its otpauth URI and the first code), /u/mfa-otp-challenge
(a TOTP code, or the recovery code), /u/mfa-email-challenge (a code sent by email) and
/u/mfa-sms-enrollment (a phone number, texted a code) and /u/mfa-sms-challenge (the texted code),
/u/mfa-recovery-code-enrollment (the recovery code, shown once). Each belongs to the login transaction (`?state=`) whose password step is done.
/mfa/enrollment?ticket= is an MFA enrollment ticket's page (core/factors/enrollments.py): the
same TOTP enrollment outside a login, then the recovery code, or the ticket's problem."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from ...core.directory import users
from ...core.email.tickets import TicketProblem
from ...core.factors import enrollments, hosted_mfa
from ...core.login import login_flow, sessions
from ..authentication.authorize import send, set_session_cookie
from ..caller import request_info
from ..hosted import WEB_TEMPLATES, message_page, page
from ..http import issuer, public_base_url, tenant
from ..login import Transaction, _finish, _invalid_state, _transaction

mfa_pages = Blueprint("mfa_pages", __name__, template_folder=str(WEB_TEMPLATES))

INVALID_CODE = "The code you entered is invalid"
NO_CODE = "Enter the code"
TOO_MANY = "Too many failed codes. Wait for some minutes before retrying."
NO_PHONE = "Enter a phone number"
ALREADY_ENROLLED = "You are already enrolled in multi-factor authentication."
INVALID_PHONE = "The phone number is invalid. Enter it with its country code, e.g. +14155550100"


def _waiting() -> tuple[Transaction | None, dict | None]:
    transaction = _transaction()
    if transaction is None:
        return None, None
    return transaction, hosted_mfa.pending(tenant(), transaction.state)


@mfa_pages.route(hosted_mfa.ENROLL_PAGE, methods=["GET", "POST"])
def enroll():
    transaction, waiting = _waiting()
    if waiting is None:
        return _invalid_state()
    if waiting["page"] != hosted_mfa.ENROLL_PAGE:
        return redirect(transaction.url(waiting["page"]), 302)
    enrollment = hosted_mfa.enrollment(tenant(), transaction.state)
    error = None
    if request.method == "POST":
        error = _code_error(transaction)
        if error is None:
            return _after_code(transaction)
    return page("ul_mfa_otp.html", 400 if error else 200, page_title="Secure Your Account", enrolling=True,
                secret=enrollment["secret"], barcode_uri=enrollment["barcode_uri"], error=error,
                action=transaction.url(hosted_mfa.ENROLL_PAGE))


@mfa_pages.route(hosted_mfa.CHALLENGE_PAGE, methods=["GET", "POST"])
def challenge():
    transaction, waiting = _waiting()
    if waiting is None:
        return _invalid_state()
    if waiting["page"] != hosted_mfa.CHALLENGE_PAGE:
        return redirect(transaction.url(waiting["page"]), 302)
    error = None
    if request.method == "POST":
        recovery_code = request.form.get("recovery_code", "").strip()
        if recovery_code:
            error = _error_text(hosted_mfa.verify_recovery_code(tenant(), transaction.state, recovery_code))
        else:
            error = _code_error(transaction)
        if error is None:
            return _after_code(transaction)
    return page("ul_mfa_otp.html", 400 if error else 200, page_title="Verify Your Identity", enrolling=False,
                error=error, action=transaction.url(hosted_mfa.CHALLENGE_PAGE))


@mfa_pages.route(hosted_mfa.EMAIL_PAGE, methods=["GET", "POST"])
def email_challenge():
    transaction, waiting = _waiting()
    if waiting is None or waiting.get("page") != hosted_mfa.EMAIL_PAGE:
        return _invalid_state()
    email = hosted_mfa.send_email_code(tenant(), transaction.state, base_url=public_base_url(),
                                       client_id=transaction.request.client_id)
    error = None
    if request.method == "POST":
        code = request.form.get("code", "").strip()
        error = _error_text(hosted_mfa.verify_email_code(tenant(), transaction.state, code)) if code else NO_CODE
        if error is None:
            return _complete(transaction)
    return page("ul_mfa_email.html", 400 if error else 200, page_title="Verify Your Identity", error=error,
                email=email, action=transaction.url(hosted_mfa.EMAIL_PAGE))


@mfa_pages.route(hosted_mfa.SMS_ENROLL_PAGE, methods=["GET", "POST"])
def sms_enrollment():
    transaction, waiting = _waiting()
    if waiting is None:
        return _invalid_state()
    if waiting["page"] != hosted_mfa.SMS_ENROLL_PAGE:
        return redirect(transaction.url(waiting["page"]), 302)
    phone, error = request.form.get("phone", "").strip(), None
    if request.method == "POST":
        error = INVALID_PHONE if phone else NO_PHONE
        if phone and hosted_mfa.enroll_phone(tenant(), transaction.state, phone, client=transaction.client,
                                             request=request_info()) is None:
            return redirect(transaction.url(hosted_mfa.SMS_CHALLENGE_PAGE), 302)
    return page("ul_mfa_sms_enroll.html", 400 if error else 200, page_title="Secure Your Account", error=error,
                phone=phone, action=transaction.url(hosted_mfa.SMS_ENROLL_PAGE))


@mfa_pages.route(hosted_mfa.SMS_CHALLENGE_PAGE, methods=["GET", "POST"])
def sms_challenge():
    transaction, waiting = _waiting()
    if waiting is None or waiting["page"] != hosted_mfa.SMS_CHALLENGE_PAGE:
        return _invalid_state() if waiting is None else redirect(transaction.url(waiting["page"]), 302)
    phone = hosted_mfa.send_sms_code(tenant(), transaction.state, client=transaction.client, request=request_info())
    if phone is None:
        return redirect(transaction.url(hosted_mfa.SMS_ENROLL_PAGE), 302)
    error = None
    if request.method == "POST":
        code = request.form.get("code", "").strip()
        error = _error_text(hosted_mfa.verify_sms_code(tenant(), transaction.state, code)) if code else NO_CODE
        if error is None:
            return _after_code(transaction)
    return page("ul_mfa_sms.html", 400 if error else 200, page_title="Verify Your Identity", error=error,
                phone=phone, action=transaction.url(hosted_mfa.SMS_CHALLENGE_PAGE))


@mfa_pages.route(hosted_mfa.RECOVERY_CODE_PAGE, methods=["GET", "POST"])
def recovery_code():
    transaction, waiting = _waiting()
    code = hosted_mfa.recovery_code_to_show(tenant(), transaction.state) if waiting else None
    if code is None:
        return _invalid_state()
    if request.method == "POST":
        return _complete(transaction)
    return page("ul_mfa_recovery_code.html", page_title="Almost There!", recovery_code=code,
                action=transaction.url(hosted_mfa.RECOVERY_CODE_PAGE))


def _code_error(transaction: Transaction) -> str | None:
    """The page's error for the posted TOTP code, or None when it was accepted."""
    code = request.form.get("code", "").strip()
    if not code:
        return NO_CODE
    return _error_text(hosted_mfa.verify_code(tenant(), transaction.state, code))


def _error_text(failure: str | None) -> str | None:
    """What the page says for a core check's error (None: the code was accepted)."""
    if failure is None:
        return None
    return TOO_MANY if failure == "too_many_attempts" else INVALID_CODE


def _after_code(transaction: Transaction) -> Response:
    """A new recovery code is shown once before the login ends."""
    if hosted_mfa.recovery_code_to_show(tenant(), transaction.state):
        return redirect(transaction.url(hosted_mfa.RECOVERY_CODE_PAGE), 302)
    return _complete(transaction)


def _complete(transaction: Transaction) -> Response:
    current = tenant()
    waiting = hosted_mfa.finish(current, transaction.state)
    with current.lock:
        record = current.directory.users.get(waiting["user_id"]) if waiting else None
    if record is None:
        return _invalid_state()
    if waiting.get("resume") is None:  # the tenant's policy asked, before the Actions ran
        return _finish(transaction, users.public_profile(record), count=waiting["count"], second_factor=True)
    # An Action asked (api.multifactor.enable): the login ends with the Actions' outcome.
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    response, session = login_flow.after_second_factor(current, transaction.state, transaction.request, waiting,
                                                       session, issuer=issuer(), info=request_info())
    if session is None:
        return send(response)
    return set_session_cookie(send(response), session["id"])


# --- an enrollment ticket's page ----------------------------------------------------------------

@mfa_pages.route(enrollments.ENROLLMENT_PAGE, methods=["GET", "POST"])
def ticket_enrollment():
    ticket_id = request.args.get("ticket", "")
    action = f"{public_base_url()}{enrollments.ENROLLMENT_PAGE}?ticket={ticket_id}"
    try:
        enrollment = enrollments.ticket_enrollment(tenant(), ticket_id)
        error = None
        if request.method == "POST":
            code = request.form.get("code", "").strip()
            error = _error_text(enrollments.confirm_ticket(tenant(), ticket_id, code)) if code else NO_CODE
            if error is None:
                return _enrolled(enrollment)
    except enrollments.AlreadyEnrolled:
        return message_page("error", "Already Enrolled", ALREADY_ENROLLED, 400, page_title="Secure Your Account")
    except TicketProblem as problem:
        return message_page("error", "Link Expired" if problem.reason == "expired" else "Invalid Link",
                            problem.message, 400, page_title="Secure Your Account")
    return page("ul_mfa_otp.html", 400 if error else 200, page_title="Secure Your Account", enrolling=True,
                secret=enrollment["secret"], barcode_uri=enrollment["barcode_uri"], error=error, action=action)


def _enrolled(enrollment: dict) -> Response:
    """The recovery code of a first enrollment, shown once; else that the app is enrolled."""
    codes = enrollment.get("recovery_codes") or []
    if codes:
        return page("ul_mfa_recovery_code.html", page_title="Almost There!", recovery_code=codes[0],
                    action=public_base_url() + "/")
    return message_page("success", "You're All Set!", "Your authenticator app is enrolled.",
                        page_title="Secure Your Account")
