"""What a newcomer meets first: a page at / that says it is a mock and links the outbox, the
control plane and the docs; unknown paths keep Auth0's JSON 404."""
from __future__ import annotations

import requests


def test_root_is_a_small_page_pointing_at_outbox_control_plane_and_docs(mockidp):
    response = requests.get(f"{mockidp.url}/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert "MOCK of Auth0" in page and "never use it in production" in page
    for link in ("/_mock/outbox.html", "/_mock/health", "/_mock/openapi.json",
                 "/.well-known/openid-configuration"):
        assert f'href="{link}"' in page
        assert requests.get(f"{mockidp.url}{link}", timeout=30).status_code == 200, link
    assert f"{mockidp.url}/api/v2/" in page  # the audience to ask a token for
    assert "docs/" in page


def test_unknown_paths_still_get_a_json_404(mockidp):
    response = requests.get(f"{mockidp.url}/no-such-page", timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
