"""The hosted login pages, shaped like Auth0's New Universal Login: /u/login (identifier +
password; a button per social connection, and an email of an enterprise connection's domain
aliases, send the browser to the mock upstream provider: core/upstream/), /u/signup and
/u/reset-password/request/<connection> ("Forgot password?").

Each page belongs to a login transaction (`?state=`) that /authorize started. The forms post back
to the same URL with Universal Login's field names (`username`/`email`, `password`), so a test can
drive them with plain form posts as well as with a browser. Texts are Universal Login's English
defaults.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, redirect, request

from ..core.applications import strategies
from ..core.applications.passwords import check_password
from ..core.factors import guardian, hosted_mfa
from ..core.login import account_events, authorize, bruteforce, login_flow, logins, sessions
from ..core.login.authorize import AuthorizeRequest
from ..core.organizations import login as org_login
from ..core.organizations import members, organizations
from ..core.login.dbconnections import EMAIL
from ..core.tenant.errors import DbConnectionError
from ..core.upstream import flow as upstream_flow
from .authentication.authorize import error_page, send, set_session_cookie
from .caller import request_info
from .hosted import WEB_TEMPLATES, displayed_rules, message_page, page
from .http import issuer, local_path, public_base_url, tenant

login_pages = Blueprint("login_pages", __name__, template_folder=str(WEB_TEMPLATES))

TEXTS = {
    "no-email": "Please enter an email address",
    "no-password": "Password is required",
    "wrong-email-credentials": "Wrong email or password",
    "invalid-email-format": "Email is not valid.",
    "password-too-weak": "Your password is too weak",
    "user-exists": "The user already exists.",
    "signup-failed": "Something went wrong, please try again later",
    "signup-disabled": "Sign ups are not allowed for this application",
    "no-organization": "Please enter your organization name",
    "unknown-organization": "We could not find an organization with that name",
    "too-many-attempts": bruteforce.TOO_MANY_ATTEMPTS,
    "ip-blocked": bruteforce.SUSPICIOUS_LOGINS,
    "invalid-connection": "This connection is not available for this application.",
    "invalid-state": "The login session is unknown or has expired. Start again from the application.",
}


class Transaction:
    """The login transaction a page works for, and what the page needs from it."""

    def __init__(self, state: str, auth_request: AuthorizeRequest):
        current = tenant()
        self.state = state
        self.request = auth_request
        self.connection = authorize.login_connection(current, auth_request) or {}
        with current.lock:
            self.client = current.directory.clients.get(auth_request.client_id)
        self.application = (self.client or {}).get("name", "the application")

    def url(self, path: str) -> str:
        return f"{local_path(path)}?state={quote(self.state)}"

    @property
    def signup_allowed(self) -> bool:
        return bool(self.connection) and not (self.connection.get("options") or {}).get("disable_signup")

    def social_connections(self) -> list[dict]:
        """The social connections enabled for the application: a button each; for a login to an
        organization, only those the organization shows as buttons."""
        current = tenant()
        with current.lock:
            found = strategies.social_connections(current.directory.connections.values(), self.request.client_id)
            if self.request.organization:
                shown = organizations.button_connection_ids(current, self.request.organization)
                found = [connection for connection in found if connection["id"] in shown]
            return found

    def home_realm(self, email: str) -> dict | None:
        """The enterprise connection an email's domain routes to (its domain_aliases), if any."""
        current = tenant()
        with current.lock:
            return strategies.home_realm(current.directory.connections.values(), self.request.client_id, email)

    def links(self) -> dict:
        name = quote(self.connection.get("name", ""), safe="")
        return {"login_url": self.url("/u/login"),
                "signup_url": self.url("/u/signup") if self.signup_allowed else None,
                "forgot_url": self.url(f"/u/reset-password/request/{name}")}


