"""`mockidp parity`: replaying recorded Auth0 traffic against mockidp.

Unit tests use small cassettes written here into tmp_path (recordings are never copied into the
repository); one test replays the real recordings beside the repository clone, when present,
against the committed ledger.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from mockidp import testing
from mockidp.cli import main as mockidp_main
from mockidp.core.fixtures.files import DEFAULT_FIXTURE
from mockidp.parity import cassettes, compare, dependence, recording, world
from mockidp.parity.idmap import IdMap, looks_like_id, path_template

RECORDINGS = Path(__file__).resolve().parents[2] / "shared/reference/auth0-recordings"
LEDGER = Path(__file__).resolve().parent / "data/parity-ledger.json"
AUTH0 = "https://go-auth0-dev.eu.auth0.com"
RECORDED_BARE_ID = "5f0c0ffee0000000000000aa"
RECORDED_USER_ID = f"auth0|{RECORDED_BARE_ID}"
ROUTE_NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


# --- writing cassettes the way go-auth0's recorder does ----------------------------------------

def exchange(method: str, path: str, status: int, response=None, body=None,
             content_type: str = "application/json") -> dict:
    """One go-vcr interaction; `response` and `body` are JSON documents (or raw strings)."""
    as_text = lambda value: value if isinstance(value, str) else json.dumps(value)  # noqa: E731
    return {
        "request": {"method": method, "url": f"{AUTH0}{path}", "form": {},
                    "headers": {"Content-Type": [content_type], "User-Agent": ["Go-Auth0/1.0"]},
                    "body": "" if body is None else as_text(body)},
        "response": {"status": f"{status} X", "code": status,
                     "headers": {"Content-Type": ["application/json; charset=utf-8"]},
                     "body": "" if response is None else as_text(response)},
    }


def write_cassette(path: Path, *interactions: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [{"id": index, **item} for index, item in enumerate(interactions)]
    path.write_text(yaml.safe_dump({"version": 2, "interactions": items}), encoding="utf-8")
    return path


def parity(*args: str | Path) -> int:
    """`mockidp parity ...` as a user types it."""
    return mockidp_main(["parity", *map(str, args)])


def report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def recorded_user(api) -> dict:
    """A user body shaped like mockidp's, carrying the ids a recording tenant would have made."""
    live = api.post("/api/v2/users", json={"connection": "Username-Password-Authentication",
                                           "email": "replayed@example.com", "password": "Sup3r$ecret!"}).json()
    bare_id = live["user_id"].split("|", 1)[1]
    return json.loads(json.dumps(live).replace(bare_id, RECORDED_BARE_ID))


def user_cassette(tmp_path: Path, recorded_user: dict, read_status: int = 200) -> Path:
    """Create a user, read it back by its recorded id, call a route mockidp lacks, delete it."""
    create = {"connection": "Username-Password-Authentication", "email": "replayed@example.com",
              "password": "Sup3r$ecret!"}
    return write_cassette(
        tmp_path / "recordings/management/TestUsers.yaml",
        exchange("POST", "/api/v2/users", 201, recorded_user, create),
        exchange("GET", "/api/v2/users/auth0%7C" + RECORDED_BARE_ID, read_status, recorded_user),
        exchange("GET", "/api/v2/no-such-family", 200, {"anything": True}),
        exchange("DELETE", "/api/v2/users/auth0%7C" + RECORDED_BARE_ID, 204),
    )


# --- id mapping and substitution ----------------------------------------------------------------

