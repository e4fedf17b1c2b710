"""32 clients at once keep Auth0's invariants: one email makes one user, concurrent metadata merges
all land, and a ticket is redeemed exactly once. Every request goes over HTTP on its own session."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from conftest import Api, new_user

CLIENTS = 32
CONNECTION = "Username-Password-Authentication"


def run_concurrently(mockidp, task) -> list:
    token = mockidp.management_token()

    def one(index: int):
        client = Api(mockidp.url, token)
        try:
            return task(client, index)
        finally:
            client.session.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def test_the_same_email_created_concurrently_makes_one_user(mockidp, api):
    body = {"connection": CONNECTION, "email": "race@example.com", "password": "Sup3r$ecret!"}
    statuses = run_concurrently(mockidp, lambda client, _: client.post("/api/v2/users", json=body).status_code)
    assert sorted(statuses) == [201] + [409] * (CLIENTS - 1)
    assert len(api.get("/api/v2/users-by-email", params={"email": "race@example.com"}).json()) == 1


def test_concurrent_metadata_merges_all_land(mockidp, api):
    user = new_user(api)
    path = f"/api/v2/users/{user['user_id']}"
    statuses = run_concurrently(mockidp, lambda client, index: client.patch(
        path, json={"app_metadata": {f"key{index}": index}, "user_metadata": {f"pref{index}": True}}).status_code)
    assert statuses == [200] * CLIENTS
    stored = api.get(path).json()
    assert stored["app_metadata"] == {f"key{index}": index for index in range(CLIENTS)}
    assert stored["user_metadata"] == {f"pref{index}": True for index in range(CLIENTS)}


def test_one_ticket_redeemed_concurrently_works_once(mockidp, api):
    user = new_user(api)
    ticket = api.post("/api/v2/tickets/password-change", json={"user_id": user["user_id"]}).json()["ticket"]

    def redeem(client: Api, index: int) -> int:
        response = requests.post(ticket.split("#")[0], timeout=30, allow_redirects=False,
                                 data={"password": f"N3w-Passw0rd!{index}", "re-enter-password": f"N3w-Passw0rd!{index}"})
        return int("Password Changed!" in response.text)

    assert sum(run_concurrently(mockidp, redeem)) == 1
    assert api.get(f"/api/v2/users/{user['user_id']}").json()["last_password_reset"]