def _transaction() -> Transaction | None:
    """The page's transaction, if it is still usable (its client and a database or social
    connection still exist)."""
    state = request.args.get("state", "")
    auth_request = authorize.find_transaction(tenant(), state)
    if auth_request is None:
        return None
    transaction = Transaction(state, auth_request)
    usable = transaction.client and (transaction.connection or transaction.social_connections())
    return transaction if usable else None


def _invalid_state() -> Response:
    return error_page("invalid_request", TEXTS["invalid-state"])


def _finish(transaction: Transaction, profile: dict, *, count: bool, second_factor: bool = False) -> Response:
    """The user authenticated: session cookie, and the response back to the application; first
    the MFA pages (api/factors/pages.py) when MFA applies and the second factor is still to come."""
    current = tenant()
    if transaction.request.organization_prompt == "post" and not transaction.request.organization:
        authorize.hold_for_organization(current, transaction.state, profile["user_id"], count)
        return redirect(transaction.url("/u/organization/choose"), 302)
    if not second_factor and guardian.mfa_applies(current):
        next_page = hosted_mfa.begin(current, transaction.state, profile["user_id"], count=count)
        if next_page is not None:  # None: no factor the user can use
            return redirect(transaction.url(next_page), 302)
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    response, session = login_flow.after_login(
        current, transaction.state, transaction.request, profile, transaction.connection, session,
        issuer=issuer(), info=request_info(), count=count, amr=("mfa",) if second_factor else ())
    if session is None:  # a post-login Action denied the login: back to the app with the error
        return send(response)
    return set_session_cookie(send(response), session["id"])


# --- /continue: back from a post-login Action's redirect --------------------------------------

@login_pages.route("/continue", methods=["GET", "POST"])
def continue_login():
    """The page a post-login Action sent the user to hands the login back with `state` (and, say, a
    session_token): the Actions resume, then the login finishes like one on /u/login."""
    current = tenant()
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    resumed = login_flow.resume(current, request.values.get("state", ""), request.args.to_dict(),
                                request.form.to_dict(), session, issuer=issuer(), info=request_info())
    if resumed is None:
        return _invalid_state()
    response, session = resumed
    if session is None:  # denied, or redirected again
        return send(response)
    return set_session_cookie(send(response), session["id"])


# --- /u/login ------------------------------------------------------------------------------------

@login_pages.route("/u/login", methods=["GET", "POST"])
def login():
    transaction = _transaction()
    if transaction is None:
        return _invalid_state()
    if request.method == "GET":
        return _login_form(transaction, username=transaction.request.login_hint or _session_email())
    if "connection" in request.form:  # a social button: off to the (mock) provider
        return _social_login(transaction, request.form["connection"])
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username:
        return _login_form(transaction, error=TEXTS["no-email"], username=username)
    enterprise = transaction.home_realm(username)
    if enterprise is not None:  # the email's domain belongs to a company's IdP: off to it
        return redirect(upstream_flow.start(tenant(), transaction.state, transaction.request, enterprise,
                                            typed_email=username), 302)
    if not transaction.connection:  # social buttons only: the page has no password form
        return _login_form(transaction, error=TEXTS["wrong-email-credentials"], username=username)
    if not password:
        return _login_form(transaction, error=TEXTS["no-password"], username=username)
    current = tenant()
    try:
        profile = logins.password_login(current, transaction.connection, username, password,
                                        client=transaction.client, request=request_info(),
                                        base_url=public_base_url())
    except logins.LoginFailed as failure:
        if failure.reason in ("too_many_attempts", "ip_blocked"):  # blocks: the page says so
            key = "too-many-attempts" if failure.reason == "too_many_attempts" else "ip-blocked"
            return _login_form(transaction, error=TEXTS[key], username=username)
        if failure.reason == "blocked":  # back to the application, as Auth0 does (§5.4)
            authorize.end_transaction(current, transaction.state)
            return send(authorize.error_response(transaction.request, "unauthorized", logins.USER_BLOCKED))
        return _login_form(transaction, error=TEXTS["wrong-email-credentials"], username=username)
    return _finish(transaction, profile, count=False)


