"""The baseline for bench_core.py: a bare Flask app with routes comparable to mockidp's, served
exactly the way mockidp serves itself (cheroot through mockidp.server.ServerThread, same thread
count and server settings), so the benchmark compares mockidp's own code and nothing else.

    python bench/bare_app.py --port 8080 [--tls-port 8443 --cert server.pem --key server-key.pem]
                             [--data-dir DIR] [--threads 16]

--data-dir holds `jwks.json` (served as static bytes) and `signing-key.pem` (the RS256 key the
token route signs with). The key is parsed once, and python-jose imported once: at start-up with
--preload-key, else on the first token request. Without it the app is the smallest possible
Flask app at start-up (the strict baseline of the start-up row); the throughput rows warm every
route up before timing, so they are the same either way. --pause-gc starts up the way
`mockidp serve` does: cyclic GC paused from before the imports until the app is built, then the
start-up objects frozen (mockidp/cli.py), for the row that shows what that pause is worth.
"""
from __future__ import annotations

import gc
import sys

PAUSE_GC = "--pause-gc" in sys.argv  # read before the imports the pause is about
if PAUSE_GC:
    gc.disable()

import argparse
import json
import signal
import threading
import time
from pathlib import Path

from flask import Flask, Response, request

from mockidp.server import DEFAULT_THREADS, ServerThread, TlsConfig, quiet_cheroot

JSON_TYPE = "application/json; charset=utf-8"

# A user the size and shape of mockidp's fixture user alice@example.com.
_USER_TEMPLATE = {
    "created_at": "2024-01-01T00:00:00.000Z", "email": "alice@example.com", "email_verified": True,
    "family_name": "Example", "given_name": "Alice",
    "identities": [{"connection": "Username-Password-Authentication", "user_id": "",
                    "provider": "auth0", "isSocial": False}],
    "name": "Alice Example", "nickname": "alice",
    "picture": "https://s.gravatar.com/avatar/c160f8cc69a4f0bf2b0362752353d060?s=480&r=pg&d="
               "https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fal.png",
    "updated_at": "2024-01-01T00:00:00.000Z", "user_id": "", "user_metadata": {"locale": "en"},
    "app_metadata": {"plan": "pro"},
}


def _make_users(count: int) -> dict[str, dict]:
    users = {}
    for index in range(count):
        suffix = f"{index:024x}"
        identity = {**_USER_TEMPLATE["identities"][0], "user_id": suffix}
        users[f"auth0|{suffix}"] = {**_USER_TEMPLATE, "user_id": f"auth0|{suffix}",
                                    "identities": [identity]}
    return users


def create_app(data_dir: Path | None, preload_key: bool = False) -> Flask:
    app = Flask("bare")
    users = _make_users(100)
    jwks = (data_dir / "jwks.json").read_bytes() if data_dir else b'{"keys":[]}'
    signer: dict = {}

    def load_signer() -> None:
        from cryptography.hazmat.primitives import serialization
        from jose import jwt

        pem = (data_dir / "signing-key.pem").read_bytes()
        # Parsed the way mockidp parses its own cached key (no RSA consistency check).
        signer["key"] = serialization.load_pem_private_key(
            pem, password=None, unsafe_skip_rsa_key_validation=True)
        signer["encode"] = jwt.encode

    def sign(claims: dict) -> str:
        if not signer:
            load_signer()
        return signer["encode"](claims, signer["key"], algorithm="RS256", headers={"kid": "bare"})

    if preload_key:
        load_signer()

    @app.get("/_mock/health")
    def health():
        return Response(b'{"status":"ok"}', content_type=JSON_TYPE)

    @app.get("/.well-known/jwks.json")
    def jwks_route():
        return Response(jwks, content_type=JSON_TYPE)

    @app.get("/api/v2/users/<user_id>")
    def get_user(user_id: str):
        user = users.get(user_id)
        if user is None:
            return Response(b'{"statusCode":404}', status=404, content_type=JSON_TYPE)
        return Response(json.dumps(user, separators=(",", ":")), content_type=JSON_TYPE)

    @app.post("/oauth/token")
    def token():
        body = request.get_json(force=True, silent=True) or {}
        now = int(time.time())
        claims = {"iss": request.host_url, "sub": f"{body.get('client_id')}@clients",
                  "aud": body.get("audience"), "iat": now, "exp": now + 86400,
                  "scope": "read:users", "azp": body.get("client_id"), "gty": "client-credentials"}
        payload = {"access_token": sign(claims), "scope": claims["scope"], "expires_in": 86400,
                   "token_type": "Bearer"}
        return Response(json.dumps(payload), content_type=JSON_TYPE)

    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls-port", type=int)
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--preload-key", action="store_true",
                        help="import python-jose and parse the key at start-up")
    parser.add_argument("--pause-gc", action="store_true", help="start up with the cyclic GC paused, as mockidp")
    args = parser.parse_args()
    quiet_cheroot()
    app = create_app(args.data_dir, args.preload_key)
    if args.pause_gc:
        gc.freeze()
        gc.enable()
    listeners = [ServerThread(app, args.host, args.port, threads=args.threads)]
    if args.tls_port:
        listeners.append(ServerThread(app, args.host, args.tls_port, TlsConfig(args.cert, args.key),
                                      args.threads))
    for listener in listeners:
        listener.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for listener in listeners:
        listener.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
