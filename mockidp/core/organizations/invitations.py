"""Organization invitations: created with Auth0's shape and defaults, emailed through the
mailroom (template `user_invitation`, so delivery modes, delays and render-at-delivery apply),
listed, deleted, and looked up when an invitee follows the link to /authorize.

The invitation's `ticket_id` is what the link carries; it expires on the tenant clock
(`ttl_sec`, 0 or absent meaning 7 days). Accepting makes the invitee a member with the
invitation's roles, applies its metadata, verifies the email and deletes the invitation, all
under one lock hold, so of two concurrent acceptances exactly one wins.
"""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ..directory import users
from ..email import templates
from ..tenant import ids
from ..tenant.clock import iso, parse_instant
from ..tenant.errors import ManagementError, bad_request
from . import members
from .organizations import find

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant

DEFAULT_TTL_SEC = 604800  # 7 days
LOGIN_ROUTE_REQUIRED = ("A default login route is required to generate the invitation url. For more "
                        "information, see https://auth0.com/docs/universal-login/configure-default-login-routes")
HIDDEN = ("sequence", "roles_assigned", "app_metadata", "user_metadata", "connection_id", "roles")
SHOWN_WHEN_SET = ("connection_id", "roles", "app_metadata", "user_metadata")


def invitation_not_found() -> ManagementError:
    return ManagementError(404, "The invitation does not exist.", "inexistent_invitation")


def public_view(invitation: dict) -> dict:
    view = {key: copy.deepcopy(value) for key, value in invitation.items() if key not in HIDDEN}
    for key in SHOWN_WHEN_SET:
        if invitation.get(key):
            view[key] = copy.deepcopy(invitation[key])
    return view


def create(tenant: "Tenant", organization_id: str, body: dict, *, base_url: str) -> dict:
    """POST /organizations/{id}/invitations with a schema-validated body. Queues the email when
    `send_invitation_email` is not false; the caller delivers what is due afterwards."""
    with tenant.lock:
        organization = find(tenant, organization_id)
        client = tenant.directory.clients.get(body["client_id"])
        if client is None:
            raise ManagementError(404, "The client does not exist", "inexistent_client")
        _check_references(tenant, body)
        login_route = client.get("initiate_login_uri") or tenant.tenant_settings.get("default_redirection_uri")
        if not login_route:
            raise bad_request(LOGIN_ROUTE_REQUIRED)
        now = tenant.clock.now()
        ticket_id = ids.ticket_id(tenant.rng)
        query = urlencode({"invitation": ticket_id, "organization": organization["id"],
                           "organization_name": organization["name"]})
        invitation = {
            "id": ids.prefixed("uinv", tenant.rng), "organization_id": organization["id"],
            "client_id": client["client_id"], "inviter": copy.deepcopy(body["inviter"]),
            "invitee": copy.deepcopy(body["invitee"]),
            "invitation_url": f"{login_route}{'&' if '?' in login_route else '?'}{query}",
            "ticket_id": ticket_id, "created_at": iso(now),
            "expires_at": iso(now + timedelta(seconds=body.get("ttl_sec") or DEFAULT_TTL_SEC)),
        }
        for key in SHOWN_WHEN_SET:
            if body.get(key):
                invitation[key] = copy.deepcopy(body[key])
        tenant.directory.organization_invitations[invitation["id"]] = invitation
        if body.get("send_invitation_email", True):
            _queue_email(tenant, invitation, organization, client, base_url)
    return public_view(invitation)


def _check_references(tenant: "Tenant", body: dict) -> None:
    if body.get("connection_id") and body["connection_id"] not in tenant.directory.connections:
        raise ManagementError(404, "The connection does not exist", "inexistent_connection")
    unknown = [role_id for role_id in body.get("roles") or [] if role_id not in tenant.directory.roles]
    if unknown:
        raise ManagementError(404, f"Role {unknown[0]} does not exist", "inexistent_role")