def _social_login(transaction: Transaction, name: str) -> Response:
    connection = next((found for found in transaction.social_connections() if found["name"] == name), None)
    if connection is None:  # not a button this page shows (tampered, or disabled meanwhile)
        return _login_form(transaction, error=TEXTS["invalid-connection"])
    return redirect(upstream_flow.start(tenant(), transaction.state, transaction.request, connection), 302)


def _session_email() -> str | None:
    """Re-authentication (max_age, prompt=login) pre-fills the session user's email."""
    current = tenant()
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    if session is None:
        return None
    with current.lock:
        record = current.directory.users.get(session["user_id"])
    return record.profile.get("email") if record else None


def _login_form(transaction: Transaction, *, username: str | None = None, error: str | None = None) -> Response:
    social = [{"connection": found["name"], "strategy": found["strategy"], "label": strategies.button_label(found)}
              for found in transaction.social_connections()]
    return page("ul_login.html", 400 if error else 200, page_title="Log in", error=error, social=social,
                database=bool(transaction.connection),
                username=username or "", application=transaction.application,
                action=transaction.url("/u/login"), **transaction.links())


# --- /u/organization: the pre-login organization prompt ---------------------------------------------

@login_pages.route("/u/organization", methods=["GET", "POST"])
def organization():
    """A client that requires an organization and asks for it first (`organization_require_behavior:
    pre_login_prompt`); the answer is checked and the transaction goes on to the login page."""
    transaction = _transaction()
    if transaction is None:
        return _invalid_state()
    if request.method == "GET":
        return _organization_form(transaction)
    name = request.form.get("organizationName", "")
    if not name.strip():
        return _organization_form(transaction, error=TEXTS["no-organization"])
    try:
        chosen = authorize.choose_organization(tenant(), transaction.state, name)
    except org_login.OrganizationRefused:
        return _organization_form(transaction, error=TEXTS["unknown-organization"], name=name)
    screen = "signup" if chosen.screen_hint == "signup" else "login"
    return redirect(transaction.url(f"/u/{screen}"), 302)


@login_pages.route("/u/organization/choose", methods=["GET", "POST"])
def choose_organization():
    """After the login (`organization_require_behavior: post_login_prompt`): the user picks one
    of their organizations, and the login finishes for it; a user in none is sent back with
    `access_denied`."""
    transaction = _transaction()
    current = tenant()
    held = authorize.held_for_organization(current, transaction.state) if transaction else None
    if transaction is None or held is None:
        return _invalid_state()
    choices = members.organizations_of(current, held["user_id"])
    if not choices:
        authorize.end_transaction(current, transaction.state)
        return send(authorize.error_response(transaction.request, "access_denied",
                                             "user is not a member of any organization"))
    if request.method == "GET":
        return _chooser(transaction, choices)
    chosen_id = request.form.get("organization", "")
    if chosen_id not in {organization["id"] for organization in choices}:
        return _chooser(transaction, choices, error=TEXTS["unknown-organization"])
    chosen = authorize.choose_organization(current, transaction.state, chosen_id)
    with current.lock:
        record = current.directory.users.get(held["user_id"])
    if record is None:
        return _invalid_state()
    return _finish(Transaction(transaction.state, chosen), dict(record.profile), count=held["count"])


def _chooser(transaction: Transaction, choices: list[dict], *, error: str | None = None) -> Response:
    options = [{"id": organization["id"], "label": organization.get("display_name") or organization["name"]}
               for organization in choices]
    return page("ul_organization_choose.html", 400 if error else 200, page_title="Choose an organization",
                error=error, organizations=options, application=transaction.application,
                action=transaction.url("/u/organization/choose"))


