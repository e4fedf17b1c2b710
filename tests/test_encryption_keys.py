"""The encryption key hierarchy over HTTP: a new tenant's environment root key and master key,
rekey, deletion (keys stay listed as destroyed) and Bring Your Own Key: a customer-provided root
key's public wrapping key, and the import of key material wrapped with it the way Auth0 documents
(CKM_RSA_AES_KEY_WRAP: RSA-OAEP SHA-256 around a temporary AES-256 key, then AES key wrap with
padding), which makes it the root. What each change does is read from the recorded lists
(TestEncryptionKeyManager_*), see core/tokens/encryption_keys.py."""
from __future__ import annotations

import base64
import json
import re
import secrets

import requests
from conftest import Api
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from email_helpers import advance, freeze
from management_crud import assert_error, conforms, invalid_body, scoped

KEYS = "/api/v2/keys/encryption"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ROOT, MASTER, CUSTOMER = "environment-root-key", "tenant-master-key", "customer-provided-root-key"


def _keys(api: Api) -> list[dict]:
    """Every key, newest first, as Auth0 lists them (checked against the spec)."""
    listed = conforms("GET /keys/encryption", api.get(KEYS, params={"include_totals": "true", "per_page": 50}), 200)
    assert listed["total"] == len(listed["keys"])
    return listed["keys"]


def _by_kid(api: Api) -> dict[str, dict]:
    return {key["kid"]: key for key in _keys(api)}


def _active(keys: list[dict], kind: str) -> dict:
    [key] = [key for key in keys if key["type"] == kind and key["state"] == "active"]
    return key


def _frozen_later(mockidp, seconds: float = 90) -> str:
    """Freeze the tenant clock where it is, move it on, and return the instant it shows."""
    anonymous = Api(mockidp.url)
    freeze(anonymous)
    advance(anonymous, seconds)
    return anonymous.get("/_mock/clock").json()["now"]


def _root_key(api: Api) -> str:
    created = api.post(KEYS, json={"type": "customer-provided-root-key"})
    assert created.status_code == 201, created.text
    return created.json()["kid"]


def _wrapped(public_key_pem: str, material: bytes) -> str:
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    temporary = secrets.token_bytes(32)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = public_key.encrypt(temporary, oaep) + aes_key_wrap_with_padding(temporary, material)
    return base64.b64encode(blob).decode()


