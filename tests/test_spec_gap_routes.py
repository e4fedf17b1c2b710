"""Routes real Auth0 answers that its published spec omits (data/spec_gaps.json `_routes`,
docs/spec-gaps.md), as recorded: the MFA push custom app (/prompts/mfa-push), the WebAuthn
factors' settings, the tokens blacklist (a blacklisted jti is refused by the Management API from
then on) and an event stream's delivery stats. Each answer is checked against the schema the gap
list documents for it, with its scope and its 400 for a bad body."""
from __future__ import annotations

from conftest import Api
from jsonschema import Draft202012Validator
from management_crud import assert_error, scoped

from mockidp.api import validation
from mockidp.core.tokens import jwt as tokens

PUSH = "/api/v2/prompts/mfa-push"
PLATFORM = "/api/v2/guardian/factors/webauthn-platform/settings"
ROAMING = "/api/v2/guardian/factors/webauthn-roaming/settings"
BLACKLIST = "/api/v2/blacklists/tokens"
APP = {"app_name": "bestApp", "apple_app_link": "https://itunes.apple.com/us/app/my-app/id123121",
       "google_app_link": "https://play.google.com/store/apps/details?id=com.my.app"}


def documented(operation: str, response, status: int = 200):
    """The body, valid against the response schema the gap list gives the operation."""
    assert response.status_code == status, response.text
    schema = validation.response_schema(operation, status)
    errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                  .iter_errors(response.json()))
    assert not errors, errors[:3]
    return response.json()


def test_the_gap_routes_are_listed_apart_from_the_spec():
    gaps = set(validation.gap_operation_keys())
    assert "GET /blacklists/tokens" in gaps and not gaps & set(validation.operation_keys())
    assert validation.scopes_for("POST /blacklists/tokens") == ["blacklist:tokens"]


# --- /prompts/mfa-push ------------------------------------------------------------------------

def test_mfa_push_custom_app_is_stored_and_merged(api: Api):
    assert documented("GET /prompts/mfa-push", api.get(PUSH)) == {}
    assert documented("PATCH /prompts/mfa-push", api.patch(PUSH, json=APP)) == APP
    renamed = api.patch(PUSH, json={"app_name": "CustomApp1"}).json()
    assert renamed == {**APP, "app_name": "CustomApp1"}
    assert api.get(PUSH).json() == renamed


def test_mfa_push_refuses_unknown_keys_and_wrong_types(api: Api):
    assert_error(api.patch(PUSH, json={"app_name": 3}), 400,
                 "Payload validation error: 'Expected type string but found type integer' on property app_name.",
                 "invalid_body")
    assert api.patch(PUSH, json={"nope": "x"}).status_code == 400
    assert api.get(PUSH).json() == {}  # nothing written


def test_mfa_push_needs_the_prompts_scopes(mockidp):
    reader = scoped(mockidp, "read:prompts")
    assert reader.get(PUSH).status_code == 200
    assert_error(reader.patch(PUSH, json=APP), 403, "Insufficient scope, expected any of: update:prompts",
                 "insufficient_scope")


# --- WebAuthn settings --------------------------------------------------------------------------

def test_webauthn_roaming_settings_as_recorded(api: Api):
    assert documented("GET /guardian/factors/webauthn-roaming/settings", api.get(ROAMING)) == {
        "userVerification": "required", "overrideRelyingParty": False}
    put = api.put(ROAMING, json={"userVerification": "preferred"})
    assert documented("PUT /guardian/factors/webauthn-roaming/settings", put) == {"userVerification": "preferred"}
    assert api.get(ROAMING).json() == {"userVerification": "preferred", "overrideRelyingParty": False}


def test_webauthn_platform_settings_as_recorded(api: Api):
    assert documented("GET /guardian/factors/webauthn-platform/settings", api.get(PLATFORM)) == {
        "overrideRelyingParty": False}
    body = {"overrideRelyingParty": True, "relyingPartyIdentifier": "example.com"}
    assert api.put(PLATFORM, json=body).json() == body
    assert api.get(PLATFORM).json() == body


def test_webauthn_settings_refuse_bad_bodies(mockidp, api: Api):
    assert api.put(ROAMING, json={"userVerification": "sometimes"}).status_code == 400
    assert api.put(PLATFORM, json={"overrideRelyingParty": "yes"}).status_code == 400
    assert api.get(ROAMING).json()["userVerification"] == "required"
    reader = scoped(mockidp, "read:guardian_factors")
    assert reader.put(PLATFORM, json={}).status_code == 403


# --- the tokens blacklist -----------------------------------------------------------------------

def _token_with_jti(mockidp, jti: str) -> str:
    """A Management API token carrying a jti (mockidp's client-credentials tokens have none)."""
    claims = tokens.decode_rs256(mockidp.management_token(), mockidp.tenant.keys.signing_key)
    return tokens.sign(mockidp.tenant.keys.signing_key, {**claims, "jti": jti})


def test_blacklist_as_recorded(api: Api):
    client_id = api.post("/api/v2/clients", json={"name": "Blacklisted"}).json()["client_id"]
    answer = api.post(BLACKLIST, json={"aud": client_id, "jti": "test"})
    assert (answer.status_code, answer.text) == (204, "")
    listed = api.get(BLACKLIST, params={"aud": client_id, "include_totals": "true", "per_page": 50})
    assert documented("GET /blacklists/tokens", listed) == [{"aud": client_id, "jti": "test"}]
    assert api.post(BLACKLIST, json={"aud": client_id, "jti": "test"}).status_code == 204  # once only
    assert api.get(BLACKLIST).json() == [{"aud": client_id, "jti": "test"}]
    assert api.get(BLACKLIST, params={"aud": "another"}).json() == []


