"""Runs the code of an Auth0 Action in a Node subprocess; the only place mockidp spawns `node`.

mockidp/data/actions_runner.js evaluates the code as CommonJS, calls one handler with the given
event and a recording `api`, and answers with the commands the Action issued (`access.deny`,
`user.setAppMetadata`, ...). Applying them to the tenant is the caller's job: nothing here touches
tenant state. Action failures never raise: every outcome is an ActionRun.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

RUNNER_FILE = "actions_runner.js"
AUTH0_TIME_LIMIT_S = 20.0  # Auth0: "Each execution of a trigger must complete in 20 seconds or less"
STDERR_TAIL_LINES = 10
MAX_LOG_LINES, MAX_LOG_LINE_CHARS = 100, 4096  # console output kept per execution
NODE_MISSING_MESSAGE = ("mockidp cannot run Actions: no `node` executable found "
                        "(install Node.js or set MOCKIDP_NODE)")


class RuntimeSettings(NamedTuple):
    node: str | None          # node executable
    modules_dir: Path | None  # declared dependencies resolve here (a node_modules dir or its parent)
    ca_file: Path | None      # exported as NODE_EXTRA_CA_CERTS so Actions can call mockidp over HTTPS
    timeout_s: float = AUTH0_TIME_LIMIT_S


class ActionRun(NamedTuple):
    commands: list[dict]
    error: dict | None        # {"name", "message", "stack"}; also for timeout, node missing, crash
    logs: list[str]
    # With an error, its class in Auth0's log schema: "action_error" (the code threw),
    # "action_timeout" or "platform_error" (Node missing or crashed).
    error_class: str | None = None


def default_settings(ca_file: Path | None = None) -> RuntimeSettings:
    """Node from MOCKIDP_NODE or PATH; declared dependencies from MOCKIDP_ACTIONS_MODULES."""
    modules = os.environ.get("MOCKIDP_ACTIONS_MODULES")
    return RuntimeSettings(node=os.environ.get("MOCKIDP_NODE") or shutil.which("node"),
                           modules_dir=Path(modules) if modules else None, ca_file=ca_file)


def run_action(code: str, handler: str, trigger: str, event: dict, *, dependencies: list[str],
               settings: RuntimeSettings, context: dict | None = None, modules: tuple = ()) -> ActionRun:
    """Run `exports[handler](event, api)` of `code` for `trigger` ("post-login" or
    "post-change-password") and return what the Action did. `modules`: the Actions Modules it may
    `require('actions:<name>')` ({name, code, dependencies, secrets} each)."""
    if not settings.node:
        return failed_run(NODE_MISSING_MESSAGE)
    # A real random marker, not the tenant RNG: the Action must not be able to predict it (so it
    # cannot forge a result), and it never reaches tenant state or any output.
    marker = f"mockidp-action-result-{secrets.token_hex(8)}:"
    request = {"code": code, "handler": handler, "trigger": trigger, "event": event,
               "dependencies": list(dependencies), "modules_dir": modules_dir_for_node(settings.modules_dir),
               "marker": marker, "context": context or {}, "modules": list(modules)}
    with resources.as_file(resources.files("mockidp").joinpath("data", RUNNER_FILE)) as runner:
        try:
            completed = subprocess.run([settings.node, *sandbox_flags(settings.node), str(runner)],
                                       input=json.dumps(request),
                                       capture_output=True, text=True, encoding="utf-8", errors="replace",
                                       timeout=settings.timeout_s, env=child_environment(settings), check=False)
        except subprocess.TimeoutExpired:  # run() has already killed the process
            return failed_run(f"Script execution time limit exceeded ({settings.timeout_s:g} s)",
                              "action_timeout")
        except OSError:  # the executable does not exist or cannot be run
            return failed_run(NODE_MISSING_MESSAGE)
    return parse_result(completed, marker)


@cache
def sandbox_flags(node: str) -> tuple[str, ...]:
    """Node's permission model for Actions: file system reads (modules load) but no writes, no
    child processes, no workers; network stays open (Actions call APIs). `--permission` from
    Node 22, `--experimental-permission` in Node 20 and 21; older Node runs Actions unconfined."""
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                                 check=False).stdout.strip().lstrip("v")
        major, minor = (int(part) for part in version.split(".")[:2])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return ()
    if major < 20:
        return ()
    flags = ["--permission" if major >= 22 else "--experimental-permission", "--allow-fs-read=*"]
    if (major, minor) >= (20, 11):
        flags.append("--disable-warning=ExperimentalWarning")  # stderr stays the Action's own
    return tuple(flags)


def modules_dir_for_node(modules_dir: Path | None) -> str | None:
    """The runner resolves packages from `<dir>/node_modules`, so a node_modules dir becomes its parent."""
    if modules_dir is None:
        return None
    return str(modules_dir.parent if modules_dir.name == "node_modules" else modules_dir)


def child_environment(settings: RuntimeSettings) -> dict[str, str]:
    environment = dict(os.environ)
    if settings.ca_file is not None:
        environment["NODE_EXTRA_CA_CERTS"] = str(settings.ca_file)
    return environment


def parse_result(completed: subprocess.CompletedProcess, marker: str) -> ActionRun:
    """The result is the last stdout line starting with the marker; other output is the Action's."""
    result_lines = [line for line in completed.stdout.split("\n") if line.startswith(marker)]
    if not result_lines:
        return failed_run(f"Action runner exited with code {completed.returncode} without a result"
                          + stderr_tail(completed.stderr))
    try:
        result = json.loads(result_lines[-1][len(marker):])
    except json.JSONDecodeError:
        return failed_run("Action runner produced an unreadable result")
    logs = [line[:MAX_LOG_LINE_CHARS] for line in result["logs"][:MAX_LOG_LINES]]
    return ActionRun(commands=result["commands"], error=result["error"], logs=logs,
                     error_class="action_error" if result["error"] else None)


def stderr_tail(stderr: str) -> str:
    lines = stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
    return ":\n" + "\n".join(lines) if lines else ""


def failed_run(message: str, error_class: str = "platform_error") -> ActionRun:
    return ActionRun(commands=[], error={"name": "Error", "message": message, "stack": None}, logs=[],
                     error_class=error_class)
