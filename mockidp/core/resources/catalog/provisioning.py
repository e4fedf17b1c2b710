"""Provisioning into a connection: its SCIM configuration (the attribute mapping and the bearer
tokens a SCIM client presents) and its directory provisioning (Google Workspace: the mapping, the
groups to synchronize, synchronizations asked for). Stored configuration under the connection it
belongs to: a connection that does not exist is Auth0's 404, and deleting the SCIM configuration
takes its tokens. mockidp has no upstream directory, so a synchronization stays pending."""
from __future__ import annotations


from ...applications.connections import find_connection
from ...directory.users import delete_user
from ...tenant.errors import ManagementError, conflict
from ..model import Resource

_PAIRS = (
    ("preferred_username", "userName"), ("email", "emails[primary eq true].value"),
    ("app_metadata.external_id", "externalId"), ("blocked", "active"), ("name", "displayName"),
    ("given_name", "name.givenName"), ("family_name", "name.familyName"),
    ("app_metadata.middle_name", "name.middleName"), ("app_metadata.honorific_prefix", "name.honorificPrefix"),
    ("app_metadata.honorific_suffix", "name.honorificSuffix"), ("nickname", "nickName"),
    ("picture", 'photos[type eq "photo"].value'),
    ("app_metadata.primary_phone_number", "phoneNumbers[primary eq true].value"),
    ("app_metadata.mobile_phone_number", 'phoneNumbers[type eq "mobile"].value'),
    ("app_metadata.street_address", 'addresses[type eq "work"].streetAddress'),
    ("app_metadata.city", 'addresses[type eq "work"].locality'),
    ("app_metadata.state", 'addresses[type eq "work"].region'),
    ("app_metadata.postal_code", 'addresses[type eq "work"].postalCode'),
    ("app_metadata.postal_address", 'addresses[type eq "work"].formatted'),
    ("app_metadata.country", 'addresses[type eq "work"].country'),
    ("app_metadata.profile_url", "profileUrl"), ("app_metadata.user_type", "userType"),
    ("app_metadata.title", "title"), ("app_metadata.language", "preferredLanguage"),
    ("app_metadata.locale", "locale"), ("app_metadata.timezone", "timezone"),
) + tuple((f"app_metadata.{key}", f"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.{name}")
          for key, name in (("employee_id", "employeeNumber"), ("cost_center", "costCenter"),
                            ("organization", "organization"), ("division", "division"),
                            ("department", "department"), ("manager", "manager")))
# Auth0's default mapping, as GET .../default-mapping returns it (recorded).
DEFAULT_MAPPING = tuple({"auth0": auth0, "scim": scim} for auth0, scim in _PAIRS)
SCIM_CONFIGURATION = "/connections/{id}/scim-configuration"
DIRECTORY_PROVISIONING = "/connections/{id}/directory-provisioning"
# Google Workspace's directory fields for Auth0's profile (wording ours: unrecorded).
DIRECTORY_MAPPING = tuple({"auth0": auth0, "idp": idp} for auth0, idp in (
    ("email", "primaryEmail"), ("given_name", "name.givenName"), ("family_name", "name.familyName"),
    ("name", "name.fullName"), ("picture", "thumbnailPhotoUrl"), ("app_metadata.external_id", "id")))
MAX_TOKENS = 2


def _connection_exists(tenant, connection_id: str) -> None:
    find_connection(tenant, connection_id)


def _configured_connection(tenant, connection_id: str) -> None:
    """A SCIM token needs the connection's SCIM configuration (Auth0's bare 404 otherwise)."""
    find_connection(tenant, connection_id)
    if connection_id not in tenant.directory.resources.get(SCIM_CONFIGURATION, {}):
        raise ManagementError(404, "Not Found")


def _new_configuration(tenant, record: dict) -> dict:
    connection = find_connection(tenant, record["connection_id"])
    mapping = record.get("mapping") or [dict(pair) for pair in DEFAULT_MAPPING]
    return {"tenant_name": tenant.public_host, "connection_id": connection["id"],
            "connection_name": connection["name"], "strategy": connection["strategy"],
            "mapping": mapping, "updated_on": record["updated_on"], "created_at": record["created_at"],
            "user_id_attribute": record.get("user_id_attribute") or "externalId"}


def _new_directory_provisioning(tenant, record: dict) -> dict:
    connection = find_connection(tenant, record["connection_id"])
    return {"connection_id": connection["id"], "connection_name": connection["name"],
            "strategy": connection["strategy"],
            "mapping": record.get("mapping") or [dict(pair) for pair in DIRECTORY_MAPPING],
            "synchronize_automatically": record.get("synchronize_automatically", False),
            "synchronize_groups": record.get("synchronize_groups", "off"),
            "created_at": record["created_at"], "updated_at": record["updated_at"]}


def _synchronized_groups(tenant, connection_id: str, body, *_) -> tuple[int, dict]:
    stored = tenant.directory.resources.get(SYNCHRONIZED_GROUPS, {}).get(connection_id) or {}
    return 200, {"groups": stored.get("groups", [])}