def test_key_material_wrapped_with_the_wrapping_key_activates_the_root_key(api: Api):
    kid = _root_key(api)
    wrapping = conforms("POST /keys/encryption/{kid}/wrapping-key", api.post(f"{KEYS}/{kid}/wrapping-key"), 201)
    assert wrapping["algorithm"] == "CKM_RSA_AES_KEY_WRAP"
    assert wrapping["public_key"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert serialization.load_pem_public_key(wrapping["public_key"].encode()).key_size == 3072  # Auth0 on AWS
    assert "wrapping_key" not in api.get(f"{KEYS}/{kid}").json()  # remembered, not shown
    imported = conforms("POST /keys/encryption/{kid}", api.post(
        f"{KEYS}/{kid}", json={"wrapped_key": _wrapped(wrapping["public_key"], secrets.token_bytes(32))}), 201)
    assert imported["kid"] == kid and imported["state"] == "active"
    assert conforms("GET /keys/encryption/{kid}", api.get(f"{KEYS}/{kid}"), 200) == imported
    assert_error(api.post(f"{KEYS}/{kid}/wrapping-key"), 409,
                 "Failed precondition. Create new encryption key without the key material first.",
                 operation="POST /keys/encryption/{kid}/wrapping-key")


def test_material_not_wrapped_with_the_latest_wrapping_key_is_refused_and_changes_nothing(api: Api):
    kid = _root_key(api)
    no_import_yet = api.post(f"{KEYS}/{kid}", json={"wrapped_key": base64.b64encode(b"x" * 424).decode()})
    assert_error(no_import_yet, 409, "Failed precondition. Key import not in progress or unable to find the "
                 "wrapping key. Make sure you have followed all the steps to import a key.",
                 operation="POST /keys/encryption/{kid}")
    first = api.post(f"{KEYS}/{kid}/wrapping-key").json()["public_key"]
    latest = api.post(f"{KEYS}/{kid}/wrapping-key").json()["public_key"]
    assert first != latest
    invalid = "Invalid input. Wrapped key material is invalid or unsupported key type."
    for wrapped in (_wrapped(first, secrets.token_bytes(32)),  # an older wrapping key
                    _wrapped(latest, secrets.token_bytes(16)),  # not an AES-256 key
                    "not base64!"):
        assert_error(api.post(f"{KEYS}/{kid}", json={"wrapped_key": wrapped}), 400, invalid,
                     operation="POST /keys/encryption/{kid}")
    assert api.get(f"{KEYS}/{kid}").json()["state"] == "pre-activation"
    assert api.post(f"{KEYS}/{kid}", json={}).json() == invalid_body("'Missing required property: wrapped_key'.")


def test_unknown_keys_other_key_types_and_missing_scopes_are_refused(mockidp, api: Api):
    assert_error(api.post(f"{KEYS}/0f0e7b1a-4a4b-4c1d-9e5f-000000000000/wrapping-key"), 404,
                 "The encryption key does not exist.")
    assert_error(api.post(f"{KEYS}/0f0e7b1a-4a4b-4c1d-9e5f-000000000000", json={"wrapped_key": "AAAA"}), 400,
                 "The key ID was not found.", operation="POST /keys/encryption/{kid}")
    other = api.post(KEYS, json={"type": "tenant-encryption-key"})  # Auth0 holds its material itself
    assert other.status_code == 201
    assert_error(api.post(f"{KEYS}/{other.json()['kid']}/wrapping-key"), 400,
                 "Invalid key id or unsupported key type.", operation="POST /keys/encryption/{kid}/wrapping-key")
    kid = _root_key(api)
    reader = scoped(mockidp, "read:encryption_keys")
    assert_error(reader.post(f"{KEYS}/{kid}/wrapping-key"), 403,
                 "Insufficient scope, expected any of: create:encryption_keys", "insufficient_scope")


def _imported_root(api: Api) -> str:
    kid = _root_key(api)
    public_key = api.post(f"{KEYS}/{kid}/wrapping-key").json()["public_key"]
    imported = api.post(f"{KEYS}/{kid}", json={"wrapped_key": _wrapped(public_key, secrets.token_bytes(32))})
    assert imported.status_code == 201, imported.text
    return kid


def test_a_new_tenant_has_an_environment_root_key_and_a_master_key_under_it(mockidp, api: Api):
    master, root = _keys(api)  # newest first: the master key was made right after its root
    assert (root["type"], root["state"], root["parent_kid"]) == (ROOT, "active", None)
    assert (master["type"], master["state"], master["parent_kid"]) == (MASTER, "active", root["kid"])
    assert UUID.match(root["kid"]) and UUID.match(master["kid"]) and root["kid"] != master["kid"]
    assert root["created_at"] == root["updated_at"] and master["created_at"] == master["updated_at"]
    assert list(root) == ["kid", "type", "state", "created_at", "updated_at", "parent_kid"]  # Auth0's order
    assert conforms("GET /keys/encryption/{kid}", api.get(f"{KEYS}/{root['kid']}"), 200) == root
    assert conforms("GET /keys/encryption", api.get(KEYS), 200) == [master, root]  # bare without totals
    # Reset brings back the very same keys (made with the fixtures, from the seeded RNG).
    assert api.post(f"{KEYS}/rekey").status_code == 204
    assert requests.post(f"{mockidp.url}/_mock/reset", timeout=10).status_code == 200
    assert _keys(api) == [master, root]


def test_rekey_destroys_the_active_master_key_and_makes_a_new_one_under_the_same_root(mockidp, api: Api):
    old_master, root = _keys(api)
    now = _frozen_later(mockidp)
    api = Api(mockidp.url, mockidp.management_token())
    answer = api.post(f"{KEYS}/rekey")  # its own operation, not the import of a key named "rekey"
    assert (answer.status_code, answer.content) == (204, b"")
    new_master, destroyed, same_root = _keys(api)
    assert same_root == root
    assert destroyed == {**old_master, "state": "destroyed", "updated_at": now}
    assert new_master == {"kid": new_master["kid"], "type": MASTER, "state": "active", "created_at": now,
                          "updated_at": now, "parent_kid": root["kid"]}
    assert api.post(f"{KEYS}/rekey").status_code == 204
    assert [key["state"] for key in _keys(api) if key["type"] == MASTER] == ["active", "destroyed", "destroyed"]
    reader = scoped(mockidp, "read:encryption_keys")
    assert_error(reader.post(f"{KEYS}/rekey"), 403,
                 "Insufficient scope, expected any of: create:encryption_keys,update:encryption_keys",
                 "insufficient_scope", operation="POST /keys/encryption/rekey")
    assert len(_keys(api)) == 4  # the refused rekey changed nothing


def test_deleting_a_pending_customer_root_key_destroys_it_keeps_it_listed_and_rekeys(mockidp, api: Api):
    old_master, root = _keys(api)
    kid = _root_key(api)
    api.post(f"{KEYS}/{kid}/wrapping-key")
    created = api.get(f"{KEYS}/{kid}").json()
    now = _frozen_later(mockidp)
    api = Api(mockidp.url, mockidp.management_token())
    deleted = api.delete(f"{KEYS}/{kid}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    # Recorded: a GET of the deleted key answers it, destroyed, with the moment it went.
    destroyed = conforms("GET /keys/encryption/{kid}", api.get(f"{KEYS}/{kid}"), 200)
    assert destroyed == {**created, "state": "destroyed", "updated_at": now}
    new_master, *rest = _keys(api)  # recorded: every such deletion is followed by a new master key
    assert rest == [destroyed, {**old_master, "state": "destroyed", "updated_at": now}, root]
    assert (new_master["state"], new_master["parent_kid"], new_master["created_at"]) == ("active", root["kid"], now)
    # Recorded: a second DELETE answers 204 too; nothing changes.
    assert api.delete(f"{KEYS}/{kid}").status_code == 204
    assert _keys(api) == [new_master, *rest]
    assert_error(api.post(f"{KEYS}/{kid}/wrapping-key"), 409,
                 "Failed precondition. Create new encryption key without the key material first.",
                 operation="POST /keys/encryption/{kid}/wrapping-key")


def test_an_imported_root_key_replaces_the_root_and_deleting_it_brings_a_new_environment_root(mockidp, api: Api):
    first_master, first_root = _keys(api)
    now = _frozen_later(mockidp)
    api = Api(mockidp.url, mockidp.management_token())
    customer = _imported_root(api)
    keys = _by_kid(api)
    assert keys[first_root["kid"]] == {**first_root, "state": "destroyed", "updated_at": now}
    # The previous master key goes, naming the root it was last wrapped with (recorded).
    assert keys[first_master["kid"]] == {**first_master, "state": "destroyed", "updated_at": now,
                                         "parent_kid": customer}
    imported_master = _active(list(keys.values()), MASTER)
    assert imported_master["parent_kid"] == customer and keys[customer]["state"] == "active"
    assert [key["type"] for key in keys.values() if key["state"] == "active"] == [MASTER, CUSTOMER]

    later = _frozen_later(mockidp, 30)
    api = Api(mockidp.url, mockidp.management_token())
    assert api.delete(f"{KEYS}/{customer}").status_code == 204
    keys = _keys(api)
    new_master, new_root = keys[:2]  # made together, the master key after its root
    assert (new_root["type"], new_root["state"], new_root["created_at"]) == (ROOT, "active", later)
    assert new_root["kid"] not in (first_root["kid"], customer)  # Auth0 does not bring the old root back
    assert (new_master["type"], new_master["state"], new_master["parent_kid"]) == (MASTER, "active", new_root["kid"])
    by_kid = {key["kid"]: key for key in keys}
    assert (by_kid[customer]["state"], by_kid[customer]["updated_at"]) == ("destroyed", later)
    assert by_kid[imported_master["kid"]] == {**imported_master, "state": "destroyed", "updated_at": later,
                                              "parent_kid": new_root["kid"]}
    assert [key["type"] for key in keys if key["state"] == "active"] == [MASTER, ROOT]
    assert len(keys) == 6


def test_auth0s_own_keys_cannot_be_deleted_and_unknown_keys_are_not_found(mockidp, api: Api):
    before = _keys(api)
    for key in before:  # the active master key and the environment root key
        assert_error(api.delete(f"{KEYS}/{key['kid']}"), 400, "Invalid key id or unsupported key type.",
                     operation="DELETE /keys/encryption/{kid}")
    assert_error(api.delete(f"{KEYS}/0f0e7b1a-4a4b-4c1d-9e5f-000000000000"), 404, "The encryption key does not exist.")
    # A tenant encryption key is the customer's: it is destroyed, the hierarchy left as it is.
    other = api.post(KEYS, json={"type": "tenant-encryption-key"}).json()
    assert api.delete(f"{KEYS}/{other['kid']}").status_code == 204
    assert _keys(api) == [api.get(f"{KEYS}/{other['kid']}").json(), *before]
    assert api.get(f"{KEYS}/{other['kid']}").json()["state"] == "destroyed"
    reader = scoped(mockidp, "read:encryption_keys")
    assert_error(reader.delete(f"{KEYS}/{other['kid']}"), 403,
                 "Insufficient scope, expected any of: delete:encryption_keys", "insufficient_scope")


def test_the_hierarchy_is_kept_by_a_state_export_and_the_same_seed_makes_the_same_keys(mockidp):
    control = Api(mockidp.url)
    clock = {"now": "2030-01-01T00:00:00Z", "frozen": True}  # a running clock would differ between exports
    made = control.post("/_mock/tenants", json={"name": "keys-a", "seed": 7, "clock": clock}).json()
    twin = control.post("/_mock/tenants", json={"name": "keys-b", "seed": 7, "clock": clock}).json()
    try:
        api = Api(made["url"], mockidp.management_token(base_url=made["url"]))
        twin_api = Api(twin["url"], mockidp.management_token(base_url=twin["url"]))
        assert [key["kid"] for key in _keys(api)] == [key["kid"] for key in _keys(twin_api)]
        assert api.post(f"{KEYS}/rekey").status_code == 204
        _imported_root(api)
        exported = requests.get(f"{made['url']}/_mock/state", timeout=30)
        assert exported.status_code == 200
        copy = control.post("/_mock/tenants", json={"name": "keys-copy", "state": json.loads(exported.content)})
        assert copy.status_code == 201, copy.text
        copy_url = copy.json()["url"]
        assert requests.get(f"{copy_url}/_mock/state", timeout=30).content == exported.content
        copy_api = Api(copy_url, mockidp.management_token(base_url=copy_url))
        assert _keys(copy_api) == _keys(api) and len(_keys(api)) == 5  # 2, a rekey, the import
        assert _keys(api)[-1]["created_at"] == "2030-01-01T00:00:00.000Z"  # the tenant's creation, on its clock
    finally:
        for name in ("keys-a", "keys-b", "keys-copy"):
            control.delete(f"/_mock/tenants/{name}")
