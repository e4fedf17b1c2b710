"""The generic CRUD engine: create, read, list, update, replace and delete any declared resource.

Records live in `tenant.directory.resources[<resource path>]`, a dict of id -> record that is
itself replaced (never changed) on every write, like every record in it: the directory's
shallow snapshot then covers them, so reset restores them for free. Bodies handed out are
copies, so a caller can never change what is stored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ..directory.projection import json_copy
from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import conflict, not_found
from .model import Resource

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

SINGLETON_ID = ""


def records(tenant: "Tenant", resource: Resource) -> dict[str, dict]:
    """Every current record by id: stored ones, or the fixed set's defaults where none is stored."""
    if resource.source is not None:
        return resource.source(tenant)
    stored = tenant.directory.resources.get(resource.path, {})
    if resource.fixed is not None:
        return {key: stored.get(key) or {**value} for key, value in resource.fixed.items()}
    return stored


def view(tenant: "Tenant", resource: Resource, record: dict) -> Any:
    """The body Auth0 returns for a record: hidden keys dropped, a copy."""
    if resource.view is not None:
        return json_copy(resource.view(tenant, record))
    if not isinstance(record, dict):  # a list singleton (guardian policies)
        return json_copy(record)
    unseen = resource.hidden + resource.shown_once
    return {key: json_copy(value) for key, value in record.items() if key not in unseen}


def created_view(tenant: "Tenant", resource: Resource, record: dict) -> Any:
    """The create's reply: the body, plus what is shown only once (a token's secret)."""
    if resource.created_reply is not None:
        return json_copy(resource.created_reply(tenant, record))
    body = view(tenant, resource, record)
    if isinstance(body, dict):
        body.update({key: record[key] for key in resource.shown_once if key in record})
    return body


def list_views(tenant: "Tenant", resource: Resource, owner_id: str | None = None) -> list[Any]:
    """Every record's body (or its summary, for resources whose lists summarize); under a
    parent, only the parent's (which must exist)."""
    listed = list(records(tenant, resource).values())
    if resource.newest_first:  # the latest created_at first; among equal times, the latest stored
        order = sorted(range(len(listed)), key=lambda at: (listed[at].get(resource.created_at) or "", at), reverse=True)
        listed = [listed[at] for at in order]
    bodies = [view(tenant, resource, record) for record in listed
              if owner_id is None or record.get(resource.owner_field) == owner_id]
    if resource.list_view is not None:
        return [resource.list_view(tenant, body) for body in bodies]
    return bodies


def delete_owned(tenant: "Tenant", resource: Resource, owner_id: str) -> None:
    """DELETE on a collection under a parent: every record of that parent."""
    with tenant.lock:
        for record_id, record in list(records(tenant, resource).items()):
            if record.get(resource.owner_field) == owner_id:
                delete(tenant, resource, record_id)


def find(tenant: "Tenant", resource: Resource, record_id: str = SINGLETON_ID, owner_id: str | None = None) -> dict:
    """A stored record; a singleton never written reads as Auth0's defaults (unless it starts
    empty, like the email provider). A singleton's id is its path parameters, '/'-joined. Under
    a parent, another parent's record is not found."""
    stored = records(tenant, resource)
    record = stored.get(_key(resource, record_id, owner_id))
    if record is not None and owner_id is not None and record.get(resource.owner_field) != owner_id:
        record = None
    if record is None and stored and record_id == resource.default_id:
        record = next(iter(stored.values()))
    if record is None and resource.singleton and not resource.starts_empty:
        record = _fresh_defaults(resource)
    if record is None:
        raise not_found(resource.message_404(record_id), resource.not_found_code)
    if resource.id_fields:
        record = {**dict(zip(resource.id_fields, record_id.split("/"))), **record}
    return record


def create(tenant: "Tenant", resource: Resource, body: dict, record_id: str | None = None,
           owner_id: str | None = None) -> dict:
    """Store a new record: Auth0's defaults, then the body, then the id and timestamps. A
    singleton (the email provider) is created at its own id, with no id key. Under a parent,
    the record keeps its owner's id."""
    with tenant.lock:
        _check_unique(tenant, resource, body, None, owner_id)
        if resource.singleton:
            record = {**json_copy(dict(resource.defaults)), **json_copy(body)}
            record_id = record_id or SINGLETON_ID
        else:
            record_id = record_id or _new_id(tenant, resource, body, owner_id)
            record = {resource.id_key: record_id, **json_copy(dict(resource.defaults)), **json_copy(body)}
        if owner_id is not None and resource.owner_field:
            record[resource.owner_field] = owner_id
        if resource.null_resets:
            record = _nulls_reset(resource, record, body)
        record = _stamped(tenant, resource, record, created=True)
        if resource.on_create is not None:
            record = resource.on_create(tenant, record)
        _store(tenant, resource, _key(resource, record_id, owner_id), record)
        return record


def update(tenant: "Tenant", resource: Resource, record_id: str, body: dict, *, replace: bool = False,
           owner_id: str | None = None) -> dict:
    """PATCH (merge top-level keys; objects named in `merge_objects` merge one level, a null
    there drops the key) or PUT (the body replaces what the caller may set)."""
    with tenant.lock:
        current = find(tenant, resource, record_id, owner_id)
        _check_unique(tenant, resource, body, record_id, owner_id)
        if replace:
            kept = {key: current[key] for key in (resource.id_key, resource.created_at, resource.owner_field)
                    if key and key in current}
            record = {**json_copy(dict(resource.defaults)), **kept, **json_copy(body)}
        else:
            record = {**current, **{key: _merged(resource, key, current.get(key), value)
                                    for key, value in json_copy(body).items()}}
            if resource.null_resets:
                record = _nulls_reset(resource, record, body)
        record = _stamped(tenant, resource, record, created=False)
        _store(tenant, resource, record_id, record)
        if resource.source is not None:  # stored elsewhere, maybe reshaped (lifetimes in hours)
            return find(tenant, resource, record_id, owner_id)
        return record