def test_ids_are_learnt_at_the_same_json_path_and_substituted_in_later_requests():
    ids = IdMap()
    ids.learn({"user_id": RECORDED_USER_ID, "identities": [{"user_id": RECORDED_BARE_ID}],
               "client_id": "RecordedClient0000000000000000aa", "name": "kept"},
              {"user_id": "auth0|live1", "identities": [{"user_id": "live1"}],
               "client_id": "LiveClient000000000000000000000b", "name": "other"})
    assert ids.as_dict() == {RECORDED_USER_ID: "auth0|live1", RECORDED_BARE_ID: "live1",
                             "RecordedClient0000000000000000aa": "LiveClient000000000000000000000b"}
    assert ids.path(f"/api/v2/users/auth0%7C{RECORDED_BARE_ID}/roles") == "/api/v2/users/auth0%7Clive1/roles"
    assert ids.query(f"q=user_id%3A%22{RECORDED_USER_ID}%22&page=0") == "q=user_id%3A%22auth0%7Clive1%22&page=0"
    body = ids.body(json.dumps({"users": [RECORDED_USER_ID], "note": f"for {RECORDED_USER_ID}"}),
                    "application/json")
    assert json.loads(body) == {"users": ["auth0|live1"], "note": "for auth0|live1"}
    assert ids.body(f"client_id=RecordedClient0000000000000000aa&x=1",
                    "application/x-www-form-urlencoded") == "client_id=LiveClient000000000000000000000b&x=1"


def test_a_bare_recorded_id_inside_a_longer_one_is_replaced_too():
    ids = IdMap()
    ids.learn({"_id": RECORDED_BARE_ID}, {"_id": "live2"})
    assert ids.text(f"email|{RECORDED_BARE_ID}") == "email|live2"


def test_words_lists_of_other_lengths_and_second_claims_are_not_learnt():
    ids = IdMap()
    ids.learn({"supported_triggers": [{"id": "post-login"}]}, {"supported_triggers": [{"id": "credentials-exchange"}]})
    ids.learn({"items": [{"id": "con_RecordedAAAA"}, {"id": "con_RecordedBBBB"}]}, {"items": [{"id": "con_Live1111"}]})
    assert len(ids) == 0  # a word is not an id; lists of different lengths pair nothing
    ids.learn({"id": "con_RecordedAAAA"}, {"id": "con_Live1111"})
    ids.learn({"id": "con_RecordedAAAA"}, {"id": "con_Live2222"})  # the first pair wins
    ids.learn({"id": "con_RecordedCCCC"}, {"id": "con_Live1111"})  # a live id stands for one
    assert ids.as_dict() == {"con_RecordedAAAA": "con_Live1111"}


@pytest.mark.parametrize(("path", "template"), [
    ("/api/v2/users/auth0%7C63d16b5edf1ce171262c71b5/roles", "/api/v2/users/{id}/roles"),
    ("/api/v2/connections/con_0AjkvDzYmclvswGe", "/api/v2/connections/{id}"),
    ("/api/v2/actions/actions/8b049653-0b15-49fc-9d4c-c66fbc4af8cb/versions/01GQN0P01XY4VE0PCK7H20QZ4M",
     "/api/v2/actions/actions/{id}/versions/{id}"),
    ("/api/v2/actions/triggers/post-login/bindings", "/api/v2/actions/triggers/post-login/bindings"),
    ("/api/v2/email-templates/verify_email", "/api/v2/email-templates/verify_email"),
    ("/api/v2/anomaly/blocks/ips/1.1.1.1", "/api/v2/anomaly/blocks/ips/{id}"),
    ("/api/v2/prompts/login/custom-text/en", "/api/v2/prompts/login/custom-text/en"),
])
def test_the_family_template_replaces_id_segments(path, template):
    assert path_template(path) == template


def test_a_segment_learnt_as_an_id_is_templated_even_if_it_looks_like_a_word():
    ids = IdMap()
    ids.learn({"id": "con_abcdefgh"}, {"id": "con_live"})
    assert looks_like_id("con_abcdefgh") and path_template("/api/v2/x/con_abcdefgh", ids) == "/api/v2/x/{id}"


# --- comparison and classification --------------------------------------------------------------

