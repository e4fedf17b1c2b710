"""Identifiers in Auth0's formats (fact sheet §0.3), all drawn from the tenant RNG."""
from __future__ import annotations

from .rng import TenantRandom


def user_id_suffix(rng: TenantRandom) -> str:
    """A database user's id after `auth0|`: 24 lowercase hex, like a MongoDB ObjectId."""
    return rng.hex(24)


def client_id(rng: TenantRandom) -> str:
    return rng.alnum(32)


def client_secret(rng: TenantRandom) -> str:
    return rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 64)


def prefixed(prefix: str, rng: TenantRandom, length: int = 16) -> str:
    """`con_`, `cgr_`, `rol_`, `org_`, `job_`, `uinv_` ids: prefix + 16 alphanumerics."""
    return f"{prefix}_{rng.alnum(length)}"


def resource_server_id(rng: TenantRandom) -> str:
    return rng.hex(24)


def ticket_id(rng: TenantRandom) -> str:
    return rng.alnum(32)


def log_id(rng: TenantRandom) -> str:
    return rng.digits(56)


def key_id(rng: TenantRandom) -> str:
    return rng.alnum(21)


def uuid4(rng: TenantRandom) -> str:
    """A random (version 4) UUID, as Auth0 gives actions, versions, bindings and executions."""
    from uuid import UUID  # formatting only: the bits come from the tenant RNG

    return str(UUID(bytes=rng.randbytes(16), version=4))
