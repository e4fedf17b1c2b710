"""/api/v2/email-templates: the templates Auth0 renders its emails with."""
from __future__ import annotations

from ...core.email import templates
from ..http import json_response, tenant
from .common import payload, query_args
from .registry import operation


@operation("POST /email-templates")
def create_email_template():
    body = payload("POST /email-templates")
    return json_response(templates.create_template(tenant(), body), 200)  # 200 per the spec


@operation("GET /email-templates/{templateName}")
def get_email_template(templateName: str):
    query_args("GET /email-templates/{templateName}")
    return json_response(templates.get_template(tenant(), templateName))


@operation("PATCH /email-templates/{templateName}")
def update_email_template(templateName: str):
    body = payload("PATCH /email-templates/{templateName}")
    return json_response(templates.update_template(tenant(), templateName, body, replace=False))


@operation("PUT /email-templates/{templateName}")
def set_email_template(templateName: str):
    body = payload("PUT /email-templates/{templateName}")
    return json_response(templates.update_template(tenant(), templateName, body, replace=True))