def test_key_differences_tell_missing_extra_and_absent_from_null():
    top, nested = compare.key_differences(
        {"a": 1, "b": None, "c": 2, "o": {"x": 1, "y": {"deep": 1}}},
        {"a": 1, "d": None, "e": 3, "o": {"x": 1, "z": None, "y": {}}})
    assert top == ["null-vs-absent b", "missing c", "absent-vs-null d", "extra e"]
    assert sorted(nested) == ["absent-vs-null o.z", "missing o.y.deep"]


def test_lists_compare_their_first_items_and_paged_wrappers_their_items_too():
    assert compare.key_differences([{"id": 1, "name": "a"}], [{"id": 2}])[0] == ["missing [].name"]
    assert compare.key_differences([], [{"id": 2}]) == ([], [])  # an empty list shows no shape
    recorded = {"users": [{"user_id": "a", "email": "x"}], "total": 1, "start": 0}
    live = {"users": [{"user_id": "b"}], "total": 1, "start": 0, "limit": 50}
    assert compare.key_differences(recorded, live)[0] == ["extra limit", "missing users[].email"]
    assert compare.key_differences({"a": 1}, "")[0] == ["body: Auth0 object, mockidp text"]
    assert compare.key_differences(compare.parse_body(""), compare.parse_body("{}"))[0] == \
        ["body: Auth0 empty, mockidp object"]


def test_re_serialized_recordings_and_recorder_written_keys_are_not_held_against_mockidp():
    rewrite = recording.body_rewrite("GET", "/api/v2/clients/abc", "", 404, "application/json; charset=utf-8")
    assert rewrite.reserialized and "signing_keys" in rewrite.written_keys
    recorded = {"client_secret": "[REDACTED]", "signing_keys": [{"cert": "[REDACTED]"}]}
    live = {"statusCode": 404, "error": "Not Found", "message": "The client does not exist"}
    assert compare.key_differences(recorded, live, rewrite.reserialized, rewrite.written_keys) == ([], [])
    plain = recording.body_rewrite("GET", "/api/v2/users/abc", "", 200, "application/json; charset=utf-8")
    assert plain == recording.UNCHANGED
    assert recording.body_rewrite("GET", "/api/v2/keys/signing", "", 200, "application/json").fabricated


def test_keys_auth0_added_since_an_older_cassette_are_not_extra_but_still_missing():
    rewrite = recording.body_rewrite("GET", "/api/v2/connections", "", 200, "application/json")
    assert rewrite.newer_keys == {"authentication", "connected_accounts"}
    older = {"connections": [{"id": "con_1", "name": "db"}], "total": 1}
    live = {"connections": [{"id": "con_2", "name": "db", "authentication": {"active": True}}], "total": 1}
    assert compare.key_differences(older, live, newer_keys=rewrite.newer_keys) == ([], [])
    newer = {"id": "con_1", "authentication": {"active": True}, "connected_accounts": {"active": False}}
    assert compare.key_differences(newer, {"id": "con_2"}, newer_keys=rewrite.newer_keys)[0] == \
        ["missing authentication", "missing connected_accounts"]
    assert recording.body_rewrite("GET", "/api/v2/connections/con_1/clients", "", 200, "").newer_keys == frozenset()


@pytest.mark.parametrize(("recorded", "live", "live_body", "differences", "expected"), [
    (200, 200, {}, [], compare.MATCH),
    (200, 200, {}, ["missing a"], compare.STATUS_ONLY),
    (201, 400, {}, [], compare.MISMATCH_STATUS),
    (200, 500, {}, [], compare.SERVER_ERROR),
    (200, None, "ConnectionResetError", [], compare.SERVER_ERROR),
    (200, 404, ROUTE_NOT_FOUND, [], compare.NOT_FOUND_ROUTE),
    (404, 404, ROUTE_NOT_FOUND, [], compare.NOT_FOUND_ROUTE),  # a missing route is no match
    (404, 404, {"statusCode": 404, "error": "Not Found", "message": "The user does not exist."}, [],
     compare.MATCH),
])
def test_classification(recorded, live, live_body, differences, expected):
    recorded_body = {"statusCode": 404, "message": "The user does not exist."}
    assert compare.classify(recorded, live, live_body, recorded_body, differences) == expected