def delete(tenant: "Tenant", resource: Resource, record_id: str = SINGLETON_ID, owner_id: str | None = None) -> None:
    with tenant.lock:
        if resource.delete_missing_ok and find_or_none(tenant, resource, record_id, owner_id) is None:
            return  # Auth0 answers a repeated DELETE as it answered the first
        record = find(tenant, resource, record_id, owner_id)
        if resource.on_delete is not None:
            resource.on_delete(tenant, record)
        if resource.source is not None:
            return  # the hook removed it from where it lives
        remaining = dict(tenant.directory.resources.get(resource.path, {}))
        remaining.pop(record_id, None)
        tenant.directory.resources = {**tenant.directory.resources, resource.path: remaining}


def put_raw(tenant: "Tenant", resource: Resource, value: Any, record_id: str = SINGLETON_ID) -> Any:
    """A singleton whose body is not an object (guardian policies: a list) replaced whole."""
    with tenant.lock:
        _store(tenant, resource, record_id, json_copy(value))
        return value


# --- helpers ---------------------------------------------------------------------------

def _key(resource: Resource, record_id: str, owner_id: str | None) -> str:
    """Where a record is stored: an association named by what it links (an organization's
    client grant) is stored per owner, since two owners may link the same thing."""
    return f"{owner_id}/{record_id}" if resource.id_from and owner_id is not None else record_id


def _fresh_defaults(resource: Resource) -> Any:
    defaults = resource.defaults
    if isinstance(defaults, tuple):
        return list(defaults)  # a list singleton's defaults are declared immutable
    return json_copy(dict(defaults) if isinstance(defaults, Mapping) else defaults)


def _new_id(tenant: "Tenant", resource: Resource, body: dict, owner_id: str | None) -> str:
    if resource.id_from:  # an association named by what it links (an organization's client grant)
        record_id = str(body.get(resource.id_from))
        if find_or_none(tenant, resource, record_id, owner_id) is not None:
            raise conflict(resource.duplicate or f"The {resource.name} already exists.")
        return record_id
    if resource.new_id:
        return resource.new_id(tenant)
    if resource.id_prefix:
        return ids.prefixed(resource.id_prefix, tenant.rng, resource.id_length)
    return ids.uuid4(tenant.rng)


def _stamped(tenant: "Tenant", resource: Resource, record: dict, *, created: bool) -> dict:
    now = iso(tenant.clock.now())
    if created and resource.created_at:
        record[resource.created_at] = now
    if resource.updated_at:
        record[resource.updated_at] = now
    return record


def _nulls_reset(resource: Resource, record: dict, written: dict) -> dict:
    """Auth0 never answers these keys as null: a null written brings back the default, or
    removes the key when it has none (a logo URL); so does an object a PATCH emptied by nulling
    its keys (a font without its URL), though an empty object written as such stays (recorded:
    an email provider's `settings: {}`)."""
    cleared = {key for key, value in record.items()
               if value is None or (value == {} and _nulls_only(written.get(key)))}
    reset = {key: json_copy(resource.defaults[key]) for key in cleared if key in resource.defaults}
    return {key: reset.get(key, value) for key, value in record.items() if key not in cleared or key in reset}


def _nulls_only(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(item is None for item in value.values())


def _merged(resource: Resource, key: str, old: Any, new: Any) -> Any:
    if key not in resource.merge_objects or not isinstance(new, dict):
        return new
    merged = {**(old if isinstance(old, dict) else {}), **new}
    return {name: value for name, value in merged.items() if value is not None}


def find_by(tenant: "Tenant", resource: Resource, key: str, value: str, owner_id: str | None) -> dict:
    """The record whose `key` is `value` (a discovery domain by its name)."""
    for record in records(tenant, resource).values():
        if record.get(key) == value and (owner_id is None or record.get(resource.owner_field) == owner_id):
            return record
    raise not_found(resource.message_404(value), resource.not_found_code)


def find_or_none(tenant: "Tenant", resource: Resource, record_id: str, owner_id: str | None = None) -> dict | None:
    record = records(tenant, resource).get(_key(resource, record_id, owner_id))
    if record is None or (owner_id is not None and record.get(resource.owner_field) != owner_id):
        return None
    return record


def _check_unique(tenant: "Tenant", resource: Resource, body: dict, record_id: str | None,
                  owner_id: str | None = None) -> None:
    key = resource.unique
    if not key or body.get(key) is None:
        return
    for other_id, other in records(tenant, resource).items():
        if resource.unique_within_owner and other.get(resource.owner_field) != owner_id:
            continue
        if other_id != record_id and other.get(key) == body[key]:
            raise conflict(resource.duplicate or f"A {resource.name} with the same {key} already exists.")


def _store(tenant: "Tenant", resource: Resource, record_id: str, record: Any) -> None:
    if resource.save is not None:
        resource.save(tenant, record_id, record)
        return
    # The directory's table and this resource's dict are both replaced, never changed, so a
    # snapshot taken before (reset's pristine copy) keeps seeing the old ones.
    table = {**tenant.directory.resources.get(resource.path, {}), record_id: record}
    tenant.directory.resources = {**tenant.directory.resources, resource.path: table}
