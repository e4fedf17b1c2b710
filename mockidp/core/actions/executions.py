"""Running one Action and keeping what it did: `execute` (Node outside the tenant lock, then the
execution recorded unless a reset came meanwhile), the executions a test reads back
(/_mock/actions/executions), the queue of asynchronous triggers (POST /_mock/actions/wait), and
the parts of an event every trigger shares (request, connection, tenant).
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from typing import TYPE_CHECKING

from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant import journal
from ..tenant.clock import iso, monotonic
from . import bindings

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor
    from pathlib import Path

    from ..tenant.tenant import Tenant
    from .runtime import ActionRun

MAX_EXECUTIONS = 200  # kept for /_mock/actions/executions, oldest dropped first
TRIGGER_TIME_LIMIT_S = 20.0  # Auth0: every execution of a trigger, all its Actions, within 20 s


# --- running one Action ---------------------------------------------------------------------------------

def execute(tenant: "Tenant", action: bindings.BoundAction, handler: str, trigger: str,
             event: dict, generation: int, deadline: float, context: dict | None = None,
             trigger_run: str | None = None) -> "ActionRun":
    """Run one Action (no lock held) and record the execution, unless a reset came meanwhile.
    `trigger_run` (from new_trigger_run) groups the Actions of one run of a trigger."""
    from . import runtime as action_runtime  # subprocess and friends: loaded when an Action first runs

    started = iso(tenant.clock.now())
    settings = action_runtime.default_settings(tenant.actions.ca_file)  # env read per run: tests set it
    settings = settings._replace(timeout_s=max(0.001, deadline - monotonic()))
    run = action_runtime.run_action(action.code, handler, trigger, event,
                                    dependencies=list(action.dependencies), settings=settings,
                                    context=context, modules=action.modules)
    with tenant.lock:
        if tenant.generation != generation:
            return run
        execution = {"id": execution_id(tenant), "trigger_run_id": trigger_run, "trigger_id": trigger,
                     "action_id": action.action_id,
                     "action_name": action.name, "version_id": action.version_id,
                     "status": "failed" if run.error else "final", "started_at": started,
                     "ended_at": iso(tenant.clock.now()),
                     "commands": run.commands, "logs": run.logs, "error": run.error}
        tenant.actions.executions.append(execution)
        journal.note_action(execution["id"])
        del tenant.actions.executions[:-MAX_EXECUTIONS]
        if run.error is not None:
            logs.record(tenant, "actions_execution_failed", "Execution of an Action failed",
                        details={"trigger_id": trigger, "execution_id": execution["id"],
                                 "action_id": action.action_id, "action_name": action.name,
                                 "version_id": action.version_id, "error_class": run.error_class,
                                 "action_error": run.error})
    return run


def execution_id(tenant: "Tenant", kind: str = "execution") -> str:
    """A UUID from the seed and a counter, not from the tenant RNG: asynchronous executions end
    at moments no test controls, and must not shift the ids of users created meanwhile."""
    tenant.actions.execution_count += 1
    digest = hashlib.sha256(f"{tenant.config.seed}:{kind}:{tenant.actions.execution_count}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def new_trigger_run(tenant: "Tenant") -> str:
    """The id of one run of a trigger (Auth0's execution id, GET /api/v2/actions/executions/{id})."""
    with tenant.lock:
        return execution_id(tenant, "trigger-run")


class ActionRuns:
    """The part of a tenant that actions/ owns (`tenant.actions`): the CA file Actions trust to
    call mockidp over HTTPS (MockIdP sets it), the queue of asynchronous triggers, and the recent
    executions. A reset cancels queued runs and forgets executions; closing stops the worker."""

    def __init__(self, tenant: "Tenant"):
        self.ca_file: "Path | None" = None
        self.executions: list[dict] = []
        self.execution_count = 0  # numbers execution ids; reset with them
        self._queue: "ActionQueue | None" = None
        self._lock = threading.Lock()
        tenant.on_reset(self._forget)
        tenant.on_close(self._shutdown)
        tenant.on_snapshot(lambda: (list(self.executions), self.execution_count), self._restore)

    @property
    def queue(self) -> "ActionQueue":
        with self._lock:
            if self._queue is None:
                self._queue = ActionQueue()
        return self._queue

    def _forget(self) -> None:
        self.executions.clear()
        self.execution_count = 0
        if self._queue is not None:
            self._queue.cancel_pending()

    def _restore(self, captured: tuple[list[dict], int]) -> None:
        self._forget()  # runs queued before the restore are cancelled, as on reset
        executions, self.execution_count = captured
        self.executions = list(executions)

    def _shutdown(self) -> None:
        if self._queue is not None:
            self._queue.shutdown()


class ActionQueue:
    """One worker thread per tenant for asynchronous triggers, and a way to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()

    def submit(self, job) -> None:
        from concurrent.futures import ThreadPoolExecutor  # only once an Action is queued

        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockidp-actions")
            future = self._executor.submit(journal.carried(job))  # its effects: the request's
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def cancel_pending(self) -> None:
        """Drop what has not started (a reset); a running job sees the new generation and stops."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.cancel()

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def wait(self, timeout_s: float) -> bool:
        """True once nothing is queued or running; False if `timeout_s` passed first."""
        from concurrent.futures import wait

        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout_s)
        return not not_done


# --- what every trigger's event shares ---------------------------------------------------------

def request_view(request: RequestInfo) -> dict:
    view = {"ip": request.ip, "geoip": {}}
    if request.hostname:
        view["hostname"] = request.hostname
    if request.user_agent:
        view["user_agent"] = request.user_agent
    return view


def connection_view(connection: dict | None) -> dict:
    connection = connection or {}
    return {"id": connection.get("id"), "name": connection.get("name"),
            "strategy": connection.get("strategy", "auth0"), "metadata": dict(connection.get("metadata") or {})}


def tenant_id(tenant: "Tenant") -> str:
    return "mockidp"  # Auth0 gives the tenant's name; a mock tenant has none of its own
