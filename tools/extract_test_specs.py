#!/usr/bin/env python
"""Cut the slices of Auth0's official OpenAPI specs that the tests hold mockidp to, into
tests/data/auth0-spec/ (with PROVENANCE.md), so a fresh clone's suite needs nothing outside the
repository.

Each slice keeps the spec's own structure (``openapi``, ``info``, ``servers``, ``components``)
with ``paths`` narrowed to what mockidp models (every path of the Management API resources that
tools/extract_oas.py lists; the Authentication API endpoints listed below) and ``components`` narrowed to what those paths
reach through ``$ref``. Output is deterministic (sorted keys), so re-running on the same specs
gives identical bytes (tests/test_first_run.py checks it when the specs are present).

Usage: python tools/extract_test_specs.py [--reference DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "auth0-spec"
MANAGEMENT = ("auth0-management-api-v2-oas.json", "management-api-v2.json")
AUTHENTICATION = ("auth0-authentication-api-oas.json", "authentication-api.json")
# The Authentication API endpoints mockidp serves (docs/authentication.md).
AUTHENTICATION_PATHS = ("/authorize", "/oauth/token", "/oauth/revoke", "/userinfo", "/v2/logout",
                        "/oidc/logout", "/dbconnections/signup", "/dbconnections/change_password")


def management_operations(reference: Path) -> dict[str, set[str] | None]:
    """Spec path -> None (every method) for each path of a resource mockidp models: the same
    prefixes as tools/extract_oas.py, so operations added later are already in the slice."""
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from extract_oas import MODELLED_PREFIXES

    spec = json.loads((reference / MANAGEMENT[0]).read_text(encoding="utf-8"))
    return {path: None for path in spec["paths"]
            if any(path == prefix or path.startswith(prefix + "/") for prefix in MODELLED_PREFIXES)}


def slice_spec(spec: dict, wanted: dict[str, set[str] | None]) -> dict:
    """``spec`` with only the wanted operations (None: every method of the path) and the
    components they reach."""
    paths = {}
    for path, item in spec["paths"].items():
        if path not in wanted:
            continue
        methods = wanted[path]
        paths[path] = {k: v for k, v in item.items() if methods is None or k in methods or k == "parameters"}
    kept = {key: spec[key] for key in ("openapi", "info", "servers", "security", "tags") if key in spec}
    kept["paths"] = paths
    kept["components"] = _reachable_components(spec, paths)
    return kept


def _reachable_components(spec: dict, paths: dict) -> dict:
    components = spec.get("components", {})
    found: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    if "securitySchemes" in components:
        found["securitySchemes"] = components["securitySchemes"]
    while pending:
        ref = pending.pop()
        _, section, name = ref.removeprefix("#/").split("/", 2)
        if name in found.setdefault(section, {}):
            continue
        value = components[section][name]
        found[section][name] = value
        pending.extend(_refs(value))
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def provenance(sources: list[tuple[Path, Path]]) -> str:
    lines = ["# Provenance of tests/data/auth0-spec/", "",
             "Slices of Auth0's official OpenAPI specifications, cut by `tools/extract_test_specs.py`",
             "(only the resources mockidp models and the components they reference; otherwise",
             "byte-for-byte the published schemas). Re-run the tool to refresh them.", "",
             "| slice | source file | source sha256 |", "|---|---|---|"]
    for source, out in sources:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        lines.append(f"| `{out.name}` | `{source.name}` (Auth0's published spec) | `{digest}` |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(MANAGEMENT, management_operations(args.reference)),
            (AUTHENTICATION, {path: None for path in AUTHENTICATION_PATHS})]
    sources = []
    for (source_name, out_name), wanted in jobs:
        source, out = args.reference / source_name, args.out / out_name
        spec = json.loads(source.read_text(encoding="utf-8"))
        out.write_text(json.dumps(slice_spec(spec, wanted), sort_keys=True, indent=1) + "\n",
                       encoding="utf-8")
        sources.append((source, out))
    (args.out / "PROVENANCE.md").write_text(provenance(sources), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
