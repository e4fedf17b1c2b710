"""Email templates: Auth0's template names, mockidp's default templates, and Liquid rendering.

Auth0 renders From, Subject and the HTML body of every email with Liquid, against the variables
listed in the fact sheet §7.4. Rendering here uses python-liquid; a template error surfaces as a
TemplateError carrying the field and Liquid's own message, for the outbox to show.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from ..tenant.errors import ManagementError, conflict, not_found

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# Every name the Management API accepts (EmailTemplateNameEnum in the OpenAPI spec).
TEMPLATE_NAMES = ("verify_email", "verify_email_by_code", "auth_email_by_code", "reset_email",
                  "reset_email_by_code", "welcome_email", "blocked_account", "stolen_credentials",
                  "enrollment_email", "mfa_oob_code", "user_invitation", "change_password",
                  "password_reset", "async_approval")
TEMPLATE_FIELDS = ("template", "body", "from", "resultUrl", "subject", "syntax",
                   "urlLifetimeInSeconds", "includeEmailInRedirect", "enabled")
DEFAULT_LINK_LIFETIME = 432000  # 5 days, Auth0's default for emailed links and tickets
DEFAULT_FROM = "{{ friendly_name }} <no-reply@auth0user.net>"
PARSED_CACHE_SIZE = 256


class TemplateError(Exception):
    """A template that cannot be rendered: `field` is body, subject, from or resultUrl."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"{field}: {detail}")
        self.field = field


# --- default templates -------------------------------------------------------------------------

def _layout(title: str, content: str) -> str:
    """A plain, email-client-friendly card: one table, inline styles."""
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head>"
        "<body style=\"margin:0;padding:24px;background:#f4f4f6;font-family:Helvetica,Arial,sans-serif;"
        "color:#1e212a\"><table role=\"presentation\" width=\"100%\" style=\"max-width:560px;margin:0 auto;"
        "background:#ffffff;border-radius:6px;padding:32px\"><tr><td>"
        "<p style=\"font-size:13px;color:#65676e;margin:0 0 24px\">{{ friendly_name }}</p>"
        + content +
        "<p style=\"font-size:13px;color:#65676e;margin-top:32px\">If you are having any issues with "
        "your account, please contact us at {{ support_email }}.</p>"
        "</td></tr></table></body></html>")


def _button(label: str, href: str = "{{ url }}") -> str:
    return (f"<p style=\"margin:28px 0\"><a href=\"{href}\" style=\"background:#635dff;color:#ffffff;"
            f"padding:12px 20px;border-radius:4px;text-decoration:none;display:inline-block\">{label}</a></p>")


DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "verify_email": {
        "subject": "Verify your email",
        "body": _layout("Verify your email",
                        "<h1 style=\"font-size:22px\">Verify your email</h1>"
                        "<p>Hi {{ user.name | escape }},</p>"
                        "<p>Thanks for signing up with {{ friendly_name }}. Please verify your email "
                        "address {{ user.email | escape }} by following the link below.</p>"
                        + _button("Verify your email") +
                        "<p style=\"font-size:13px\">Or paste this link into your browser: {{ url }}</p>"),
        "enabled": True,
    },
    "reset_email": {
        "subject": "Reset your password",
        "body": _layout("Reset your password",
                        "<h1 style=\"font-size:22px\">Reset your password</h1>"
                        "<p>Hi {{ user.name | escape }},</p>"
                        "<p>We received a request to change the password of your {{ friendly_name }} "
                        "account {{ user.email | escape }}. Follow the link below to choose a new one.</p>"
                        + _button("Reset password") +
                        "<p style=\"font-size:13px\">Or paste this link into your browser: {{ url }}</p>"
                        "<p>If you did not ask for this, you can ignore this email: your password has "
                        "not been changed.</p>"),
        "enabled": True,
    },
    "welcome_email": {
        "subject": "Welcome to {{ friendly_name }}",
        "body": _layout("Welcome",
                        "<h1 style=\"font-size:22px\">Welcome to {{ friendly_name }}!</h1>"
                        "<p>Hi {{ user.name | escape }}, your account {{ user.email | escape }} is "
                        "ready to use with {{ application.name | escape }}.</p>"),
        # Documented choice: the welcome email goes out only once a fixture or the Management
        # API configures it with enabled: true (it would otherwise double every signup's mail).
        "enabled": False,
    },
    "blocked_account": {
        "subject": "Unblock your account",
        "body": _layout("Unblock your account",
                        "<h1 style=\"font-size:22px\">Your account has been blocked</h1>"
                        "<p>We detected several failed login attempts on your account "
                        "{{ user.email | escape }}{% if user.source_ip %} from {{ user.source_ip }}"
                        "{% endif %}, so we blocked further attempts.</p>"
                        + _button("Unblock my account")),
        "enabled": True,
    },
    "change_password": {
        "subject": "Confirm your password change",
        "body": _layout("Confirm your password change",
                        "<h1 style=\"font-size:22px\">Confirm your password change</h1>"
                        "<p>Hi {{ user.name | escape }}, someone asked to change the password of "
                        "{{ user.email | escape }}. Confirm the change with the link below.</p>"
                        + _button("Confirm password change")),
        "enabled": True,
    },
    "password_reset": {
        "subject": "Your password has been changed",
        "body": _layout("Password changed",
                        "<h1 style=\"font-size:22px\">Your password has been changed</h1>"
                        "<p>Hi {{ user.name | escape }}, the password of your {{ friendly_name }} "
                        "account {{ user.email | escape }} was just changed.</p>"),
        "enabled": True,
    },
    "mfa_oob_code": {
        "subject": "{{ friendly_name }} verification code",
        "body": _layout("Verification code",
                        "<h1 style=\"font-size:22px\">Your verification code</h1>"
                        "<p>Hi {{ user.email | escape }}, here is the code to finish logging in to "
                        "{{ application.name | escape }}:</p>"
                        "<p style=\"font-size:28px;letter-spacing:4px\"><b>{{ code }}</b></p>"
                        "<p>If you did not try to log in, you can ignore this email.</p>"),
        "enabled": True,
    },
    "enrollment_email": {
        "subject": "Secure your {{ friendly_name }} account",
        "body": _layout("Enroll in multi-factor authentication",
                        "<h1 style=\"font-size:22px\">Secure your account</h1>"
                        "<p>Hi {{ user.name | escape }}, you were invited to add a second factor to your "
                        "{{ friendly_name }} account {{ user.email | escape }}.</p>"
                        + _button("Enroll") +
                        "<p style=\"font-size:13px\">Or paste this link into your browser: {{ url }}</p>"),
        "enabled": True,
    },
    "user_invitation": {
        "subject": "You've been invited to join {{ organization.display_name | default: organization.name }}",
        "body": _layout("Invitation",
                        "<h1 style=\"font-size:22px\">You've been invited</h1>"
                        "<p>{{ inviter.name | escape }} has invited you to join "
                        "{{ organization.display_name | default: organization.name | escape }} on "
                        "{{ application.name | escape }}.</p>"
                        + _button("Accept invitation")),
        "enabled": True,
    },
}
for _template in DEFAULT_TEMPLATES.values():
    _template.setdefault("from", DEFAULT_FROM)
    _template.setdefault("syntax", "liquid")


def configured(tenant: "Tenant", name: str) -> dict | None:
    """The template as configured through fixtures or the Management API, or None."""
    template = tenant.directory.email_templates.get(name)
    return copy.deepcopy(template) if template is not None else None


def effective(tenant: "Tenant", name: str) -> dict | None:
    """What is sent for `name`: the configured template over mockidp's default (fields left null
    fall back to the default). None when there is neither. Call under the tenant lock."""
    default = DEFAULT_TEMPLATES.get(name)
    custom = tenant.directory.email_templates.get(name)
    if default is None and custom is None:
        return None
    merged = {"template": name, **copy.deepcopy(default or {})}
    provider_from = _provider_from_address(tenant)
    if provider_from:  # a template without a `from` of its own sends from the provider's address
        merged["from"] = provider_from
    for key, value in (custom or {}).items():
        if value is not None and not (key == "from" and value == ""):  # an empty `from`: the fallback
            merged[key] = copy.deepcopy(value)
    merged.setdefault("enabled", False)
    return merged


# Where the Management API's email provider (/api/v2/emails/provider, a declared resource in
# core/resources) is stored: read here, not imported, since email sits below that engine.
EMAIL_PROVIDER_TABLE, EMAIL_PROVIDER_RECORD = "/emails/provider", ""


def _provider_from_address(tenant: "Tenant") -> str | None:
    provider = (tenant.directory.resources.get(EMAIL_PROVIDER_TABLE) or {}).get(EMAIL_PROVIDER_RECORD) or {}
    if provider.get("enabled") is False:
        return None
    return provider.get("default_from_address") or None