def _replace_synchronized_groups(tenant, connection_id: str, body, *_) -> tuple[int, None]:
    table = {**tenant.directory.resources.get(SYNCHRONIZED_GROUPS, {}), connection_id: {"groups": body["groups"]}}
    tenant.directory.resources = {**tenant.directory.resources, SYNCHRONIZED_GROUPS: table}
    return 204, None


def _pending(tenant, record: dict) -> dict:
    if record["connection_id"] not in tenant.directory.resources.get(DIRECTORY_PROVISIONING, {}):
        raise ManagementError(404, "Not Found")
    return {**record, "status": "pending"}


def _status(tenant, connection_id: str, *_) -> tuple[int, dict]:
    """AD/LDAP connections are online only through a connector, which mockidp never runs;
    every other connection is answered online."""
    if find_connection(tenant, connection_id)["strategy"] == "ad":
        raise ManagementError(404, "No AD/LDAP connector is online for this connection")  # wording ours
    return 200, {}


def _delete_user_by_email(tenant, connection_id: str, body, args) -> tuple[int, None]:
    """DELETE /connections/{id}/users?email=: the connection's user with that email."""
    connection = find_connection(tenant, connection_id)
    email = (args.get("email") or "").lower()
    for record in list(tenant.directory.users.values()):
        identity = (record.profile.get("identities") or [{}])[0]
        if identity.get("connection") == connection["name"] and (record.profile.get("email") or "").lower() == email:
            delete_user(tenant, record.user_id)
    return 204, None


def _drop_tokens(tenant, record: dict) -> None:
    tokens = tenant.directory.resources.get(SCIM_TOKENS.path, {})
    kept = {key: token for key, token in tokens.items() if token.get("connection_id") != record["connection_id"]}
    tenant.directory.resources = {**tenant.directory.resources, SCIM_TOKENS.path: kept}


def _new_token(tenant, record: dict) -> dict:
    issued = [token for token in tenant.directory.resources.get(SCIM_TOKENS.path, {}).values()
              if token.get("connection_id") == record["connection_id"]]
    if len(issued) >= MAX_TOKENS:
        raise conflict(f"Maximum of {MAX_TOKENS} tokens already issued for this connection")
    return {**record, "token": tenant.rng.alnum(64)}


def _configurations(tenant) -> dict:
    return tenant.directory.resources.get(SCIM_CONFIGURATION, {})


def _directory_provisionings(tenant) -> dict:
    return tenant.directory.resources.get(DIRECTORY_PROVISIONING, {})


SYNCHRONIZED_GROUPS = DIRECTORY_PROVISIONING + "/synchronized-groups"


SCIM_TOKENS = Resource(
    "/connections/{id}/scim-configuration/tokens", "SCIM token", id_key="token_id", id_prefix="tok",
    owner="id", owner_key="connection_id", hidden=("connection_id",), shown_once=("token",),
    parent=_configured_connection, on_create=_new_token, created_at="created_at",
    not_found="Token not found")

RESOURCES = [
    Resource(SCIM_CONFIGURATION, "SCIM configuration", singleton=True, starts_empty=True, owner="id",
             owner_key="connection_id", parent=_connection_exists, created_at="created_at",
             updated_at="updated_on", on_create=_new_configuration, on_delete=_drop_tokens,
             not_found="Not Found", delete_missing_ok=True),
    Resource(SCIM_CONFIGURATION + "/default-mapping", "default mapping", singleton=True,
             parent=_connection_exists, defaults={"mapping": DEFAULT_MAPPING}),
    SCIM_TOKENS,
    # Every connection's SCIM configuration, read only (checkpoint paging).
    Resource("/connections-scim-configurations", "SCIM configuration", id_key="connection_id",
             source=_configurations, listing="checkpoint", list_key="scim_configurations"),
    Resource(DIRECTORY_PROVISIONING, "directory provisioning", singleton=True, starts_empty=True, owner="id",
             owner_key="connection_id", parent=_connection_exists, created_at="created_at",
             updated_at="updated_at", on_create=_new_directory_provisioning, not_found="Not Found",
             delete_missing_ok=True),
    Resource(DIRECTORY_PROVISIONING + "/default-mapping", "default mapping", singleton=True,
             parent=_connection_exists, defaults={"mapping": DIRECTORY_MAPPING}),
    Resource(SYNCHRONIZED_GROUPS, "synchronized groups", singleton=True, parent=_connection_exists,
             handlers={"get": _synchronized_groups, "replace": _replace_synchronized_groups}),
    Resource(DIRECTORY_PROVISIONING + "/synchronizations", "synchronization", id_key="synchronization_id",
             id_prefix="dsync", owner="id", owner_key="connection_id", parent=_connection_exists,
             on_create=_pending),
    Resource("/connections/{id}/status", "status", singleton=True, handlers={"get": _status}),
    Resource("/connections/{id}/users", "user", singleton=True, handlers={"delete": _delete_user_by_email}),
    Resource("/connections-directory-provisionings", "directory provisioning", id_key="connection_id",
             source=_directory_provisionings, listing="checkpoint", list_key="directory_provisionings"),
]
