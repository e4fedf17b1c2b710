"""/api/v2/tickets: password-change and email-verification links. They send nothing."""
from __future__ import annotations

from ...core.email import tickets
from ..http import json_response, public_base_url, read_body, tenant
from ..validation import validate_body
from .common import query_args
from .registry import operation


@operation("POST /tickets/password-change")
def create_password_change_ticket():
    body = read_body()
    query_args("POST /tickets/password-change")
    validate_body("ChangePasswordTicketRequestContent", body)
    link = tickets.create_password_change_ticket(tenant(), body, public_base_url())
    return json_response({"ticket": link}, 201)


@operation("POST /tickets/email-verification")
def create_email_verification_ticket():
    body = read_body()
    query_args("POST /tickets/email-verification")
    validate_body("VerifyEmailTicketRequestContent", body)
    link = tickets.create_email_verification_ticket(tenant(), body, public_base_url())
    return json_response({"ticket": link}, 201)
