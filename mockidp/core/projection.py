"""`fields` / `include_fields`: the projection every Management API read supports."""
from __future__ import annotations


def select_fields(item: dict, fields: list[str] | None, include: bool) -> dict:
    """Keep only `fields` (include=True) or drop them (include=False); no fields keeps all."""
    if not fields:
        return item
    if include:
        return {key: value for key, value in item.items() if key in fields}
    return {key: value for key, value in item.items() if key not in fields}
