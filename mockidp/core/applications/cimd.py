"""Client ID Metadata Documents (CIMD): /api/v2/clients/cimd/preview and /register, which read
the JSON document a client publishes at its `external_client_id` URL, check it against Auth0's
rules and map it to a client (created, or updated when that URL is registered already).

mockidp never calls out to the network, so the documents it can "fetch" are the ones a test
hosted on the mock beforehand (POST /_mock/client-metadata-documents: URL -> JSON document),
kept in `directory.resources[DOCUMENTS]`; any other URL reads as Auth0 reads an unreachable one.
Only public clients (`token_endpoint_auth_method: none`) are mapped: a document asking for
private_key_jwt is refused with a violation naming that limit (docs/behaviour.md).
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..tenant import ids
from ..tenant.errors import ControlError, ManagementError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DOCUMENTS = "/_mock/client-metadata-documents"
MAX_URL_BYTES = 120
SUPPORTED = ("client_id", "client_name", "redirect_uris", "grant_types", "response_types",
             "token_endpoint_auth_method", "logo_uri", "client_uri", "description", "jwks_uri", "scope")
GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# A CIMD client as Auth0 registers it (recorded): third-party, public, rotating refresh tokens.
CLIENT_DEFAULTS = {
    "app_type": "regular_web", "is_first_party": False, "is_token_endpoint_ip_header_trusted": False,
    "oidc_conformant": True, "jwt_configuration": {"secret_encoded": False, "alg": "RS256", "lifetime_in_seconds": 3600},
    "sso_disabled": False, "custom_login_page_on": True,
    "refresh_token": {"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0,
                      "token_lifetime": 2592000, "infinite_token_lifetime": False,
                      "infinite_idle_token_lifetime": False, "idle_token_lifetime": 1296000},
    "external_metadata_type": "cimd", "external_metadata_created_by": "admin",
}


# --- the documents the outside world hosts (the control plane) -------------------------------------

def host_document(tenant: "Tenant", body: Any) -> dict:
    """POST /_mock/client-metadata-documents: {"url", "document"} (a JSON object), replacing any
    document at that URL."""
    if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not isinstance(body.get("document"), dict):
        raise ControlError(400, 'The body must be {"url": "<https URL>", "document": {...}}.')
    with tenant.lock:
        table = {**tenant.directory.resources.get(DOCUMENTS, {}), body["url"]: copy.deepcopy(body["document"])}
        tenant.directory.resources = {**tenant.directory.resources, DOCUMENTS: table}
    return {"url": body["url"], "document": body["document"]}


def hosted_documents(tenant: "Tenant") -> list[dict]:
    return [{"url": url, "document": copy.deepcopy(document)}
            for url, document in tenant.directory.resources.get(DOCUMENTS, {}).items()]


# --- the Management API -------------------------------------------------------------------------

def preview(tenant: "Tenant", url: str) -> dict:
    """What a registration would do, without doing it: retrieval errors, or the validation and
    the mapped fields; the client already registered with that URL, if any."""
    _check_url(url)
    with tenant.lock:
        answer: dict = {}
        existing = _registered(tenant, url)
        if existing is not None:
            answer["client_id"] = existing["client_id"]
        document = tenant.directory.resources.get(DOCUMENTS, {}).get(url)
        if document is None:
            return {**answer, "errors": [_unreachable(url)]}
        return {**answer, "mapped_fields": _mapped(url, document), "validation": _validation(url, document)}


def register(tenant: "Tenant", url: str) -> tuple[int, dict]:
    """Create the client (201) or bring the one registered with this URL up to date (200)."""
    _check_url(url)
    with tenant.lock:
        document = tenant.directory.resources.get(DOCUMENTS, {}).get(url)
        if document is None:
            raise ManagementError(400, _unreachable(url), "invalid_body")
        validation = _validation(url, document)
        if not validation["valid"]:
            raise ManagementError(400, f"The Client Metadata document at {url} cannot be applied.", "invalid_body")
        mapped = _mapped(url, document)
        existing = _registered(tenant, url)
        client = copy.deepcopy(existing) if existing else _new_client(tenant)
        client.update({key: copy.deepcopy(value) for key, value in mapped.items()})
        tenant.directory.clients[client["client_id"]] = client  # as create_client stores one
        answer = {"client_id": client["client_id"], "mapped_fields": mapped, "validation": validation}
        return (200 if existing else 201), answer


def registered_client_id(tenant: "Tenant", url: str) -> str | None:
    """The client registered with this URL, if any (an update needs another scope than a create)."""
    with tenant.lock:
        existing = _registered(tenant, url)
        return existing["client_id"] if existing else None


def _new_client(tenant: "Tenant") -> dict:
    client_id = f"tpc_{tenant.rng.alnum(22)}"  # a third-party client's id (recorded)
    return {"client_id": client_id, "client_secret": ids.client_secret(tenant.rng), **copy.deepcopy(CLIENT_DEFAULTS)}


def _registered(tenant: "Tenant", url: str) -> dict | None:
    return next((client for client in tenant.directory.clients.values()
                 if client.get("external_metadata_type") == "cimd" and client.get("external_client_id") == url), None)


def _unreachable(url: str) -> str:
    return f"The Client Metadata at {url} could not be retrieved."


# --- Auth0's rules (docs: "CIMD Validation Rules") -------------------------------------------------

def _check_url(url: str) -> None:
    """The URL rules: 400 naming the first one broken."""
    problem = _url_problem(url)
    if problem is not None:
        raise ManagementError(400, f"Invalid external_client_id: {problem}.", "invalid_body")


def _url_problem(url: str) -> str | None:
    if url != url.strip():
        return "it must not have leading or trailing whitespace"
    if len(url.encode()) > MAX_URL_BYTES:
        return f"it must be at most {MAX_URL_BYTES} bytes"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "'%' must be followed by two hexadecimal digits"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "it is not a URL"
    checks = [
        (parts.scheme != "https", "it must use the https scheme"),
        (not parts.hostname or url.startswith("https:///"), "it must have a host name"),
        ((parts.hostname or "") in LOOPBACK_HOSTS, "localhost is not allowed"),
        (parts.username is not None or parts.password is not None, "it must not contain credentials"),
        (port == 0, "port 0 is not allowed"),
        (parts.path in ("", "/"), "it must have a path"),
        (any(segment.lower() in (".", "..", "%2e", "%2e%2e") for segment in parts.path.split("/")),
         "its path must not contain dot segments"),
        ("?" in url, "it must not have a query"),
        ("#" in url, "it must not have a fragment"),
    ]
    return next((message for broken, message in checks if broken), None)


def _validation(url: str, document: dict) -> dict:
    violations = []
    if document.get("client_id") != url:
        violations.append("client_id must be the URL of the document")
    redirect_uris = document.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris or not all(isinstance(u, str) for u in redirect_uris):
        violations.append("redirect_uris must be a non-empty array of URLs")
    if "jwks" in document:
        violations.append("invalid_client_metadata: an inline jwks is not supported; use jwks_uri")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        violations.append(f"token_endpoint_auth_method {method!r} is not supported: CIMD clients use no shared "
                          "secret, and mockidp registers public clients only")
    unsupported = [grant for grant in document.get("grant_types") or [] if grant not in GRANT_TYPES]
    if unsupported:
        violations.append(f"grant_types not allowed for CIMD clients: {', '.join(map(str, unsupported))}")
    warnings = [f"Unsupported property {name!r} was ignored" for name in document if name not in SUPPORTED]
    return {"valid": not violations, "violations": violations, "warnings": warnings}


def _mapped(url: str, document: dict) -> dict:
    mapped = {"external_client_id": url,
              "name": str(document.get("client_name") or urlsplit(url).hostname or url),
              "app_type": "regular_web",
              "callbacks": [uri for uri in document.get("redirect_uris") or [] if isinstance(uri, str)],
              "grant_types": [grant for grant in document.get("grant_types") or ["authorization_code"]
                              if grant in GRANT_TYPES] or ["authorization_code"],
              "token_endpoint_auth_method": "none"}
    for source, target in (("logo_uri", "logo_uri"), ("description", "description")):
        if isinstance(document.get(source), str):
            mapped[target] = document[source]
    return mapped
