"""Passwordless SMS as users drive it: a connection with strategy `sms` created through the
Management API, auth0-python's `Passwordless.sms` and `GetToken.passwordless_login` with the code
read from the phone outbox (/_mock/sms); codes expire on the mock clock and are single use."""
from __future__ import annotations

import pytest
import requests
from auth0.authentication import GetToken, Passwordless
from auth0.authentication.exceptions import Auth0Error
from jose import jwt
from oauth_helpers import WEB_ID, WEB_SECRET

OTP_GRANT = "http://auth0.com/oauth/grant-type/passwordless/otp"
PHONE = "+14155550100"


@pytest.fixture
def sms_connection(mockidp, api):
    assert OTP_GRANT in api.get(f"/api/v2/clients/{WEB_ID}").json()["grant_types"]  # the default fixture's
    created = api.post("/api/v2/connections", json={"name": "sms", "strategy": "sms", "enabled_clients": [WEB_ID]})
    assert created.status_code == 201, created.text
    yield created.json()
    mockidp.reset()


def clients(mockidp):
    domain = mockidp.url.split("://", 1)[1]
    return (Passwordless(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http"),
            GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http"))


def test_sms_code_from_the_phone_outbox_logs_a_new_user_in(mockidp, api, sms_connection):
    assert sms_connection["options"]["template"] == "Your verification code is: @@password@@"
    passwordless, tokens = clients(mockidp)
    answer = passwordless.sms(PHONE)
    assert answer["phone_number"] == PHONE and answer["phone_verified"] is True
    [message] = mockidp.sms(to=PHONE)
    assert message["body"] == f"Your verification code is: {message['code']}"
    latest = requests.get(f"{mockidp.url}/_mock/sms/latest", params={"to": PHONE}, timeout=30).json()
    assert latest == message
    token = tokens.passwordless_login(PHONE, message["code"], realm="sms", scope="openid profile", audience=None)
    sub = jwt.get_unverified_claims(token["id_token"])["sub"]
    assert sub.startswith("sms|")
    user = api.get(f"/api/v2/users/{sub}").json()
    assert (user["phone_number"], user["phone_verified"], user["identities"][0]["provider"]) == (PHONE, True, "sms")
    with pytest.raises(Auth0Error) as reused:
        tokens.passwordless_login(PHONE, message["code"], realm="sms", scope="openid", audience=None)
    assert (reused.value.status_code, reused.value.message) == (403, "Wrong phone number or verification code.")
    passwordless.sms(PHONE)  # the same user again
    again = tokens.passwordless_login(PHONE, mockidp.sms(to=PHONE)[-1]["code"], realm="sms", scope="openid",
                                      audience=None)
    assert jwt.get_unverified_claims(again["id_token"])["sub"] == sub


def test_sms_code_expires_after_the_connections_lifetime(mockidp, sms_connection):
    passwordless, tokens = clients(mockidp)
    mockidp.freeze()
    passwordless.sms(PHONE)
    mockidp.advance(300)
    with pytest.raises(Auth0Error) as expired:
        tokens.passwordless_login(PHONE, mockidp.sms(to=PHONE)[-1]["code"], realm="sms", scope="openid",
                                  audience=None)
    assert expired.value.error_code == "invalid_grant"


def test_liquid_template_and_the_outbox_clears(mockidp, api, sms_connection):
    options = {**sms_connection["options"], "syntax": "liquid", "template": "{{ code }} is your code"}
    assert api.patch(f"/api/v2/connections/{sms_connection['id']}", json={"options": options}).status_code == 200
    clients(mockidp)[0].sms(PHONE)
    message = mockidp.sms()[-1]
    assert message["body"] == f"{message['code']} is your code"
    assert requests.delete(f"{mockidp.url}/_mock/sms", timeout=30).json() == {"deleted": 1}
    assert mockidp.sms() == []


@pytest.mark.parametrize("body, error", [
    ({"connection": "sms", "send": "code"}, "bad.phone_number"),
    ({"connection": "sms", "phone_number": "4155550100", "send": "code"}, "bad.phone_number"),
    ({"connection": "sms", "phone_number": PHONE, "send": "link"}, "bad.request"),
])
def test_bad_sms_starts_send_nothing(mockidp, sms_connection, body, error):
    response = requests.post(f"{mockidp.url}/passwordless/start", timeout=30,
                             json={"client_id": WEB_ID, "client_secret": WEB_SECRET, **body})
    assert (response.status_code, response.json()["error"]) == (400, error), response.text
    assert mockidp.sms() == []


def test_unknown_sms_filter_is_a_bad_request(mockidp):
    response = requests.get(f"{mockidp.url}/_mock/sms", params={"phone": PHONE}, timeout=30)
    assert response.status_code == 400
    assert requests.get(f"{mockidp.url}/_mock/sms/latest", timeout=30).status_code == 404


def test_the_outbox_page_shows_text_messages(mockidp, sms_connection):
    clients(mockidp)[0].sms(PHONE)
    html = requests.get(f"{mockidp.url}/_mock/outbox.html", timeout=30).text
    code = mockidp.sms()[-1]["code"]
    assert 'data-testid="sms-message"' in html and f"Your verification code is: {code}" in html
