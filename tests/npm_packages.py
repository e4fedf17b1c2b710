"""Node packages some tests need (auth0-spa-js, node-auth0), installed from the npm registry on
first use with `npm ci` against each folder's pinned lock file."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def ensure_installed(folder: Path, marker: Path) -> None:
    """Run `npm ci` in `folder` unless `marker` (a file the install provides) already exists."""
    if marker.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is needed to install the packages of {folder}")
    command = [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(folder)]
    # cwd: npm needs one that exists, and a test (pytester) may have left this process in a deleted tmp dir.
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=folder)
    if result.returncode != 0 or not marker.exists():
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


NODE_SDK_DIR = Path(__file__).parent / "node_sdk"  # node-auth0, pinned by its package-lock.json


def node_sdk_modules() -> Path:
    """node_modules holding node-auth0 (installed on first use): what Actions `require('auth0')` from."""
    ensure_installed(NODE_SDK_DIR, NODE_SDK_DIR / "node_modules" / "auth0" / "package.json")
    return NODE_SDK_DIR / "node_modules"
