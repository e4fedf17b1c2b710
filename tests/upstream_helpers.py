"""Shared by the social and enterprise sign-in tests: following mockidp's redirects (the mock
provider, /login/callback) the way a browser does, until it is sent back to the application."""
from __future__ import annotations

from oauth_helpers import Browser, redirect_params


def follow_to_app(browser: Browser, location: str, limit: int = 5) -> dict[str, str]:
    """Follow mockidp's redirects until the browser is sent back to the application."""
    for _ in range(limit):
        if not location.startswith("/"):
            break
        response = browser.get(location)
        assert response.status_code == 302, (location, response.status_code, response.text[:300])
        location = response.headers["Location"]
    assert location.startswith("http://localhost:3000/callback"), location
    return redirect_params(response)
