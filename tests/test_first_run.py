"""What a newcomer meets first: a page at / that says it is a mock and links the console, the
outbox, the control plane and the docs; unknown paths keep Auth0's JSON 404; a fresh clone's suite reads
Auth0's specs from the repository only."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_root_is_a_small_page_pointing_at_outbox_control_plane_and_docs(mockidp):
    response = requests.get(f"{mockidp.url}/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert "MOCK of Auth0" in page and "never use it in production" in page
    for link in ("/_mock/", "/_mock/outbox.html", "/_mock/health", "/_mock/openapi.json",
                 "/.well-known/openid-configuration"):
        assert f'href="{link}"' in page
        assert requests.get(f"{mockidp.url}{link}", timeout=30).status_code == 200, link
    assert f"{mockidp.url}/api/v2/" in page  # the audience to ask a token for
    assert "docs/" in page


def test_unknown_paths_still_get_a_json_404(mockidp):
    response = requests.get(f"{mockidp.url}/no-such-page", timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")


# --- the suite is self-contained --------------------------------------------------------------

def test_the_specs_the_tests_use_live_in_the_repository():
    from management_spec import AUTHENTICATION_SPEC, OFFICIAL_SPEC, REPO_ROOT

    for spec in (OFFICIAL_SPEC, AUTHENTICATION_SPEC):
        assert spec.is_file() and REPO_ROOT in spec.parents, spec
        assert spec.name in (spec.parent / "PROVENANCE.md").read_text()


def test_the_spec_slices_reproduce_from_auth0s_published_specs(tmp_path):
    tool = REPO_ROOT / "tools" / "extract_test_specs.py"
    reference = REPO_ROOT.parent / "shared" / "reference"
    if not (reference / "auth0-management-api-v2-oas.json").is_file():
        pytest.skip(f"Auth0's published specs are not at {reference}")
    subprocess.run([sys.executable, str(tool), "--out", str(tmp_path)], check=True, timeout=120)
    committed = REPO_ROOT / "tests" / "data" / "auth0-spec"
    for name in ("management-api-v2.json", "authentication-api.json", "PROVENANCE.md"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name
