"""Errors that carry Auth0's response shapes.

Core functions raise these; the web layer turns them into responses unchanged, so every
failure a client sees has the envelope real Auth0 uses for that API.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any


class Auth0Error(Exception):
    """Base class: an HTTP status plus the JSON body Auth0 would send."""

    status: int = 500

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ManagementError(Auth0Error):
    """Management API (hapi/Boom) envelope: statusCode, error, message[, errorCode][, attributes]."""

    def __init__(self, status: int, message: str, error_code: str | None = None,
                 attributes: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        body: dict[str, Any] = {"statusCode": status, "error": reason_phrase(status), "message": message}
        if error_code is not None:
            body["errorCode"] = error_code
        if attributes is not None:
            body["attributes"] = attributes
        super().__init__(status, body, headers)
        self.message = message
        self.error_code = error_code


class OAuthError(Auth0Error):
    """Authentication API envelope: error, error_description."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None,
                 **extra: Any):
        body = {"error": error, "error_description": description, **extra}
        super().__init__(status, body, headers)
        self.error = error
        self.description = description


class DbConnectionError(Auth0Error):
    """/dbconnections/* envelope: name, code, description, statusCode (plus message for some)."""

    def __init__(self, status: int, code: str, description: Any, name: str = "BadRequestError",
                 **extra: Any):
        body = {"name": name, "code": code, "description": description, **extra, "statusCode": status}
        super().__init__(status, body)
        self.code = code
        self.log_description: str | None = None  # when the tenant log says more than the body


class ControlError(Auth0Error):
    """Errors of the /_mock control plane (not an Auth0 API): {"error": ..., "message": ...}."""

    def __init__(self, status: int, message: str, error: str = "invalid_request"):
        super().__init__(status, {"error": error, "message": message})
        self.message = message


# Shorthands for the common Management API failures.

def bad_request(message: str, error_code: str = "invalid_body") -> ManagementError:
    return ManagementError(400, message, error_code)


def not_found(message: str, error_code: str | None = None) -> ManagementError:
    return ManagementError(404, message, error_code)


def conflict(message: str, error_code: str | None = None) -> ManagementError:
    return ManagementError(409, message, error_code)


class FixtureError(ValueError):
    """A fixture or start-up setting problem, worded for the person who wrote the file."""
