"""/api/v2 for every resource declared in core/resources: one catch-all rule, the operation
found by declared_routes.match, then the same few steps for all of them (authenticate, check the
spec's scopes, validate the query and body, call core/resources/store, shape the answer).

Paths the hand-written modules serve never get here: Flask prefers their rules. A path nobody
declares gets the generic 404, or 405 with Allow when another rule serves it."""
from __future__ import annotations

from flask import current_app, g, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ....core.resources import store
from ....core.tenant.errors import ManagementError
from ...http import empty_response, json_response, read_body, tenant
from ...validation import (
    body_schema_for,
    schema_property_names,
    scopes_for,
    validate_body,
)
from ..common import checkpoint, paged, projection, query_args, wants_checkpoint
from ..registry import authenticate, management, require_any_scope
from .routes import Route, match

ENDPOINT = "declared"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def dispatch(rest: str):
    route, params, allowed = match(request.method, rest)
    if route is None:
        _fall_through(allowed)
    g.operation_key = route.key  # for registry.audit
    g.caller = authenticate()
    require_any_scope(scopes_for(route.key))
    resource = route.resource
    if resource.refusal is not None and (route.kind == "refuse" or not resource.available(tenant())):
        status, message, code = resource.refusal
        raise ManagementError(status, message, code)
    if resource.parent is not None and params:
        resource.parent(tenant(), _owner_id(route, params) or next(iter(params.values())))
    if route.kind in resource.handlers:
        return _handled(route, params)
    return VIEWS[route.kind](route, params)


def _handled(route: Route, params):
    """A hand-written operation named in the declaration (a hook's secrets)."""
    body = _body(route) if request.content_length else None
    args = query_args(route.key)
    current = tenant()
    with current.lock:
        status, reply = route.resource.handlers[route.kind](current, _record_id(route, params), body, args)
    return empty_response(status) if reply is None else json_response(reply, status)


def _fall_through(allowed: list[str]) -> None:
    """What Flask would have answered without the catch-all: 405 naming the methods some rule
    (declared or hand-written) serves at this path, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(method=method)
        except Exception:  # no rule for this method (NotFound, MethodNotAllowed, a redirect)
            continue
        if not endpoint.endswith("." + ENDPOINT):
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(set(allowed)))
    raise NotFound()


# --- the views ----------------------------------------------------------------------------

def _record_id(route: Route, params: dict[str, str]) -> str:
    """An item's id is the last path parameter; a singleton's, all of them ('/'-joined)."""
    values = list(params.values())
    if route.resource.singleton:
        return "/".join(values)
    return values[-1] if values else store.SINGLETON_ID


def _owner_id(route: Route, params: dict[str, str]) -> str | None:
    """The parent's id, for a resource under a parent (a connection's SCIM tokens)."""
    return params.get(route.resource.owner) if route.resource.owner else None


def _body(route: Route):
    body = read_body()
    schema = body_schema_for(route.key)
    if schema:
        validate_body(schema, body)
        if route.resource.known_keys_only and isinstance(body, dict):
            # an open schema lets anything through, but Auth0 keeps only what it knows
            known = schema_property_names(schema)
            body = {key: value for key, value in body.items() if key in known}
    return body


def _projected(body, args: dict):
    """`fields` (with `include_fields`) keeps or drops those keys of a record's body."""
    fields, include = projection(args, None, "fields")
    if not fields or not isinstance(body, dict):
        return body
    return {key: value for key, value in body.items() if (key in fields) == include}


def list_records(route: Route, params):
    args = query_args(route.key)
    resource = route.resource
    items = store.list_views(tenant(), resource, _owner_id(route, params))
    if resource.list_filter is not None:
        items = resource.list_filter(tenant(), items, args)
    by_checkpoint = resource.listing == "checkpoint" or (
        resource.listing in ("array", "offset") and resource.list_key and wants_checkpoint(args))
    if not by_checkpoint:  # checkpoint paging reads each item's id
        items = [_projected(item, args) for item in items]
    if resource.listing == "offset" and not by_checkpoint:
        return json_response(paged(items, args, resource.list_key))
    if resource.listing == "totals":
        return json_response(paged(items, {**args, "include_totals": True}, resource.list_key))
    if by_checkpoint:
        return json_response(checkpoint(items, args, resource.list_key, resource.id_key,
                                        lambda item: _projected(item, args)))
    if resource.listing == "wrapped":
        return json_response({resource.list_key: items})
    return json_response(items)


def create(route: Route, params):
    body = _body(route)
    query_args(route.key)
    current = tenant()
    record_id = _record_id(route, params) if route.resource.singleton else None
    record = store.create(current, route.resource, body, record_id or None, _owner_id(route, params))
    return json_response(store.created_view(current, route.resource, record), route.resource.create_status)


def get(route: Route, params):
    args = query_args(route.key)
    current = tenant()
    record = store.find(current, route.resource, _record_id(route, params), _owner_id(route, params))
    return json_response(_projected(store.view(current, route.resource, record), args))


def lookup(route: Route, params):
    query_args(route.key)
    current = tenant()
    record = store.find_by(current, route.resource, route.action, _record_id(route, params), _owner_id(route, params))
    return json_response(store.view(current, route.resource, record))


def update(route: Route, params, *, replace: bool = False):
    body = _body(route)
    query_args(route.key)
    current, resource = tenant(), route.resource
    record_id = _record_id(route, params)
    if not isinstance(body, dict):  # a list or string singleton (guardian policies, a template)
        record = store.put_raw(current, resource, body, record_id)
    elif replace and (resource.starts_empty or resource.put_creates) and record_id not in store.records(current, resource):
        record = store.create(current, resource, body, record_id, _owner_id(route, params))  # a PUT creates it
    else:
        record = store.update(current, resource, record_id, body, replace=replace, owner_id=_owner_id(route, params))
    if resource.put_creates:
        return json_response(store.created_view(current, resource, record))
    if replace and resource.write_reply:
        status, reply = resource.write_reply
        return json_response(reply, status)
    answer = store.view(current, resource, record)
    if (resource.patch_echoes and not replace) or (resource.put_echoes and replace):
        answer = {key: value for key, value in answer.items() if key in body}
    return json_response(answer)


def delete(route: Route, params):
    query_args(route.key)
    store.delete(tenant(), route.resource, _record_id(route, params), _owner_id(route, params))
    if route.resource.delete_reply is not None:
        return json_response(route.resource.delete_reply, route.resource.delete_status)
    return empty_response(route.resource.delete_status)


def delete_owned(route: Route, params):
    query_args(route.key)
    store.delete_owned(tenant(), route.resource, params[route.resource.owner])
    return json_response({}, 202)


def action(route: Route, params):
    body = _body(route) if request.content_length else {}
    query_args(route.key)
    current = tenant()
    record = store.find(current, route.resource, _record_id(route, params), _owner_id(route, params))
    with current.lock:
        status, reply = route.resource.actions[route.action](current, record, body)
    if isinstance(reply, dict) and reply is record:
        reply = store.view(current, route.resource, record)
    return json_response(reply, status)


VIEWS = {"list": list_records, "create": create, "get": get, "update": update,
         "replace": lambda route, params: update(route, params, replace=True),
         "delete": delete, "delete_owned": delete_owned, "action": action, "lookup": lookup}

management.add_url_rule("/<path:rest>", endpoint=ENDPOINT, view_func=dispatch, methods=list(METHODS))
