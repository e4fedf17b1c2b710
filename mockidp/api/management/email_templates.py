"""/api/v2/email-templates: the templates Auth0 renders its emails with."""
from __future__ import annotations

from ...core.email import templates
from ..http import json_response, read_body, tenant
from ..validation import validate_body
from .common import query_args
from .registry import operation


@operation("POST /email-templates")
def create_email_template():
    body = read_body()
    query_args("POST /email-templates")
    validate_body("CreateEmailTemplateRequestContent", body)
    return json_response(templates.create_template(tenant(), body), 200)  # 200 per the spec


@operation("GET /email-templates/{templateName}")
def get_email_template(templateName: str):
    query_args("GET /email-templates/{templateName}")
    return json_response(templates.get_template(tenant(), templateName))


@operation("PATCH /email-templates/{templateName}")
def update_email_template(templateName: str):
    body = read_body()
    query_args("PATCH /email-templates/{templateName}")
    validate_body("UpdateEmailTemplateRequestContent", body)
    return json_response(templates.update_template(tenant(), templateName, body, replace=False))


@operation("PUT /email-templates/{templateName}")
def set_email_template(templateName: str):
    body = read_body()
    query_args("PUT /email-templates/{templateName}")
    validate_body("SetEmailTemplateRequestContent", body)
    return json_response(templates.update_template(tenant(), templateName, body, replace=True))