def test_the_route_not_found_body_is_the_one_mockidp_answers(anonymous):
    response = anonymous.get("/api/v2/no-such-family")
    assert response.status_code == 404 and response.json() == compare.route_not_found_body(404)


# --- what the recorder rewrote ------------------------------------------------------------------

def test_the_recording_domain_and_fake_credentials_point_at_mockidp():
    base = "http://localhost:8080"
    assert recording.restore_text(f"{AUTH0}.us.auth0.com/api/v2/", base) == f"{base}/api/v2/"
    assert recording.restore_text("go-auth0-dev.eu.auth0.com", base) == "localhost:8080"
    assert recording.restore_value("test-client_id", base) == recording.WEB_CLIENT_ID
    assert recording.restore_value("test-client_secret", base) == recording.WEB_CLIENT_SECRET


def test_the_replayer_uses_the_default_fixture_clients():
    clients = {client["client_id"]: client for client in yaml.safe_load(DEFAULT_FIXTURE.read_text())["clients"]}
    assert (recording.M2M_CLIENT_ID, recording.M2M_CLIENT_SECRET) == \
        (testing.DEFAULT_M2M_CLIENT_ID, testing.DEFAULT_M2M_CLIENT_SECRET)
    assert clients[recording.WEB_CLIENT_ID]["client_secret"] == recording.WEB_CLIENT_SECRET


# --- the command, end to end on synthetic cassettes ---------------------------------------------

def test_a_replay_maps_ids_classifies_and_reports_families(mockidp, recorded_user, tmp_path, capsys):
    cassette = user_cassette(tmp_path, recorded_user)
    out = tmp_path / "parity.json"
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--json", out) == 0
    results = report(out)["interactions"]
    assert [(r["cassette"], r["index"], r["family"], r["classification"]) for r in results] == [
        ("management/TestUsers.yaml", 0, "POST /api/v2/users", "match"),
        ("management/TestUsers.yaml", 1, "GET /api/v2/users/{id}", "match"),  # the recorded id was mapped
        ("management/TestUsers.yaml", 2, "GET /api/v2/no-such-family", "not_found_route"),
        ("management/TestUsers.yaml", 3, "DELETE /api/v2/users/{id}", "match"),
    ]
    assert cassette.exists()
    printed = capsys.readouterr().out
    assert "GET /api/v2/users/{id}" in printed and "replayed 1 cassettes, 4 interactions" in printed
    assert report(out)["summary"]["management"]["total"]["full_matches"] == 3


def test_null_where_mockidp_has_no_key_is_a_key_difference(mockidp, recorded_user, tmp_path):
    user_cassette(tmp_path, {**recorded_user, "last_password_reset": None})
    out = tmp_path / "parity.json"
    parity(tmp_path / "recordings", "--url", mockidp.url, "--json", out)
    first = report(out)["interactions"][0]
    assert first["classification"] == "status_only"
    assert first["differences"] == ["null-vs-absent last_password_reset"]


