"""Cassettes: finding go-vcr recordings (version 2 YAML, the format go-auth0's test suite writes)
under the paths a user names, and reading the few fields of each interaction a replay needs.

Cassettes are read where they are, never copied. A cassette's *name* is its path relative to the
directory it was found under ('/'-separated), or its file name when named directly: that name is
what the ledger and the JSON report use, so a ledger applies to runs over the same root.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import yaml

try:  # libyaml's loader reads the 540 reference cassettes ~10x faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader


class CassetteError(ValueError):
    """A file that is not a go-vcr cassette this replayer can read."""


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: what was sent, and the status and body Auth0 answered."""

    method: str
    url: str
    content_type: str
    body: str
    status: int
    response_content_type: str
    response_body: str
    # the form go-vcr parsed from the body when it recorded differs from the body saved: the
    # request was edited afterwards, by hand or a hook (dependence.py, EDITED_REQUEST)
    form_disagrees: bool = False


@dataclass(frozen=True)
class Cassette:
    name: str
    interactions: tuple[Recorded, ...]


def find_cassettes(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, name) of every cassette under `paths`: *.yaml below a directory (recursively, in
    sorted order) or a file named directly."""
    found = []
    for path in paths:
        if path.is_dir():
            found += [(file, file.relative_to(path).as_posix()) for file in sorted(path.rglob("*.yaml"))]
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise CassetteError(f"{path}: no such file or directory")
    return found


def load_cassette(file: Path, name: str) -> Cassette:
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
        interactions = tuple(_recorded(item) for item in document["interactions"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"{file}: not a go-vcr cassette ({exc.__class__.__name__}: {exc})") from None
    return Cassette(name, interactions)


def _recorded(item: dict) -> Recorded:
    request, response = item["request"], item["response"]
    return Recorded(method=request["method"].upper(), url=request["url"],
                    content_type=_first_header(request.get("headers"), "Content-Type"),
                    body=request.get("body") or "", status=int(response["code"]),
                    response_content_type=_first_header(response.get("headers"), "Content-Type"),
                    response_body=response.get("body") or "",
                    form_disagrees=_form_disagrees(request))


def _form_disagrees(request: dict) -> bool:
    """Whether a form request's saved body says something else than the form go-vcr parsed from
    it at recording time. Values naming an Auth0 host are not compared: the recorder rewrote the
    tenant's domain in the body only (recording.py)."""
    form = request.get("form") or {}
    if not form or not _first_header(request.get("headers"), "Content-Type").startswith(
            "application/x-www-form-urlencoded"):
        return False
    body = parse_qs(request.get("body") or "", keep_blank_values=True)
    if set(body) != set(form):
        return True
    return any(body[key] != values for key, values in form.items()
               if not any("auth0.com" in str(value) for value in values))


def _first_header(headers: dict | None, name: str) -> str:
    for key, values in (headers or {}).items():
        if key.lower() == name.lower() and values:
            return values[0]
    return ""
