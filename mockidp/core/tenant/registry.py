"""The tenants of one server: the default tenant (served at the root) and any number of named
ones (served under /t/{name}/), each a whole Tenant that shares nothing with the others.

The registry only names, finds and forgets tenants; how one is built (fixtures, seed, clock) is
the caller's `build` function, so this module knows no domain. A name is reserved while its
tenant is being built, so two requests for the same name never build two tenants, and a build
that fails leaves nothing behind.
"""
from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Callable

from .errors import ControlError

if TYPE_CHECKING:
    from .tenant import Tenant

NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
NAME_RULE = "1 to 63 lower-case letters, digits and inner hyphens (it becomes part of URLs: /t/{name}/)"
DEFAULT_NAME = "default"


class TenantRegistry:
    def __init__(self, default: Tenant):
        self.default = default
        self._named: dict[str, Tenant] = {}
        self._building: set[str] = set()
        self._lock = threading.Lock()

    def find(self, name: str) -> Tenant | None:
        return self._named.get(name)

    def get(self, name: str) -> Tenant:
        tenant = self._named.get(name)
        if tenant is None:
            raise ControlError(404, f"No tenant named {name!r}; GET /_mock/tenants lists them.", "not_found")
        return tenant

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._named)

    def create(self, name: str, build: Callable[[], Tenant]) -> Tenant:
        """Build a tenant and register it under `name` (409 if the name is taken)."""
        check_name(name)
        with self._lock:
            if name in self._named or name in self._building:
                raise ControlError(409, f"A tenant named {name!r} already exists.", "conflict")
            self._building.add(name)
        try:
            tenant = build()
        except BaseException:
            with self._lock:
                self._building.discard(name)
            raise
        with self._lock:
            self._building.discard(name)
            self._named[name] = tenant
        return tenant

    def delete(self, name: str) -> None:
        with self._lock:
            tenant = self._named.pop(name, None)
        if tenant is None:
            raise ControlError(404, f"No tenant named {name!r}; GET /_mock/tenants lists them.", "not_found")
        tenant.close()

    def close(self) -> None:
        """Stop every named tenant's background work (the server is stopping)."""
        with self._lock:
            tenants, self._named = list(self._named.values()), {}
        for tenant in tenants:
            tenant.close()


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ControlError(400, f'"name" must be {NAME_RULE}; got {name!r}.')
    if name == DEFAULT_NAME:
        raise ControlError(409, '"default" is the tenant served at the root; choose another name.', "conflict")
    return name
