"""Which interactions depend on what the recording tenant already had: the one place listing
why an interaction cannot be expected to answer the same on a fresh mockidp tenant, so that
the replay can give a *self-contained* figure beside the totals.

A replay starts every cassette on a fresh tenant; the recording tenant was a long-lived one, with
objects, settings and features of its own. An interaction depends on that when:

- **preexisting_object**: it names an id (in its path, or under an id key of its query or body)
  that no earlier response of the cassette returned, and Auth0 answered it 2xx: the recording
  tenant already had the object (a user, a client, an action made by hand).
- **after_failed_step**: it names an id an earlier response of the cassette returned on Auth0
  but not on mockidp (the creation or read failed here, or answered another shape): the cause
  is counted once, at that earlier interaction.
- **tenant_feature**: a family the recording tenant answered from its own settings, plan or age,
  listed in TENANT_FEATURES with the reason (a setting a fresh tenant does not have, an object
  it had by name). Rules and hooks, which the recording tenant had because it predates their
  retirement, are not among them: the replay's tenant is such an old one (command.py).

- **recorded_race**: Auth0's answer depended on the timing of its own background work, and the
  cassettes hold both answers for the same sequence: a connection's DELETE repeated after a
  first one answered 202 got 202 again (with the same `deleted_at`) while the deletion still
  ran, 204 once it had finished, at the same pace of requests (go-auth0's Read and ReadByName
  cassettes, each strategy). Every such repeated DELETE is left out, whatever Auth0 answered;
  mockidp answers 204 (docs/behaviour.md).
- **recorder_fake**: it carries a fake the recorder wrote in place of a credential that only the
  recording tenant could verify and that no fresh tenant can be given (world.UNPROVIDABLE: a
  private_key_jwt client assertion signed by the recording client's private key). The other
  placeholders of the authentication cassettes are made live by the replay (world.py) or, where
  it does not yet (an authorization code, an mfa_token), stay counted: a fresh tenant could
  provide them.

- **edited_request**: the request was edited after recording (by hand or a hook): the body saved
  differs from the form go-vcr parsed from it when it recorded (an `oob_code` or a
  `recovery_code` in the form only, another `code_verifier`), so Auth0 never answered the
  request the body describes (go-auth0's MFA verification and PKCE error cassettes; the latter
  answers 401 with an access token).

An id that no response returned and that Auth0 answered with 4xx is a test of a missing or
malformed id: self-contained. Everything not listed above is self-contained.
"""
from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qsl, unquote

from .cassettes import Recorded
from .idmap import ID_KEY, IdMap, looks_like_id
from .world import UNPROVIDABLE, request_parameters

PREEXISTING_OBJECT = "preexisting_object"
AFTER_FAILED_STEP = "after_failed_step"
TENANT_FEATURE = "tenant_feature"
RECORDED_RACE = "recorded_race"
RECORDER_FAKE = "recorder_fake"
EDITED_REQUEST = "edited_request"
REASONS = {
    PREEXISTING_OBJECT: "names an object the cassette never created, which the recording tenant had",
    AFTER_FAILED_STEP: "names an object an earlier interaction created on Auth0 but not on mockidp",
    TENANT_FEATURE: "answered from the recording tenant's own settings, plan or age",
    RECORDED_RACE: "answered by Auth0 one way or the other depending on the timing of its own background work",
    RECORDER_FAKE: "carries a fake credential the recorder wrote that only the recording tenant could verify",
    EDITED_REQUEST: "its saved body was edited after recording: Auth0 never answered the request it describes",
}
# Deletions Auth0 finishes in the background: a repeated DELETE races them
_BACKGROUND_DELETES = re.compile(r"/api/v2/connections/[^/]+")


@dataclass(frozen=True)
class TenantFeature:
    """Interactions of one kind whose answer came from the recording tenant's own state."""

    method: str  # "" for any
    path: re.Pattern[str]  # matched against the recorded path (ids as recorded)
    why: str
    statuses: frozenset[int] = frozenset()  # only when Auth0 answered one of these ("" = any)

    def applies(self, recorded: Recorded, path: str) -> bool:
        return ((not self.method or recorded.method == self.method) and bool(self.path.fullmatch(path))
                and (not self.statuses or recorded.status in self.statuses))