def test_interactions_that_depend_on_the_recording_tenant_are_classified_and_left_out(
        mockidp, recorded_user, tmp_path, capsys):
    create = {"connection": "Username-Password-Authentication", "email": "replayed@example.com",
              "password": "Sup3r$ecret!"}
    refused_role = {"name": 5}  # mockidp refuses it; the recording tenant created rol_Recorded0001
    write_cassette(
        tmp_path / "recordings/management/TestDependence.yaml",
        exchange("POST", "/api/v2/users", 201, recorded_user, create),
        exchange("GET", "/api/v2/users/auth0%7C" + RECORDED_BARE_ID, 200, recorded_user),
        # an id no response returned: the recording tenant had it (200), or it is a test of a missing one (404)
        exchange("GET", "/api/v2/clients/HandMadeClient00000000000000001", 200, {"client_id": "x"}),
        exchange("GET", "/api/v2/clients/HandMadeClient00000000000000002", 404, {"statusCode": 404}),
        exchange("POST", "/api/v2/roles", 200, {"id": "rol_Recorded0001", "name": ""}, refused_role),
        exchange("GET", "/api/v2/roles/rol_Recorded0001", 200, {"id": "rol_Recorded0001", "name": ""}),
        exchange("POST", "/api/v2/email-templates", 409, {"statusCode": 409}, {"template": "verify_email"}),
        exchange("POST", "/api/v2/users", 201, recorded_user, {**create, "client_id": "HandMade0000003"}),
    )
    out = tmp_path / "parity.json"
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--json", out) == 0
    document = report(out)
    results = document["interactions"]
    assert [(r["index"], r["depends_on"]) for r in results] == [
        (0, ""), (1, ""), (2, "preexisting_object"), (3, ""), (4, ""),
        (5, "after_failed_step"), (6, "tenant_feature"), (7, "preexisting_object")]
    assert [r["classification"] for r in results[:5]] == ["match", "match", "mismatch_status", "match",
                                                         "mismatch_status"]
    self_contained = document["summary"]["management"]["self_contained"]
    assert (self_contained["interactions"], self_contained["status_matches"]) == (4, 3)
    assert document["summary"]["management"]["dependent"] == \
        {"preexisting_object": 2, "after_failed_step": 1, "tenant_feature": 1, "recorded_race": 0,
         "recorder_fake": 0, "edited_request": 0}
    assert set(document["summary"]["dependence_reasons"]) == set(dependence.REASONS)
    printed = capsys.readouterr().out
    assert "management self-contained" in printed and "75.0%" in printed
    assert "left out of the self-contained figure: 4 (2 preexisting_object, 1 after_failed_step, " \
           "1 tenant_feature, 0 recorded_race, 0 recorder_fake, 0 edited_request)" in printed


def test_a_repeated_connection_delete_is_a_recorded_race_whatever_auth0_answered():
    history, ids = dependence.History(), IdMap()
    delete = lambda status: cassettes.Recorded("DELETE", "", "", "", status, "", "")  # noqa: E731
    path = "/api/v2/connections/con_Recorded000001"
    assert history.judge(delete(202), path, "", ids) == "preexisting_object"  # never created here
    assert history.judge(delete(202), path, "", ids) == "recorded_race"
    assert history.judge(delete(204), path, "", ids) == "recorded_race"
    assert history.judge(delete(204), "/api/v2/clients/abc", "", ids) is None


def test_a_tenant_feature_names_its_reason():
    taken = cassettes.Recorded("POST", f"{AUTH0}/api/v2/email-templates", "application/json", "{}", 409, "", "")
    assert "already had the template" in dependence.feature_reason(taken, "/api/v2/email-templates")
    invitation = cassettes.Recorded("POST", "", "application/json", "{}", 400, "", "")
    # only Auth0's 201 came from the recording tenant's default login route; its 400 is any tenant's
    assert dependence.History().judge(invitation, "/api/v2/organizations/org_1/invitations", "", IdMap()) is None


def test_authentication_cassettes_replay_with_mockidp_credentials(mockidp, tmp_path):
    signup = {"client_id": "test-client_id", "connection": "Username-Password-Authentication",
              "email": "signup@example.com", "password": "Sup3r$ecret!"}
    write_cassette(tmp_path / "TestSignup.yaml", exchange(
        "POST", "/dbconnections/signup", 200, {"_id": "668fbaab724b1bf53b436691", "email_verified": False,
                                               "email": "signup@example.com"}, signup))
    out = tmp_path / "parity.json"
    assert parity(tmp_path / "TestSignup.yaml", "--url", mockidp.url, "--json", out) == 0
    [result] = report(out)["interactions"]
    assert (result["cassette"], result["api"], result["live_status"]) == ("TestSignup.yaml", "authentication", 200)


# --- the replay world of the authentication cassettes ------------------------------------------

