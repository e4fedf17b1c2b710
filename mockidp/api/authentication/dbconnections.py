"""POST /dbconnections/signup and POST /dbconnections/change_password (JSON or form bodies)."""
from __future__ import annotations

from flask import Blueprint, Response

from ...core.login import account_events
from ...core.tenant.errors import DbConnectionError
from ..caller import request_info
from ..formats import STRING_FORMATS
from ..http import json_response, public_base_url, read_body, tenant

dbconnections = Blueprint("dbconnections", __name__)
RESET_EMAIL_SENT = "We've just sent you an email to reset your password."


def _params() -> dict:
    body = read_body(DbConnectionError(400, "invalid_body", "The request body is not valid JSON"))
    if not isinstance(body, dict):
        raise DbConnectionError(400, "invalid_body", "The request body must be an object")
    email = body.get("email")
    if isinstance(email, str) and email and not STRING_FORMATS["email"](email):
        # The address POST /users refuses is refused here too (same check), so no door lets in
        # what the Management API could not have created.
        raise DbConnectionError(400, "invalid_parameter", f"Invalid email address: {email}")
    return body


@dbconnections.post("/dbconnections/signup")
def signup():
    return json_response(account_events.signup(tenant(), _params(), public_base_url(), request_info()))


@dbconnections.post("/dbconnections/change_password")
def change_password():
    account_events.request_password_reset(tenant(), _params(), public_base_url(), request_info())  # + ss/scpr logs
    # The same 200 text whether or not the user exists (Express's res.send: text/html).
    return Response(RESET_EMAIL_SENT, 200, content_type="text/html; charset=utf-8")
