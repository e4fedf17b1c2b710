"""Sessions and refresh tokens: the Management API's view of the login state core/login keeps.
Reading shows it in Auth0's shape; deleting or revoking ends it, so the session no longer signs
the user in and the refresh token no longer works at /oauth/token. Stats count what the tenant
logs and users show; user grants (consents) are stored where the login would keep them (mockidp
asks no consent, so there are none)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ...applications import resource_servers
from ...directory.users import find_user
from ...login import refresh_tokens, sessions
from ...tenant.clock import iso
from ...tenant.errors import bad_request, not_found
from ..model import Resource


def _when(timestamp: float | None) -> str | None:
    return iso(datetime.fromtimestamp(timestamp, UTC)) if timestamp else None


def _sessions(tenant) -> dict:
    return dict(tenant.directory.sessions)


def _session_view(tenant, session: dict) -> dict:
    last_used = _when(session.get("last_used_ts"))
    return {
        "id": session["id"], "user_id": session["user_id"], "created_at": session["created_at"],
        "updated_at": last_used, "authenticated_at": _when(session.get("authenticated_at")),
        "last_interacted_at": last_used, "idle_expires_at": None, "expires_at": None,
        "device": {"initial_user_agent": session.get("user_agent"), "initial_ip": session.get("ip"),
                   "last_user_agent": session.get("user_agent"), "last_ip": session.get("ip")},
        "clients": [{"client_id": client_id} for client_id in session.get("clients", [])],
        "authentication": {"methods": [{"name": "pwd", "timestamp": session["created_at"]}] + (
            [{"name": "mfa", "timestamp": _when(session["mfa_at"])}] if session.get("mfa_at") else [])},
    }


def _end_session(tenant, session: dict) -> None:
    sessions.end(tenant, session["id"])


def _revoke_session(tenant, session: dict, body) -> tuple[int, dict]:
    """Unlike DELETE, revoking takes the session's refresh tokens along (Auth0's spec)."""
    sessions.end(tenant, session["id"])
    refresh_tokens.revoke_for_session(tenant, session["id"])
    return 202, {}


def _refresh_tokens(tenant) -> dict:
    """One Management API refresh token per family (a rotating token's successors are the
    same grant to Auth0's API): its id is the family id; revoked families are gone."""
    families: dict[str, dict] = {}
    for record in tenant.directory.refresh_tokens.values():
        if not record["revoked"]:
            families.setdefault(record["family_id"], record)
    return families


def _refresh_token_view(tenant, record: dict) -> dict:
    return {
        "id": record["family_id"], "user_id": record["user_id"], "created_at": _when(record["created_ts"]),
        "idle_expires_at": _when(record.get("idle_expires_ts")), "expires_at": _when(record.get("expires_ts")),
        "client_id": record["client_id"], "session_id": record.get("session_id"),
        "rotating": record["counter"] > 1 or record.get("rotated_ts") is not None,
        # a token for no API (openid offline_access only) lists none
        "resource_servers": [{"audience": record["audience"], "scopes": " ".join(record["scope"])}]
        if record["audience"] else [],
    }


def _one_users_tokens(tenant, bodies: list[dict], query: dict) -> list[dict]:
    """GET /refresh-tokens: the user_id's tokens (the spec requires it), for client_id if given."""
    return [body for body in bodies if body["user_id"] == query.get("user_id")
            and query.get("client_id") in (None, body["client_id"])]


def _revoke_refresh_token(tenant, record: dict) -> None:
    refresh_tokens.revoke_family(tenant, record["family_id"])


MAX_IDS = 100


def _revoke_refresh_tokens(tenant, record_id, body, *_) -> tuple[int, dict]:
    """POST /refresh-tokens/revoke: by `ids` (families; unknown ones are skipped), or a user's,
    narrowed to a client and then to an API. Everything is checked before anything is revoked."""
    body = body if isinstance(body, dict) else {}
    by_user = [key for key in ("user_id", "client_id", "audience") if key in body]
    if ("ids" in body) == bool(by_user) or by_user not in (["user_id"], ["user_id", "client_id"],
                                                          ["user_id", "client_id", "audience"], []):
        raise bad_request("Invalid combination of parameters.")
    if len(body.get("ids") or ()) > MAX_IDS:  # the spec's prose: "Limited to 100 at a time"
        raise bad_request(f"Payload validation error: 'Array is too long ({len(body['ids'])}), maximum {MAX_IDS}' "
                          "on property ids.")
    if "ids" in body:
        families = set(body["ids"])
        chosen = [record for record in tenant.directory.refresh_tokens.values() if record["family_id"] in families]
    else:
        _revoke_targets_exist(tenant, body)
        chosen = [record for record in tenant.directory.refresh_tokens.values()
                  if record["user_id"] == body["user_id"]
                  and body.get("client_id") in (None, record["client_id"])
                  and body.get("audience") in (None, record["audience"])]
    for family_id in {record["family_id"] for record in chosen}:
        refresh_tokens.revoke_family(tenant, family_id)
    return 202, {}


def _revoke_targets_exist(tenant, body: dict) -> None:
    """The spec's 400s for a user, client or API that does not exist."""
    if body["user_id"] not in tenant.directory.users:
        raise bad_request("User not found.")
    if "client_id" in body and body["client_id"] not in tenant.directory.clients:
        raise bad_request("Client not found.")
    if "audience" in body and resource_servers.find_by_audience(tenant, body["audience"]) is None:
        raise bad_request("Resource server not found.")


def _user_must_exist(tenant, user_id: str) -> None:
    """A user's sessions and refresh tokens: 404 for a user that does not exist (in the words of
    Auth0's spec for these operations; the errorCode is mockidp's choice, docs/behaviour.md)."""
    if user_id not in tenant.directory.users:
        raise not_found("User not found", "user_not_found")


def _active_users(tenant, record) -> int:
    """Users who logged in during the last 30 days of the tenant clock."""
    since = iso(tenant.clock.now() - timedelta(days=30))
    return sum(1 for user in list(tenant.directory.users.values())
               if (user.profile.get("last_login") or "") >= since)


def _daily(tenant, record) -> list[dict]:
    """Logins (`s`) and signups (`ss`) per day of the tenant log, oldest first."""
    days: dict[str, dict] = {}
    for event in list(tenant.directory.logs.values()):
        kind = {"s": "logins", "ss": "signups"}.get(event.get("type"))
        if kind is None:
            continue
        day = event["date"][:10] + "T00:00:00.000Z"
        entry = days.setdefault(day, {"date": day, "logins": 0, "signups": 0, "leaked_passwords": 0,
                                      "created_at": event["date"], "updated_at": event["date"]})
        entry[kind] += 1
        entry["updated_at"] = max(entry["updated_at"], event["date"])
    return [days[day] for day in sorted(days)]


def _revoke_access(tenant, user_id: str, body, *_) -> tuple[int, dict]:
    """POST /users/{id}/revoke-access: the user's sessions (or the one named) end, and their
    refresh tokens are revoked unless `preserve_refresh_tokens`."""
    find_user(tenant, user_id)
    body = body or {}
    session_id = body.get("session_id")
    if session_id is None:
        sessions.end_for_user(tenant, user_id)
    elif tenant.directory.sessions.get(session_id, {}).get("user_id") == user_id:
        sessions.end(tenant, session_id)
    if not body.get("preserve_refresh_tokens"):
        families = {record["family_id"] for record in tenant.directory.refresh_tokens.values()
                    if record["user_id"] == user_id and session_id in (None, record.get("session_id"))}
        for family_id in families:  # each revoke walks every token: once per family, not per token
            refresh_tokens.revoke_family(tenant, family_id)
    return 202, {}


def _user_exists(tenant, user_id: str) -> None:
    find_user(tenant, user_id)


def _forgotten(tenant, user_id: str, body, *_) -> tuple[int, None]:
    """Clearing what mockidp does not keep (risk assessments, remembered browsers): the user
    must exist, and nothing else changes."""
    find_user(tenant, user_id)
    return 204, None


def _none(tenant) -> dict:
    return {}


def _no_grants_to_delete(tenant, record_id, body, *_) -> tuple[int, None]:
    return 204, None


_SESSION = {"source": _sessions, "view": _session_view, "on_delete": _end_session}
_REFRESH_TOKEN = {"source": _refresh_tokens, "view": _refresh_token_view, "on_delete": _revoke_refresh_token}

RESOURCES = [
    Resource("/sessions", "session", **_SESSION, not_found="Session not found",
             not_found_code="session_not_found", delete_status=202, actions={"revoke": _revoke_session}),
    # GET lists one user's (user_id is required; client_id narrows), checkpoint-paged
    Resource("/refresh-tokens", "refresh token", **_REFRESH_TOKEN, not_found="Refresh token not found",
             not_found_code="refresh_token_not_found", listing="checkpoint", list_key="refresh_tokens",
             list_filter=_one_users_tokens, handlers={"revoke": _revoke_refresh_tokens}),
    # A user's: GET lists them (checkpoint paging), DELETE ends them all (202).
    Resource("/users/{user_id}/sessions", "session", **_SESSION, owner="user_id", listing="checkpoint",
             list_key="sessions", parent=_user_must_exist),
    Resource("/users/{user_id}/refresh-tokens", "refresh token", **_REFRESH_TOKEN, owner="user_id",
             listing="checkpoint", list_key="tokens", parent=_user_must_exist),
    Resource("/stats/active-users", "active users", singleton=True, view=_active_users),
    Resource("/stats/daily", "daily stats", singleton=True, view=_daily),
    Resource("/users/{id}/revoke-access", "access", singleton=True, handlers={"create": _revoke_access}),
    Resource("/users/{id}/risk-assessments/clear", "assessors", singleton=True, handlers={"create": _forgotten}),
    Resource("/users/{id}/multifactor/actions/invalidate-remember-browser", "browsers", singleton=True,
             handlers={"create": _forgotten}),
    # Accounts and token sets a user connected through Token Vault: mockidp has no Token Vault.
    Resource("/users/{id}/connected-accounts", "connected account", owner="id", parent=_user_exists,
             source=_none, listing="checkpoint", list_key="connected_accounts"),
    Resource("/users/{id}/federated-connections-tokensets", "token set", owner="id", parent=_user_exists,
             source=_none, delete_missing_ok=True),
    Resource("/grants", "grant", listing="offset", list_key="grants", delete_missing_ok=True,
             handlers={"delete_all": _no_grants_to_delete}),
]
