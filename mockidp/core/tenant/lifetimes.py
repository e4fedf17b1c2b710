"""Auth0's tenant session lifetimes: stored and returned in hours, though PATCH
/tenants/settings (and so a fixture's `tenant` section) may give each as `<name>_in_minutes`."""
from __future__ import annotations

LIFETIMES = ("session_lifetime", "idle_session_lifetime", "ephemeral_session_lifetime",
             "idle_ephemeral_session_lifetime")


def lifetimes_in_hours(settings: dict) -> dict:
    """Each session lifetime given as `<name>_in_minutes` (as PATCH and a fixture may give it)
    as Auth0 stores and returns it: `<name>` in hours (a recorded PATCH of
    idle_ephemeral_session_lifetime_in_minutes: 15 reads back 0.25)."""
    record = dict(settings)
    for name in LIFETIMES:
        minutes = record.pop(f"{name}_in_minutes", None)
        if minutes is not None:
            hours = minutes / 60
            record[name] = int(hours) if float(hours).is_integer() else hours
    return record
