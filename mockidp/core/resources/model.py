"""A declared resource: everything the generic CRUD engine needs to know about one path."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

Hook = Callable[..., Any]
NO_DEFAULTS: Mapping[str, Any] = MappingProxyType({})


class Resource(NamedTuple):
    """One Management API resource.

    `path` is the spec's collection (or singleton) path, relative to /api/v2, e.g.
    "/log-streams"; its item path is `path + "/{<id param>}"` as the spec names it.
    """

    path: str
    name: str                              # "log stream": the 404 / 409 messages use it
    singleton: bool = False                # one object at `path` (GET/PATCH/PUT), no ids
    id_key: str = "id"                     # the key holding the id in the body
    id_prefix: str | None = None           # "lst" -> lst_ + 16 alphanumerics; None -> a UUID
    id_length: int = 16                    # alphanumerics after the prefix
    new_id: Hook | None = None             # (tenant) -> id, for ids of another form (a hook's ULID)
    defaults: Mapping[str, Any] = NO_DEFAULTS  # Auth0's keys on create / a singleton's start
    created_at: str | None = None          # key stamped with the clock on create ("created_at")
    updated_at: str | None = None          # key stamped on create and on every change
    # "array" (a bare list), "offset" (bare, or Auth0's totals object on include_totals; checkpoint
    # paging when take or from is sent, for the lists whose spec has them),
    # "totals" (always the totals object), "checkpoint" (from/take), "wrapped" ({list_key: [...]});
    # an "array" with a list_key switches to checkpoint paging when take or from is sent
    listing: str = "array"
    list_key: str | None = None            # the wrapper's key ("log_streams")
    newest_first: bool = False             # lists show the latest `created_at` first (the latest stored among equals)
    unique: str | None = None              # a key whose value no two records may share (409)
    not_found: str = "The {name} does not exist."
    not_found_code: str | None = None      # errorCode of the 404 body, when Auth0 sends one
    create_status: int = 201
    write_reply: tuple[int, Any] | None = None  # a PUT answered with this, not the record
    delete_status: int = 204
    delete_reply: Any = None               # the body of a DELETE's answer, when it has one
    default_id: str | None = None          # an id naming the first record ("default" theme)
    id_fields: tuple[str, ...] = ()        # a singleton's body names its path parameters (prompt, screen)
    merge_objects: tuple[str, ...] = ()    # keys whose object value a PATCH merges (null drops)
    null_resets: bool = False              # a null written restores the key's default (drops it if none)
    patch_echoes: bool = False             # a PATCH answers only the keys it was sent
    put_echoes: bool = False               # a PUT answers only the keys it was sent (WebAuthn settings)
    hidden: tuple[str, ...] = ()           # accepted on write, never returned (secrets)
    known_keys_only: bool = False          # body keys the request schema does not name are ignored
    fixed: Mapping[str, Mapping[str, Any]] | None = None  # a fixed set of records by id (no POST)
    on_create: Hook | None = None          # (tenant, record) -> record: derived keys
    on_delete: Hook | None = None          # (tenant, record) -> None: effects elsewhere
    view: Hook | None = None               # (tenant, record) -> body, when the body is not the record
    list_view: Hook | None = None          # (tenant, body) -> a list's item, when lists summarize
    list_filter: Hook | None = None        # (tenant, bodies, query) -> bodies: a list's query filters
    source: Hook | None = None             # (tenant) -> {id: record}: records that live elsewhere
    save: Hook | None = None               # (tenant, id, record) -> None: store where they live
    starts_empty: bool = False             # a singleton that is 404 until created (email provider)
    actions: Mapping[str, Hook] = NO_DEFAULTS  # "verify" -> (tenant, record, body) -> (status, body)
    refusal: tuple[int, str, str] | None = None  # every operation answers this (status, message, code)
    available: Hook | None = None          # (tenant) -> bool: the refusal is lifted on such a tenant
    put_creates: bool = False              # PUT on an unknown id creates the record there (rules configs)
    # kind -> (tenant, record_id, body, query) -> (status, body); a kind may also be a literal
    # segment right after the collection, an operation of its own (POST /keys/encryption/rekey)
    handlers: Mapping[str, Hook] = NO_DEFAULTS
    # A collection under a parent ("/users/{user_id}/sessions"): its records are those whose
    # `owner` key equals the path parameter of that name; DELETE on the collection removes them.
    owner: str | None = None
    owner_key: str | None = None           # the record's key holding the owner id, when not `owner`
    parent: Hook | None = None             # (tenant, parent id) -> None: 404 when the parent is missing
    id_from: str | None = None             # the body key whose value is the new record's id
    shown_once: tuple[str, ...] = ()       # returned by the create only (a token's secret)
    delete_missing_ok: bool = False        # DELETE of an unknown id answers as if it were there
    unique_within_owner: bool = False      # `unique` holds per owner, not across the tenant
    duplicate: str | None = None           # the 409 message when `unique` is broken
    lookups: Mapping[str, str] = NO_DEFAULTS  # GET <path>/<segment>/{value}: the record whose key is value
    created_reply: Hook | None = None      # (tenant, record) -> body, when the create answers otherwise

    @property
    def owner_field(self) -> str | None:
        return self.owner_key or self.owner

    def message_404(self, record_id: str) -> str:
        return self.not_found.format(name=self.name, id=record_id)