def _organization_form(transaction: Transaction, *, error: str | None = None, name: str = "") -> Response:
    return page("ul_organization.html", 400 if error else 200, page_title="Enter your organization",
                error=error, name=name, application=transaction.application,
                action=transaction.url("/u/organization"))


# --- /u/signup -----------------------------------------------------------------------------------

@login_pages.route("/u/signup", methods=["GET", "POST"])
def signup():
    transaction = _transaction()
    if transaction is None:
        return _invalid_state()
    if not transaction.signup_allowed:
        return error_page("access_denied", TEXTS["signup-disabled"], 403)
    if request.method == "GET":
        return _signup_form(transaction, email=transaction.request.login_hint)
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    problem = _signup_problem(email, password)
    if problem:
        return _signup_form(transaction, email=email, error=problem, candidate=password)
    current = tenant()
    params = {"client_id": transaction.request.client_id, "connection": transaction.connection["name"],
              "email": email, "password": password}
    try:
        created = account_events.signup(current, params, public_base_url(), request_info())
    except DbConnectionError as error:
        return _signup_form(transaction, email=email, error=_signup_error_text(error), candidate=password)
    with current.lock:
        profile = dict(current.directory.users[f"auth0|{created['_id']}"].profile)
    return _finish(transaction, profile, count=True)  # Auth0 logs the new user in


def _signup_problem(email: str, password: str) -> str | None:
    if not email:
        return TEXTS["no-email"]
    if not EMAIL.fullmatch(email):
        return TEXTS["invalid-email-format"]
    if not password:
        return TEXTS["no-password"]
    return None


def _signup_error_text(error: DbConnectionError) -> str:
    if error.log_description is not None:  # a pre-user-registration Action refused: its userMessage
        return str(error.body.get("description") or TEXTS["signup-failed"])
    if error.code == "invalid_password":
        return TEXTS["password-too-weak"]
    if error.code == "user_exists":
        return TEXTS["user-exists"]
    if error.code == "invalid_parameter":
        return TEXTS["invalid-email-format"]
    return TEXTS["signup-failed"]


def _signup_form(transaction: Transaction, *, email: str | None = None, error: str | None = None,
                 candidate: str | None = None) -> Response:
    check = check_password(transaction.connection, candidate or "")
    return page("ul_signup.html", 400 if error else 200, page_title="Sign up", error=error,
                email=email or "", application=transaction.application,
                rules=displayed_rules(check.rules), checked=candidate is not None,
                action=transaction.url("/u/signup"), **transaction.links())


# --- /u/reset-password/request/<connection> ----------------------------------------------------

@login_pages.route("/u/reset-password/request/<connection>", methods=["GET", "POST"])
def forgot_password(connection: str):
    transaction = _transaction()  # optional: without one there is no way back to an application
    back = ({"href": transaction.url("/u/login"), "label": f"Back to {transaction.application}"}
            if transaction else None)
    action = request.full_path.rstrip("?")
    if request.method == "GET":
        hint = transaction.request.login_hint if transaction else None
        return _forgot_form(action, back, email=hint)
    email = request.form.get("email", "").strip()
    if not email:
        return _forgot_form(action, back, email=email, error=TEXTS["no-email"])
    if not EMAIL.fullmatch(email):
        return _forgot_form(action, back, email=email, error=TEXTS["invalid-email-format"])
    params = {"email": email, "connection": connection}
    if transaction:
        params["client_id"] = transaction.request.client_id
    try:
        account_events.request_password_reset(tenant(), params, public_base_url(), request_info())
    except DbConnectionError as error:
        return error_page("invalid_request", str(error.body.get("description")))
    return message_page("success", "Check Your Email", f"Please check the email address {email} for "
                        "instructions to reset your password.", button=back, page_title="Reset Password")


def _forgot_form(action: str, back: dict | None, *, email: str | None = None, error: str | None = None) -> Response:
    return page("ul_forgot_password.html", 400 if error else 200, page_title="Reset your password",
                error=error, email=email or "", action=action, back=back)
