"""Signing in to an organization: /authorize's `organization` and `invitation` parameters
checked against the client's organization settings, and the user admitted once authenticated
(a member, a member by the connection's `assign_membership_on_login`, or an invitee accepting).

Login (core/login) calls these and turns `OrganizationRefused` into Auth0's redirect or page
error; the refusals' wording is Auth0's where known (docs/behaviour.md lists the rest).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..logs import events as logs
from . import invitations, members
from .organizations import by_id_or_name

if TYPE_CHECKING:
    from ..logs.events import RequestInfo
    from ..tenant.tenant import Tenant


class OrganizationRefused(Exception):
    """An OAuth error (`error`, `description`) for the application's callback."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


class OrganizationPrompt(Exception):
    """The client requires an organization and asks for it: before the login
    (`organization_require_behavior: pre_login_prompt`, a name typed on a hosted page) or after it
    (`post_login_prompt`, one of the user's organizations picked on a hosted page)."""

    def __init__(self, when: str):
        super().__init__(when)
        self.when = when  # "pre" or "post"


class OrganizationLogin(NamedTuple):
    organization: dict
    invitation: dict | None  # the live invitation the link carried
    ticket: str | None = None  # the link's invitation ticket, looked up again when the user is back


def check_request(tenant: "Tenant", client: dict, reference: str | None,
                  ticket: str | None) -> OrganizationLogin | None:
    """The organization a login is for, or None; Auth0's refusals for the client's
    `organization_usage` (deny by default), an unknown organization or a dead invitation."""
    usage = client.get("organization_usage") or "deny"
    if not reference:
        if ticket:
            raise OrganizationRefused("invalid_request", "parameter organization is required when using invitation")
        if usage == "require":
            behavior = client.get("organization_require_behavior")
            if behavior in ("pre_login_prompt", "post_login_prompt"):
                raise OrganizationPrompt("pre" if behavior == "pre_login_prompt" else "post")
            raise OrganizationRefused("invalid_request", "parameter organization is required for this client")
        return None
    organization = by_id_or_name(tenant, reference)
    if organization is None:
        raise OrganizationRefused("invalid_request", f"parameter organization is invalid: {reference}")
    if usage == "deny":
        raise OrganizationRefused("invalid_request", "parameter organization is not allowed for this client")
    invitation = None
    if ticket:
        invitation = invitations.live_by_ticket(tenant, organization["id"], ticket)
        if invitation is None:
            raise OrganizationRefused("invalid_request", "invitation not found or expired")
    return OrganizationLogin(organization, invitation, ticket)


def admit(tenant: "Tenant", login: OrganizationLogin, profile: dict, connection: dict | None,
          client: dict, request: "RequestInfo") -> None:
    """Let an authenticated user into the organization, or raise OrganizationRefused. An
    invitation is accepted here (logged `si`; a wrong email or a lost race logged `fi`)."""
    organization_id = login.organization["id"]
    if login.ticket is not None:
        _accept(tenant, login, profile, connection, client, request)
        return
    with tenant.lock:
        if members.is_member(tenant, organization_id, profile["user_id"]):
            return
        if _assigns_membership(login.organization, connection):
            members.add(tenant, organization_id, [profile["user_id"]])
            return
    raise OrganizationRefused("access_denied",
                              f"user {profile['user_id']} is not part of the {organization_id} organization")


def _accept(tenant: "Tenant", login: OrganizationLogin, profile: dict, connection: dict | None,
            client: dict, request: "RequestInfo") -> None:
    invitation = invitations.live_by_ticket(tenant, login.organization["id"], login.ticket)
    record = tenant.directory.users.get(profile["user_id"])
    problem = None
    if invitation is None:
        problem = "invitation not found or expired"  # deleted, used or expired since the link was opened
    elif (profile.get("email") or "").lower() != invitation["invitee"]["email"].lower():
        problem = "the invitation was issued for another email address"
    elif record is None or not invitations.accept(tenant, invitation["id"], record):
        problem = "invitation not found or expired"  # another acceptance won the race
    details = {"organization_id": login.organization["id"], "invitation_id": (invitation or {}).get("id")}
    if problem:
        logs.record(tenant, "fi", problem, request=request, client=client, connection=connection,
                    user=profile, details=details)
        raise OrganizationRefused("access_denied", problem)
    logs.record(tenant, "si", "", request=request, client=client, connection=connection, user=profile,
                details=details)


def _assigns_membership(organization: dict, connection: dict | None) -> bool:
    return connection is not None and any(
        entry["connection_id"] == connection.get("id") and entry.get("assign_membership_on_login")
        for entry in organization.get("enabled_connections", ()))
