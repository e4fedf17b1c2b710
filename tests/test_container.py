"""What of the container can be tested without a container engine: the Dockerfile's HEALTHCHECK
command follows MOCKIDP_PORT (run as the engine would run it), and .dockerignore keeps
node_modules and the venv out of the build context."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def healthcheck_command() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    command = re.search(r"^HEALTHCHECK .*?CMD (.+)$", text.replace("\\\n", " "), re.M).group(1)
    return shlex.split(command)


def test_healthcheck_follows_mockidp_port(mockidp):
    port = mockidp.url.rsplit(":", 1)[1]
    argv = [sys.executable if part == "python" else part for part in healthcheck_command()]
    healthy = subprocess.run(argv, env={**os.environ, "MOCKIDP_PORT": port}, capture_output=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr
    unhealthy = subprocess.run(argv, env={**os.environ, "MOCKIDP_PORT": "1"}, capture_output=True, timeout=30)
    assert unhealthy.returncode != 0


def test_base_image_is_pinned_and_context_is_small():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:\d+\.\d+\.\d+-slim-\w+", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "**/node_modules" in ignored