def token_exchange(response, body, form: bool = False) -> dict:
    """A 2xx POST /oauth/token as go-auth0 recorded it: a form (OAuth calls) or JSON request, and a
    response its token-set hook re-serialized (Content-Type exactly application/json)."""
    recorded = exchange("POST", "/oauth/token", 200, response, urlencode(body) if form else body,
                        "application/x-www-form-urlencoded" if form else "application/json")
    recorded["response"]["headers"]["Content-Type"] = ["application/json"]
    return recorded


def recorded_request(body: dict, form: bool = False) -> cassettes.Recorded:
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    text = urlencode(body) if form else json.dumps(body)
    return cassettes.Recorded("POST", f"{AUTH0}/oauth/token", content_type, text, 200, "", "")


def test_a_client_assertion_is_a_recorder_fake_only_when_auth0_accepted_it():
    sent = {"client_id": "test-client_id", "client_assertion": world.FAKE_ASSERTION,
            "grant_type": "client_credentials", "audience": "test-audience"}
    accepted = recorded_request(sent, form=True)
    assert dependence.unprovidable(accepted) == world.FAKE_ASSERTION
    assert dependence.History().judge(accepted, "/oauth/token", "", IdMap()) == "recorder_fake"
    refused = cassettes.Recorded(**{**accepted.__dict__, "status": 401})
    assert dependence.History().judge(refused, "/oauth/token", "", IdMap()) is None
    secret = recorded_request({**sent, "client_assertion": None, "client_secret": "test-client_secret"})
    assert dependence.unprovidable(secret) == ""


def test_a_ciba_login_hint_names_its_user():
    hint = json.dumps({"format": "iss_sub", "iss": f"{AUTH0}/", "sub": "auth0|6707939cad3d8bec47ecfa2e"})
    initiate = cassettes.Recorded("POST", f"{AUTH0}/bc-authorize", "application/x-www-form-urlencoded",
                                  urlencode({"login_hint": hint, "scope": "openid"}), 200, "", "")
    assert dependence.History().judge(initiate, "/bc-authorize", "", IdMap()) == "preexisting_object"
    unknown = cassettes.Recorded(**{**initiate.__dict__, "status": 400})  # a test of an unknown user
    assert dependence.History().judge(unknown, "/bc-authorize", "", IdMap()) is None


def test_a_request_edited_after_recording_is_told_by_its_form(tmp_path):
    sent = {"grant_type": "http://auth0.com/oauth/grant-type/mfa-oob", "mfa_token": "mfa-token"}
    edited = exchange("POST", "/oauth/token", 400, {"error": "authorization_pending"}, urlencode(sent),
                      "application/x-www-form-urlencoded")
    edited["request"]["form"] = {key: [value] for key, value in {**sent, "oob_code": "oob-token"}.items()}
    faithful = exchange("POST", "/oauth/token", 400, {}, urlencode({**sent, "iss": f"{AUTH0}.us.auth0.com/"}),
                        "application/x-www-form-urlencoded")
    # the recorder rewrote the tenant's domain in the body only: not an edit
    faithful["request"]["form"] = {**{key: [value] for key, value in sent.items()},
                                   "iss": ["https://tenant.us.auth0.com/"]}
    file = write_cassette(tmp_path / "TestEdited.yaml", edited, faithful)
    first, second = cassettes.load_cassette(file, "TestEdited.yaml").interactions
    assert (first.form_disagrees, second.form_disagrees) == (True, False)
    assert dependence.History().judge(first, "/oauth/token", "", IdMap()) == "edited_request"
    assert dependence.History().judge(second, "/oauth/token", "", IdMap()) is None


class _NoConnection:
    """A world that must not need mockidp: any call fails the test."""

    def call(self, *args, **kwargs):
        raise AssertionError(f"unexpected call {args}")


