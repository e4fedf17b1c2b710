"""/api/v2/tickets: password-change and email-verification links. They send nothing."""
from __future__ import annotations

from ...core.email import tickets
from ..http import json_response, public_base_url, tenant
from .common import payload
from .registry import operation


@operation("POST /tickets/password-change")
def create_password_change_ticket():
    body = payload("POST /tickets/password-change")
    link = tickets.create_password_change_ticket(tenant(), body, public_base_url())
    return json_response({"ticket": link}, 201)


@operation("POST /tickets/email-verification")
def create_email_verification_ticket():
    body = payload("POST /tickets/email-verification")
    link = tickets.create_email_verification_ticket(tenant(), body, public_base_url())
    return json_response({"ticket": link}, 201)