def is_enabled(template: dict | None) -> bool:
    return bool(template) and bool(template.get("enabled")) and bool(template.get("body"))


def link_lifetime(template: dict | None) -> int:
    lifetime = (template or {}).get("urlLifetimeInSeconds")
    return int(lifetime) if lifetime else DEFAULT_LINK_LIFETIME


# --- rendering ---------------------------------------------------------------------------------

class RenderedEmail(NamedTuple):
    sender: str
    subject: str
    html: str
    text: str
    links: list[str]


class Renderer:
    """Liquid rendering for one tenant. `now` feeds the `date` filter's "now"/"today", so a
    rendered date follows the tenant clock like everything else."""

    def __init__(self, now: Callable[[], datetime]):
        self._now = now
        self._environment = None
        self._parsed: dict[str, Any] = {}

    def render_email(self, template: dict, variables: dict) -> RenderedEmail:
        html = self.render("body", template.get("body") or "", variables)
        subject = " ".join(self.render("subject", template.get("subject") or "", variables).split())
        sender = " ".join(self.render("from", template.get("from") or "", variables).split())
        from .html_text import extract_links, html_to_text  # html.parser: only when rendering

        return RenderedEmail(sender, subject, html, html_to_text(html), extract_links(html))

    def render(self, field: str, source: str, variables: dict) -> str:
        from liquid.exceptions import LiquidError

        try:
            return self._parse(source).render(**variables)
        except LiquidError as exc:
            raise TemplateError(field, str(exc)) from None
        except Exception as exc:  # a filter fed a surprising value must not break a request
            raise TemplateError(field, f"{type(exc).__name__}: {exc}") from None

    def _parse(self, source: str):
        """Parsed templates are reused: the same few sources are rendered over and over."""
        parsed = self._parsed.get(source)
        if parsed is None:
            if self._environment is None:
                self._environment = _make_environment(self._now)
            if len(self._parsed) >= PARSED_CACHE_SIZE:
                self._parsed.clear()
            parsed = self._parsed[source] = self._environment.from_string(source)
        return parsed


def _make_environment(now: Callable[[], datetime]):
    from liquid import Environment  # imported on first render: keeps start-up light

    class EmailEnvironment(Environment):
        # Bounds, so a runaway template fails its message instead of hanging the mailroom.
        loop_iteration_limit = 10_000
        output_stream_limit = 2_000_000
        local_namespace_limit = 100_000
        context_depth_limit = 30

    environment = EmailEnvironment()
    builtin_date = environment.filters["date"]

    def date(value, fmt, *, environment):
        if isinstance(value, str) and value.strip().lower() in ("now", "today"):
            value = now()
        return builtin_date(value, fmt, environment=environment)

    date.with_environment = True  # type: ignore[attr-defined]
    environment.filters["date"] = date
    return environment


def _check_name(name: str) -> None:
    if name not in TEMPLATE_NAMES:
        raise ManagementError(400, f"Path validation error: 'No enum match for: \"{name}\"' on property "
                                   "templateName (Template name).", "invalid_uri")


def public_view(template: dict) -> dict:
    return {key: copy.deepcopy(template[key]) for key in TEMPLATE_FIELDS if key in template}


def get_template(tenant: "Tenant", name: str) -> dict:
    """A template never configured answers 404, defaults notwithstanding (what deploy-cli expects)."""
    _check_name(name)
    with tenant.lock:
        template = tenant.directory.email_templates.get(name)
    if template is None:
        raise not_found("Template not found.")
    return public_view(template)


def create_template(tenant: "Tenant", body: dict) -> dict:
    name = body["template"]
    with tenant.lock:
        if name in tenant.directory.email_templates:
            raise conflict(f"Template {name} already exists.")
        tenant.directory.email_templates[name] = public_view(body)
        return public_view(body)


def update_template(tenant: "Tenant", name: str, body: dict, *, replace: bool) -> dict:
    """PATCH merges into a configured template; PUT replaces it. Both 404 when it was never
    configured (the spec's responses); the path's name wins over a `template` in the body."""
    _check_name(name)
    with tenant.lock:
        stored = tenant.directory.email_templates.get(name)
        if stored is None:
            raise not_found("Template not found." if replace else "Template not found and cannot be updated.")
        merged = {**({} if replace else stored), **body, "template": name}
        tenant.directory.email_templates[name] = public_view(merged)
        return public_view(merged)