def test_a_blacklisted_jti_is_refused_by_the_management_api(mockidp, api: Api):
    token = _token_with_jti(mockidp, "jti-1")
    holder, other = Api(mockidp.url, token), Api(mockidp.url, _token_with_jti(mockidp, "jti-2"))
    assert holder.get("/api/v2/users").status_code == 200  # verified once: the cache must not keep it
    assert api.post(BLACKLIST, json={"jti": "jti-1"}).status_code == 204
    refused = holder.get("/api/v2/users")
    assert (refused.status_code, refused.json()["message"], refused.json()["attributes"]) == (
        401, "Token has been revoked", {"error": "Token has been revoked"})
    assert other.get("/api/v2/users").status_code == 200


def test_a_blacklisted_jti_for_another_audience_still_works(mockidp, api: Api):
    holder = Api(mockidp.url, _token_with_jti(mockidp, "jti-3"))
    assert api.post(BLACKLIST, json={"aud": "some-client", "jti": "jti-3"}).status_code == 204
    assert holder.get("/api/v2/users").status_code == 200


def test_blacklist_refuses_bad_bodies_and_needs_its_scope(mockidp, api: Api):
    assert_error(api.post(BLACKLIST, json={"aud": "x"}), 400,
                 "Payload validation error: 'Missing required property: jti'.", "invalid_body")
    assert api.post(BLACKLIST, data="").status_code == 400
    assert api.post(BLACKLIST, json={"jti": "x", "other": 1}).status_code == 400
    assert api.get(BLACKLIST).json() == []
    reader = scoped(mockidp, "read:users")
    assert_error(reader.get(BLACKLIST), 403, "Insufficient scope, expected any of: blacklist:tokens",
                 "insufficient_scope")


# --- event stream stats -------------------------------------------------------------------------

def _stream(api: Api) -> dict:
    return api.post("/api/v2/event-streams", json={
        "name": "hooks", "subscriptions": [{"event_type": "user.created"}],
        "destination": {"type": "webhook", "configuration": {
            "webhook_endpoint": "https://example.com/hook",
            "webhook_authorization": {"method": "bearer", "token": "t"}}}}).json()


def test_event_stream_stats_have_auth0s_window_and_zero_counts(mockidp, api: Api):
    mockidp.freeze("2025-09-08T06:34:34Z")  # the recorded instant: its window and buckets follow
    stream = _stream(api)
    assert api.post(f"/api/v2/event-streams/{stream['id']}/test", json={"event_type": "user.created"}).status_code == 202
    stats = documented("GET /event-streams/{id}/stats", api.get(f"/api/v2/event-streams/{stream['id']}/stats"))
    assert (stats["id"], stats["name"]) == (stream["id"], "hooks")
    assert stats["window"] == {"date_from": "2025-08-25T06:00:00.000Z", "date_to": "2025-09-08T07:00:00.000Z",
                               "bucket_interval": {"scale_factor": 86400}}
    assert stats["buckets"] == [f"2025-08-{day}T00:00:00.000Z" for day in range(25, 32)] + [
        f"2025-09-0{day}T00:00:00.000Z" for day in range(1, 9)]
    assert [(metric["name"], metric["window_total"], metric["type"], metric["data"]) for metric in stats["metrics"]] == [
        ("auth0.event_streams.successful_deliveries", 0, "sum", [0] * 15),
        ("auth0.event_streams.failed_deliveries", 0, "sum", [0] * 15)]


def test_event_stream_stats_count_delivery_attempts_per_day(mockidp, api: Api):
    """mockidp pushes nothing, so its deliveries have no attempts: a state with attempts (as a
    snapshot could hold) shows how they are counted, per day and inside the window only."""
    mockidp.freeze("2025-09-08T06:34:34Z")
    stream = _stream(api)
    tenant = mockidp.tenant
    attempts = [{"status": "failed", "timestamp": "2025-09-08T06:30:00.000Z"},
                {"status": "failed", "timestamp": "2025-09-08T06:31:00.000Z"},
                {"status": "success", "timestamp": "2025-08-26T12:00:00.000Z"},
                {"status": "success", "timestamp": "2025-08-25T05:00:00.000Z"}]  # before the window
    with tenant.lock:
        deliveries = {"evt_1": {"id": "evt_1", "event_stream_id": stream["id"], "event_type": "user.created",
                                "status": "failed", "attempts": attempts}}
        tenant.directory.resources = {**tenant.directory.resources, "/event-streams/{id}/deliveries": deliveries}
    metrics = api.get(f"/api/v2/event-streams/{stream['id']}/stats").json()["metrics"]
    assert [(metric["window_total"], metric["data"]) for metric in metrics] == [
        (1, [0, 1] + [0] * 13), (2, [0] * 14 + [2])]


def test_stats_of_an_unknown_stream_are_404(api: Api):
    assert_error(api.get("/api/v2/event-streams/est_0000000000000000000000/stats"), 404,
                 "The requested stream does not exist.")
