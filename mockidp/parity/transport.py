"""The replayer's connection to mockidp: one keep-alive HTTP(S) connection, the control-plane
calls a replay needs (reset to a fresh tenant, freeze the clock) and a Management API token.

A fresh tenant per cassette is `POST /_mock/reset`; the clock is then frozen so that nothing a
cassette does depends on how long the replay takes, and so a token cannot expire mid-run. The
token (client credentials of the default M2M client, audience `<base url>/api/v2/`) survives
resets (the client and its grant are in the fixtures); it is fetched again only when the clock the
reset restored lies outside its lifetime.
"""
from __future__ import annotations

import base64
import http.client
import json
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .recording import M2M_CLIENT_ID, M2M_CLIENT_SECRET

_TOKEN_MARGIN_SECONDS = 3600  # fetch a new token when less than this is left on the mock clock


class TransportError(RuntimeError):
    """mockidp could not be reached, or its control plane refused a call."""


@dataclass(frozen=True)
class LiveResponse:
    status: int | None  # None when the connection failed
    body: str
    location: str = ""  # the Location header (a replay world follows /authorize's redirects)


class MockIdPConnection:
    def __init__(self, base_url: str, timeout: float = 30):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"not an http(s) URL: {base_url!r}")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self._parts, self._timeout = parts, timeout
        self._connection: http.client.HTTPConnection | None = None
        self._token: str | None = None
        self._token_window = (0.0, 0.0)  # iat, exp

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- plain requests --------------------------------------------------------------------

    def send(self, method: str, target: str, body: str = "", content_type: str = "",
             bearer: bool = False, authorization: str = "") -> LiveResponse:
        """One request (`bearer`: with the Management API token; `authorization`: with this
        Authorization header instead). A kept-alive connection the server has meanwhile closed is
        reopened and the request sent once more; any other failure is answered with status None."""
        headers = {"User-Agent": "mockidp-parity"}
        if content_type:
            headers["Content-Type"] = content_type
        if bearer:
            headers["Authorization"] = f"Bearer {self._token}"
        elif authorization:
            headers["Authorization"] = authorization
        payload = body.encode("utf-8") if body else None
        while True:
            reused = self._connection is not None
            try:
                connection = self._open()
                connection.request(method, target, body=payload, headers=headers)
                response = connection.getresponse()
                return LiveResponse(response.status, response.read().decode("utf-8", "replace"),
                                    response.getheader("Location", ""))
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                if not (reused and isinstance(exc, ConnectionError)):  # RemoteDisconnected is one
                    return LiveResponse(None, f"{exc.__class__.__name__}: {exc}")

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port = self._parts.hostname, self._parts.port
            if self._parts.scheme == "https":
                self._connection = http.client.HTTPSConnection(
                    host, port, timeout=self._timeout, context=ssl.create_default_context())
            else:
                self._connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
        return self._connection

    def call(self, method: str, path: str, document: dict | None = None, bearer: bool = False) -> Any:
        """A JSON request that must succeed (the control plane, or with `bearer` the Management
        API): its parsed answer; TransportError otherwise."""
        response = self.send(method, path, json.dumps(document) if document is not None else "",
                             "application/json" if document is not None else "", bearer=bearer)
        if response.status is None or not 200 <= response.status < 300:
            raise TransportError(f"{method} {self.base_url}{path}: {response.status} {response.body[:300]}")
        return json.loads(response.body or "null")

    # --- a fresh tenant and a token for it -------------------------------------------------

    def fresh_tenant(self) -> None:
        """Reset the tenant to its fixtures, freeze its clock, and make sure the token is valid."""
        self.call("POST", "/_mock/reset")
        clock = self.call("PUT", "/_mock/clock", {"frozen": True})
        now = datetime.fromisoformat(clock["now"].replace("Z", "+00:00")).timestamp()
        issued, expires = self._token_window
        if self._token is None or not issued <= now < expires - _TOKEN_MARGIN_SECONDS:
            self._token = self._management_token()
            self._token_window = _lifetime(self._token)

    def _management_token(self) -> str:
        document = {"grant_type": "client_credentials", "client_id": M2M_CLIENT_ID,
                    "client_secret": M2M_CLIENT_SECRET, "audience": f"{self.base_url}/api/v2/"}
        return self.call("POST", "/oauth/token", document)["access_token"]


def _lifetime(token: str) -> tuple[float, float]:
    """(iat, exp) of a JWT, read without verifying it: mockidp just issued it to us."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims.get("iat", 0)), float(claims["exp"])
