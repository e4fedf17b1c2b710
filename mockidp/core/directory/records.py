"""The tenant's directory: users, clients, connections, resource servers, grants, roles.

Records are never mutated in place: an update stores a new object. That makes a snapshot a
shallow copy of a few dicts, so reset costs O(number of records) with a tiny constant.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class UserRecord(NamedTuple):
    """A stored user: the Auth0-shaped profile plus what Auth0 never returns."""

    profile: dict[str, Any]             # never mutated once stored; copy before handing out
    password_hash: str | None = None
    sequence: int = 0                   # creation order, for stable listing

    @property
    def user_id(self) -> str:
        return self.profile["user_id"]

    @property
    def connection(self) -> str:
        return self.profile["identities"][0]["connection"]


class LinkedAccount(NamedTuple):
    """A secondary account linked into a primary (core/identities.py): no longer a standalone
    user, but its credentials stay in its connection (they now sign the primary in)."""

    record: UserRecord                  # the secondary as stored when linked, metadata dropped
    primary_id: str


class Directory:
    """Every table of one tenant (each a dict whose records are replaced, never changed) and two
    counters. A plain class rather than a dataclass: with this many fields, defining a dataclass
    costs over a millisecond of start-up, and a directory is compared and shown by identity."""

    users: dict[str, UserRecord]
    # (connection name, lowercased email) -> user_id: uniqueness and exact-email search.
    users_by_connection_email: dict[tuple[str, str], str]
    users_by_connection_username: dict[tuple[str, str], str]
    # lowercased email -> user_ids across connections (users-by-email, search index).
    users_by_email: dict[str, tuple[str, ...]]
    clients: dict[str, dict]
    connections: dict[str, dict]
    resource_servers: dict[str, dict]
    client_grants: dict[str, dict]
    roles: dict[str, dict]
    email_templates: dict[str, dict]
    tickets: dict[str, dict]   # password-change / email-verification links
    jobs: dict[str, dict]      # verification-email jobs
    # Logins (core/sessions.py, core/authorization.py, core/refresh_tokens.py, core/logs.py):
    sessions: dict[str, dict]             # sid -> SSO session
    login_transactions: dict[str, dict]   # /u/login?state= -> request
    authorization_codes: dict[str, dict]  # code -> what it grants
    refresh_tokens: dict[str, dict]       # token -> grant
    logs: dict[str, dict]                 # log_id -> event, oldest first
    # Brute-force protection (core/bruteforce.py): settings, failure counters and blocks, unblock
    # links, and when each IP last got a blocked_account email.
    attack_protection: dict[str, dict]    # "brute-force-protection" -> settings
    login_failures: dict[tuple, dict]     # (connection, identifier, ip) -> counter
    unblock_tickets: dict[str, dict]      # ticket id -> unblock link
    block_notifications: dict[str, float]  # ip -> last email (timestamp)
    # Account linking (core/identities.py): secondary user_id -> its link to the primary.
    linked: dict[str, "LinkedAccount"]
    # Actions (core/actions.py): action id -> action record (its versions and secret values
    # inside), and trigger id -> its bindings in execution order; module id -> Actions Module
    # record (its published versions and secret values inside: core/actions/modules.py).
    actions: dict[str, dict]
    action_bindings: dict[str, tuple]
    action_modules: dict[str, dict]
    # Declared resources (core/resources/): resource path -> {id: record}; both levels replaced
    # on every write, never changed.
    resources: dict[str, dict]
    # Social/enterprise sign-in (core/upstream/): (connection, upstream id) -> an identity the mock
    # provider knows, and upstream state -> a login waiting at (or answered by) the provider.
    upstream_identities: dict[tuple, dict]
    upstream_logins: dict[str, dict]
    upstream_next: dict[str, str]         # connection -> the upstream id its next login answers with
    # RBAC (core/authorization/): role id -> its permissions, user id -> role ids, user id -> its
    # direct permissions. Each value is a tuple (a permission is (API identifier, scope name)),
    # replaced whole on every change.
    role_permissions: dict[str, tuple]
    user_roles: dict[str, tuple]
    user_permissions: dict[str, tuple]
    # Organizations (core/organizations/): org id -> organization (its enabled connections
    # inside), (org id, user_id) -> membership, (org id, user_id) -> member role ids, and
    # invitation id -> invitation.
    organizations: dict[str, dict]
    organization_members: dict[tuple[str, str], dict]
    organization_member_roles: dict[tuple[str, str], tuple[str, ...]]
    organization_invitations: dict[str, dict]
    # One-time codes (core/factors/): (connection, email or phone) -> the passwordless code
    # waiting to be used, with its expiry and failed attempts.
    one_time_codes: dict[tuple, dict]
    # MFA (core/factors/): "factors" / "policies" -> the tenant's Guardian settings; user_id ->
    # the user's authenticators (a tuple of records); mfa_token -> the login it interrupted.
    guardian: dict[str, Any]
    authenticators: dict[str, tuple]
    mfa_tokens: dict[str, dict]
    otp_failures: dict[str, dict]         # user_id -> wrong OTPs in a row, and a block's end
    sms_outbox: dict[str, dict]           # message id -> text message (core/factors/phone_outbox.py)
    next_log_sequence: int
    next_user_sequence: int
    next_organization_sequence: int
    next_membership_sequence: int

    def __init__(self, **state: Any):
        """Empty tables and counters at 0, except what `state` gives (snapshot() passes copies)."""
        for name in _TABLES:
            setattr(self, name, state.pop(name, None) or {})
        for name in _COUNTERS:
            setattr(self, name, state.pop(name, 0))
        if state:
            raise TypeError(f"unknown directory fields: {', '.join(state)}")

    def snapshot(self) -> "Directory":
        copies = {name: dict(value) if isinstance(value, dict) else value
                  for name, value in vars(self).items()}
        return Directory(**copies)

    # --- user indexes -------------------------------------------------------------------

    def put_user(self, record: UserRecord, previous: UserRecord | None = None) -> None:
        if previous is not None:
            self._unindex(previous)
        self.users[record.user_id] = record
        self._index(record)

    def remove_user(self, record: UserRecord) -> None:
        self._unindex(record)
        del self.users[record.user_id]

    def index_credentials(self, record: UserRecord) -> None:
        """Only the connection's email/username keys: a linked secondary keeps its identifiers
        taken (and usable for logging in) without being found as a user."""
        email, username = record.profile.get("email"), record.profile.get("username")
        if email:
            self.users_by_connection_email[(record.connection, email)] = record.user_id
        if username:
            self.users_by_connection_username[(record.connection, username)] = record.user_id

    def unindex_credentials(self, record: UserRecord) -> None:
        email, username = record.profile.get("email"), record.profile.get("username")
        if email and self.users_by_connection_email.get((record.connection, email)) == record.user_id:
            del self.users_by_connection_email[(record.connection, email)]
        if username and self.users_by_connection_username.get((record.connection, username)) == record.user_id:
            del self.users_by_connection_username[(record.connection, username)]

    def _index(self, record: UserRecord) -> None:
        self.index_credentials(record)
        email = record.profile.get("email")
        if email:
            self.users_by_email[email] = self.users_by_email.get(email, ()) + (record.user_id,)

    def _unindex(self, record: UserRecord) -> None:
        self.unindex_credentials(record)
        email = record.profile.get("email")
        if email:
            remaining = tuple(uid for uid in self.users_by_email.get(email, ()) if uid != record.user_id)
            if remaining:
                self.users_by_email[email] = remaining
            else:
                self.users_by_email.pop(email, None)

    def connection_by_name(self, name: str) -> dict | None:
        for connection in self.connections.values():
            if connection["name"] == name:
                return connection
        return None

    def take_number(self, counter: str) -> int:
        """The next number of a count kept in `resources` under `counter` (how many keys of a kind
        the tenant has made, which names the next one's material): 0, 1, 2... Kept there, replaced
        whole, so reset and snapshots cover it. Under the tenant lock."""
        number = self.resources.get(counter, {}).get("", 0)
        self.resources = {**self.resources, counter: {"": number + 1}}
        return number


# Every dict-valued field, from the annotations above; the `next_*` counters are ints.
_COUNTERS = tuple(name for name in Directory.__annotations__ if name.startswith("next_"))
_TABLES = tuple(name for name in Directory.__annotations__ if name not in _COUNTERS)