@pytest.mark.parametrize("body, client", [
    ({"client_id": "test-client_id", "client_secret": "test-client_secret"},
     (recording.WEB_CLIENT_ID, recording.WEB_CLIENT_SECRET)),
    ({"client_id": "test-client_id", "client_assertion": "test-client_assertion"},
     (recording.WEB_CLIENT_ID, recording.WEB_CLIENT_SECRET)),
    ({"client_id": "someone-else"}, ("", "")),
])
def test_the_recorded_client_is_the_web_client_when_the_request_authenticates(body, client):
    assert world.ReplayWorld(_NoConnection())._client(body) == client


def test_requests_without_placeholders_and_management_requests_are_sent_as_recorded():
    replay_world = world.ReplayWorld(_NoConnection())
    plain = recorded_request({"client_id": "mine", "grant_type": "password", "username": "someone"})
    assert replay_world.live_request(plain) == world.LiveRequest(plain.body)
    management = cassettes.Recorded("POST", f"{AUTH0}/api/v2/users", "application/json",
                                    '{"client_id": "test-client_id"}', 201, "", "")
    assert replay_world.live_request(management).body == management.body


def test_every_fake_value_of_the_authentication_recordings_is_a_documented_placeholder():
    if not RECORDINGS.is_dir():
        pytest.skip(f"no Auth0 recordings at {RECORDINGS}")
    documented = {placeholder.value for placeholder in world.PLACEHOLDERS}
    fakes = set()
    for file, name in cassettes.find_cassettes([RECORDINGS / "authentication"]):
        for recorded in cassettes.load_cassette(file, name).interactions:
            for value in (world.request_parameters(recorded) or {}).values():
                if isinstance(value, str) and re.fullmatch(r"(test|my|mfa|oob)-[a-z_-]+", value):
                    fakes.add(value)
    assert fakes and fakes <= documented, sorted(fakes - documented)


def test_placeholders_are_made_live_so_a_refresh_and_a_passwordless_login_replay(mockidp, tmp_path):
    rotated = {"access_token": "test-access-token", "expires_in": 86400, "token_type": "Bearer",
               "scope": "openid profile email offline_access", "refresh_token": "test-refresh-token"}
    refresh = {"client_id": "test-client_id", "grant_type": "refresh_token", "refresh_token": "test-refresh-token"}
    write_cassette(tmp_path / "auth/TestRefreshToken.yaml", token_exchange(rotated, refresh, form=True))
    login = {"client_id": "test-client_id", "otp": "123456", "username": "test-email@example.com",
             "grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp", "realm": "email",
             "scope": "openid profile email offline_access", "audience": "https://api.example.com"}
    tokens = {"access_token": "test-access-token", "expires_in": 86400, "token_type": "Bearer",
              "refresh_token": "test-refresh-token"}
    write_cassette(tmp_path / "auth/TestLoginWithEmail.yaml", token_exchange(tokens, login))
    out = tmp_path / "parity.json"
    assert parity(tmp_path / "auth", "--url", mockidp.url, "--json", out) == 0
    results = {r["cassette"]: r for r in report(out)["interactions"]}
    assert {name: (r["live_status"], r["classification"], r["depends_on"]) for name, r in results.items()} == {
        "TestLoginWithEmail.yaml": (200, "match", ""), "TestRefreshToken.yaml": (200, "match", "")}


@pytest.mark.parametrize("name", ["TestRefreshToken/Should_return_tokens.yaml", "TestLoginWithSMS.yaml",
                                  "TestOAuthLoginWithPassword/Should_return_tokens.yaml",
                                  "TestLoginWithClientCredentials/Should_allow_overriding_clientid.yaml",
                                  "TestUserInfo.yaml", "TestLoginWithAuthCode/Should_return_tokens.yaml",
                                  "TestLoginWithAuthCodeWithPKCE/Should_support_setting_a_redirect_uri.yaml",
                                  "TestMFAVerifyWithOTP/Should_return_tokens_for_a_valid_request.yaml",
                                  "TestMFAListAuthenticators.yaml",
                                  "TestDatabaseSignUp_WithPhoneNumberIdentifier.yaml"])