def _queue_email(tenant: "Tenant", invitation: dict, organization: dict, client: dict, base_url: str) -> None:
    """user_invitation with Auth0's variables: inviter, organization, the invitation link (as
    `url`), the invitee's user_metadata and the roles it grants. Under the tenant lock."""
    if not templates.is_enabled(templates.effective(tenant, "user_invitation")):
        return
    roles = [tenant.directory.roles[role_id] for role_id in invitation.get("roles", ())]
    organization_view = {"id": organization["id"], "name": organization["name"],
                         "display_name": organization.get("display_name", organization["name"]),
                         "metadata": copy.deepcopy(organization.get("metadata", {})),
                         "branding": copy.deepcopy(organization.get("branding", {}))}
    tenant.mailroom.enqueue("user_invitation", to=invitation["invitee"]["email"], user_id=None,
                            base_url=base_url, url=invitation["invitation_url"], client_id=client["client_id"],
                            extra={"inviter": invitation["inviter"], "organization": organization_view,
                                   "roles": [{"id": r["id"], "name": r["name"]} for r in roles],
                                   "user": {"email": invitation["invitee"]["email"],
                                            "user_metadata": invitation.get("user_metadata", {})}})


def list_invitations(tenant: "Tenant", organization_id: str, sort: str | None = None) -> list[dict]:
    """Newest first by default (Auth0's `created_at:-1`); `created_at:1` for oldest first."""
    with tenant.lock:
        find(tenant, organization_id)
        found = [invitation for invitation in tenant.directory.organization_invitations.values()
                 if invitation["organization_id"] == organization_id]
    ascending = (sort or "created_at:-1") == "created_at:1"
    found.sort(key=lambda invitation: invitation["created_at"], reverse=not ascending)
    return found


def get(tenant: "Tenant", organization_id: str, invitation_id: str) -> dict:
    with tenant.lock:
        find(tenant, organization_id)
        invitation = tenant.directory.organization_invitations.get(invitation_id)
    if invitation is None or invitation["organization_id"] != organization_id:
        raise invitation_not_found()
    return invitation


def delete(tenant: "Tenant", organization_id: str, invitation_id: str) -> None:
    with tenant.lock:
        get(tenant, organization_id, invitation_id)
        del tenant.directory.organization_invitations[invitation_id]


# --- following the link --------------------------------------------------------------------------

def live_by_ticket(tenant: "Tenant", organization_id: str, ticket_id: str) -> dict | None:
    """The invitation a link names, if it is still there and has not expired."""
    with tenant.lock:
        invitation = next((inv for inv in tenant.directory.organization_invitations.values()
                           if inv["ticket_id"] == ticket_id and inv["organization_id"] == organization_id), None)
    if invitation is None or parse_instant(invitation["expires_at"]) <= tenant.clock.now():
        return None
    return invitation


def accept(tenant: "Tenant", invitation_id: str, record: "UserRecord") -> bool:
    """The invitee signed in (or up) with the invited email: membership, roles, metadata, a
    verified email, and the invitation is gone. False if another acceptance, a deletion or the
    clock got there first."""
    with tenant.lock:
        invitation = tenant.directory.organization_invitations.get(invitation_id)
        if invitation is None or parse_instant(invitation["expires_at"]) <= tenant.clock.now():
            return False
        organization_id = invitation["organization_id"]
        members.add(tenant, organization_id, [record.user_id])
        if invitation.get("roles"):
            members.assign_roles(tenant, organization_id, record.user_id,
                                 [r for r in invitation["roles"] if r in tenant.directory.roles])
        changes: dict = {"email_verified": True}
        for key in ("app_metadata", "user_metadata"):
            if invitation.get(key):
                changes[key] = copy.deepcopy(invitation[key])
        users.update_user(tenant, record.user_id, changes)
        del tenant.directory.organization_invitations[invitation_id]
    return True
