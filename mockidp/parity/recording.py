"""What go-auth0's recorder rewrote before saving a cassette, and how a replay undoes it: the one
place that knows the recording conventions (read from the cassettes themselves and the SDK's
test helpers at the recorded commits).

- **Domain.** Every URL and body names `go-auth0-dev.eu.auth0.com`, whatever tenant recorded it
  (in bodies the tenant's name became that domain, so `go-auth0-dev.eu.auth0.com.us.auth0.com`).
  A replay sends to mockidp's base URL and rewrites the domain inside bodies and queries too (a
  client grant's audience `https://go-auth0-dev.eu.auth0.com/api/v2/` is mockidp's Management API).
- **Headers.** Only `Content-Type` and `User-Agent` survive in requests (`Authorization` is gone)
  and only `Content-Type` in responses (so no `Location` to compare). A replay sends the
  Management API a bearer token of mockidp's default M2M client; response headers are ignored.
- **Client authentication (authentication cassettes).** `client_id`, `client_secret` and
  `client_assertion` were replaced by `test-client_id`, `test-client_secret` and
  `test-client_assertion`. FAKE_VALUES sends mockidp's default Regular Web App (it has a secret
  and every grant mockidp implements) wherever nothing more precise applies; world.py, which
  knows every placeholder of the authentication cassettes, picks the client per request (a
  public one when the request carries no secret) and makes the other fakes live. A fake
  assertion stays fake (dependence.py: recorder_fake).
- **Tokens (authentication cassettes).** 2xx token responses were re-serialized with
  `test-access-token`, `test-refresh-token` and no `id_token`; requests that carry a fake token,
  code or OTP get a live one from world.py, obtained through mockidp's own endpoints just before.
- **Re-serialized bodies.** Some response bodies went through the SDK's Go structs before saving
  (clients, resource servers, logs, signing keys, SCIM tokens, token sets): keys the struct does
  not know are gone and nulls were dropped (omitempty), and the hooks wrote some keys themselves
  (a client's `client_secret` and `signing_keys`, a log's `ip`, `access_token`). For those, a
  key mockidp has that the recording lacks, null where the recording has nothing, or a missing
  key the hook wrote is not counted as a difference; signing keys were made up whole, so only
  their status counts (BodyRewrite, body_rewrite).
- **429s** were discarded before saving: cassettes hold no rate-limit answers.

Not the recorder's doing but alike: the cassettes span late 2024 to 2026, and Auth0 has since
added keys to some answers. mockidp answers as Auth0 does now; a key in NEWER_KEYS that an
older cassette's body lacks is not counted as extra (the newer cassettes of the same resource
show it, so a missing one still counts).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

RECORDED_DOMAIN = "go-auth0-dev.eu.auth0.com"
# In bodies the recorder replaced the tenant's *name* by the whole domain, so the real tenant
# domain reads `go-auth0-dev.eu.auth0.com.us.auth0.com` (or .eu/.sus): one match, one host.
_RECORDED_HOST = re.compile(r"(https://)?go-auth0-dev\.eu\.auth0\.com(?:\.[a-z]+\.auth0\.com)?")

# mockidp's default fixture (mockidp/fixtures/default.yaml); kept here rather than imported from
# mockidp.testing, which needs pytest. tests/test_parity.py checks they still agree.
M2M_CLIENT_ID = "mockidpM2MClient0000000000000000"
M2M_CLIENT_SECRET = "mockidp-m2m-secret-0000000000000000000000000000000000000000000000"
WEB_CLIENT_ID = "mockidpWebClient0000000000000000"
WEB_CLIENT_SECRET = "mockidp-web-secret-0000000000000000000000000000000000000000000000"

FAKE_VALUES = {"test-client_id": WEB_CLIENT_ID, "test-client_secret": WEB_CLIENT_SECRET}

_READ_OR_WRITE = {"GET", "POST", "PATCH"}


def is_management(path: str) -> bool:
    return path.startswith("/api/v2/")


def needs_management_token(path: str) -> bool:
    """The recorder stripped Authorization; every Management API call had a bearer token."""
    return is_management(path)


def restore_text(text: str, base_url: str) -> str:
    """A recorded string (URL, body, form value) with the recording domain pointing at mockidp."""
    if RECORDED_DOMAIN not in text:
        return text
    host = urlsplit(base_url).netloc
    return _RECORDED_HOST.sub(lambda match: base_url if match.group(1) else host, text)


def restore_value(value: str, base_url: str) -> str:
    """A recorded string value: fake client credentials become mockidp's, and the domain ours."""
    return FAKE_VALUES.get(value) or restore_text(value, base_url)


@dataclass(frozen=True)
class BodyRewrite:
    """How the recorder changed one recorded response body (see the module docstring)."""

    reserialized: bool = False  # through the SDK's structs: unknown keys and nulls are gone
    written_keys: frozenset[str] = frozenset()  # top-level keys the recorder itself put there
    fabricated: bool = False  # the recorder wrote the whole body (signing keys): only status counts
    newer_keys: frozenset[str] = frozenset()  # keys Auth0 added since older cassettes (NEWER_KEYS)


UNCHANGED = BodyRewrite()
_CLIENT = BodyRewrite(True, frozenset({"client_secret", "signing_keys"}))  # set unconditionally
_RESOURCE_SERVER = BodyRewrite(True)  # signing_secret removed
_LOGS = BodyRewrite(True, frozenset({"ip", "[].ip"}))
_TOKEN_SET = BodyRewrite(True, frozenset({"access_token"}))  # id_token removed
_SCIM_TOKEN = BodyRewrite(True, frozenset({"token"}))


# Keys by collection (its items and the collection itself):
# - connections' purposes: absent from every connection recorded before September 2025 unless
#   sent, present on every one recorded since January 2026 (database, social, OIDC, Okta alike);
# - custom domains' created_at and is_default: absent up to 2024, present since late 2025.
# (keyed by a pattern of the paths answering them)
_PURPOSES = frozenset({"authentication", "connected_accounts"})
NEWER_KEYS = {r"/api/v2/connections(/[^/]+)?": _PURPOSES, r"/api/v2/clients/[^/]+/connections": _PURPOSES,
              r"/api/v2/custom-domains(/[^/]+)?": frozenset({"created_at", "is_default"})}


def body_rewrite(method: str, path: str, query: str, status: int, content_type: str) -> BodyRewrite:
    """What the recorder did to this response body; the conditions mirror go-auth0's hooks,
    which for Management API objects ran whatever the status (a 404 was saved as an empty client
    with a redacted secret)."""
    if not is_management(path):  # the token-set hook: 2xx, Content-Type exactly application/json
        return _TOKEN_SET if 200 <= status < 300 and content_type == "application/json" else UNCHANGED
    if path.startswith("/api/v2/clients"):
        client_body = ((method in _READ_OR_WRITE or "/rotate-secret" in path)
                       and "include_totals" not in query
                       and "/connections" not in path and "/credentials" not in path)
        return _CLIENT if client_body else UNCHANGED
    if path.startswith("/api/v2/resource-servers"):
        return _RESOURCE_SERVER if method in _READ_OR_WRITE and "include_totals" not in query else UNCHANGED
    if path.startswith("/api/v2/logs"):
        return _LOGS
    if path.startswith("/api/v2/keys/signing"):
        return BodyRewrite(fabricated=True)
    if method == "POST" and "/scim-configuration/tokens" in path:
        return _SCIM_TOKEN
    for paths, keys in NEWER_KEYS.items():
        if re.fullmatch(paths, path):
            return BodyRewrite(newer_keys=keys)
    return UNCHANGED