def test_real_authentication_cassettes_replay_in_their_world(mockidp, tmp_path, name):
    cassette = RECORDINGS / "authentication" / name
    if not cassette.is_file():
        pytest.skip(f"no Auth0 recording {cassette}")
    out = tmp_path / "parity.json"
    assert parity(cassette, "--url", mockidp.url, "--json", out) == 0
    [result] = report(out)["interactions"]
    assert (result["recorded_status"], result["live_status"], result["depends_on"]) == (200, 200, "")
    assert result["classification"] in ("match", "status_only") and result["differences"] in (
        [], ["missing unknown-param"])  # /userinfo: a claim the recording tenant's user had


def test_the_ledger_ratchet_fails_when_a_ledgered_interaction_stops_matching(mockidp, recorded_user,
                                                                          tmp_path, capsys):
    user_cassette(tmp_path, recorded_user)
    ledger = tmp_path / "ledger.json"
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--ledger", ledger, "--update-ledger") == 0
    written = report(ledger)
    assert written["full"] == ["management/TestUsers.yaml#0", "management/TestUsers.yaml#1",
                               "management/TestUsers.yaml#3"]
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--ledger", ledger) == 0

    user_cassette(tmp_path, recorded_user, read_status=202)  # interaction 1 no longer matches
    capsys.readouterr()
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--ledger", ledger) == 1
    printed = capsys.readouterr()
    assert "REGRESSION: management/TestUsers.yaml#1 no longer matches its recorded status" in printed.out
    assert "1 ledgered interaction(s) no longer match" in printed.err


def test_new_matches_only_say_the_ledger_can_be_updated(mockidp, recorded_user, tmp_path, capsys):
    user_cassette(tmp_path, recorded_user)
    ledger = tmp_path / "ledger.json"
    ledger.write_text(json.dumps({"format": 1, "status": [], "full": ["elsewhere.yaml#0"]}))
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--ledger", ledger) == 0
    assert "ledger can be updated: 3 new status matches, 3 new full matches" in capsys.readouterr().out
    assert parity(tmp_path / "recordings", "--url", mockidp.url, "--ledger", ledger, "--update-ledger") == 0
    assert "elsewhere.yaml#0" in report(ledger)["full"]  # cassettes not replayed are kept


def test_exit_codes_when_the_command_cannot_run(mockidp, tmp_path, capsys):
    assert parity(tmp_path / "absent") == 2
    (tmp_path / "empty").mkdir()
    assert parity(tmp_path / "empty") == 2
    assert "no cassettes" in capsys.readouterr().err
    cassette = write_cassette(tmp_path / "c.yaml", exchange("GET", "/api/v2/users", 200, []))
    (tmp_path / "ledger.json").write_text("not json")
    assert parity(cassette, "--url", mockidp.url, "--ledger", tmp_path / "ledger.json") == 2
    assert parity(cassette, "--url", "http://127.0.0.1:9") == 2  # nothing listens on discard
    with pytest.raises(SystemExit) as usage:
        parity(cassette, "--update-ledger")
    assert usage.value.code == 2


# --- the real recordings ------------------------------------------------------------------------

def test_the_auth0_recordings_replay_without_server_errors_and_keep_the_ledger(tmp_path):
    if not RECORDINGS.is_dir():
        pytest.skip(f"no Auth0 recordings at {RECORDINGS} (shared/reference/auth0-recordings beside "
                    "the repository clone)")
    out = tmp_path / "parity.json"
    assert parity(RECORDINGS, "--json", out, "--ledger", LEDGER) == 0  # its own in-process mockidp
    document = report(out)
    assert document["summary"]["total"]["classes"]["server_error"] == 0, [
        (r["cassette"], r["index"], r["live_excerpt"]) for r in document["interactions"]
        if r["classification"] == "server_error"]
    assert document["summary"]["total"]["interactions"] > 2000