def _feature(method: str, path: str, why: str, *statuses: int) -> TenantFeature:
    return TenantFeature(method, re.compile(path), why, frozenset(statuses))


# Each with its evidence in docs/parity.md ("What depends on the recording tenant").
TENANT_FEATURES = (
    _feature("POST", r"/api/v2/organizations/[^/]+/invitations",
             "the recording tenant had a default login route (tenant settings: invitation_url "
             "https://mycompany.org/login?invitation=...); a new tenant has none and Auth0 "
             "answers 400 without it", 201),
    _feature("POST", r"/api/v2/email-templates",
             "the recording tenant already had the template (409 `Template verify_email already "
             "exists.`); a new tenant has none", 409),
)


class History:
    """What one cassette's earlier responses returned, to judge the ids later requests name."""

    def __init__(self) -> None:
        self.returned: set[str] = set()
        self.deleting: set[str] = set()  # paths whose DELETE Auth0 accepted (202) to finish later

    def judge(self, recorded: Recorded, path: str, query: str, ids: IdMap) -> str | None:
        """The reason `recorded` depends on the recording tenant, or None if self-contained."""
        for feature in TENANT_FEATURES:
            if feature.applies(recorded, path):
                return TENANT_FEATURE
        if recorded.form_disagrees:
            return EDITED_REQUEST
        if 200 <= recorded.status < 300 and unprovidable(recorded):
            return RECORDER_FAKE
        if recorded.method == "DELETE" and path in self.deleting:
            return RECORDED_RACE
        if recorded.method == "DELETE" and recorded.status == 202 and _BACKGROUND_DELETES.fullmatch(path):
            self.deleting.add(path)
        for named in _named_ids(path, query, recorded):
            if named in ids:
                continue
            if named in self.returned:
                return AFTER_FAILED_STEP
            if 200 <= recorded.status < 300:
                return PREEXISTING_OBJECT
        return None

    def remember(self, recorded_body: Any) -> None:
        """Note the ids a recorded response returned."""
        self.returned.update(value for value in _id_values(recorded_body) if looks_like_id(value))


def unprovidable(recorded: Recorded) -> str:
    """The unprovidable fake a request carries (world.UNPROVIDABLE), or ""."""
    parameters = request_parameters(recorded) or {}
    return next((value for value in parameters.values() if isinstance(value, str) and value in UNPROVIDABLE), "")


def feature_reason(recorded: Recorded, path: str) -> str:
    """The `why` of the tenant feature that applies (for the JSON report)."""
    return next((feature.why for feature in TENANT_FEATURES if feature.applies(recorded, path)), "")


def _named_ids(path: str, query: str, recorded: Recorded) -> Iterator[str]:
    """Ids a request names: id-looking path segments, values under id keys of its query and at
    the top of its JSON body (deeper ones are settings: an upstream IdP's `client_id`), and the
    user (`sub`) of a CIBA `login_hint`."""
    for raw in path.split("/"):
        segment = unquote(raw)
        if looks_like_id(segment):
            yield segment
    for key, value in parse_qsl(query, keep_blank_values=True):
        if ID_KEY.match(key) and looks_like_id(value):
            yield value
    login_hint = (request_parameters(recorded) or {}).get("login_hint")
    if isinstance(login_hint, str) and login_hint.startswith("{"):  # CIBA's iss_sub hint names a user
        with suppress(ValueError, AttributeError):
            yield from (value for value in [json.loads(login_hint).get("sub")]
                        if isinstance(value, str) and looks_like_id(value))
    if recorded.content_type.startswith("application/json") and recorded.body:
        try:
            document = json.loads(recorded.body)
        except ValueError:
            return
        if isinstance(document, dict):
            top = {key: value for key, value in document.items() if not isinstance(value, dict)}
            yield from (value for value in _id_values(top) if looks_like_id(value))


def _id_values(document: Any) -> Iterator[str]:
    """Strings under id-like keys (or lists of them), anywhere in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            if ID_KEY.match(key) and isinstance(value, str):
                yield value
            elif ID_KEY.match(key) and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from _id_values(value)
    elif isinstance(document, list):
        for item in document:
            yield from _id_values(item)
