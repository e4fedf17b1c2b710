"""Database-connection password policies (Auth0's none/low/fair/good/excellent) and hashing.

The policy result carries the same `rules` structure Auth0 returns in a PasswordStrengthError,
so /dbconnections/signup and the hosted pages can show Auth0's own wording.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import NamedTuple

MAX_PASSWORD_BYTES = 72  # bcrypt's limit, which Auth0 enforces

DEFAULT_MIN_LENGTH = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}

CHARACTER_CLASSES = [
    ("lowerCase", "lower case letters (a-z)", re.compile(r"[a-z]")),
    ("upperCase", "upper case letters (A-Z)", re.compile(r"[A-Z]")),
    ("numbers", "numbers (i.e. 0-9)", re.compile(r"[0-9]")),
    ("specialCharacters", "special characters (e.g. !@#$%^&*)", re.compile(r"[^a-zA-Z0-9]")),
]


class PolicyCheck(NamedTuple):
    verified: bool
    rules: list[dict]
    policy_text: str

    def error_description(self) -> dict:
        return {"rules": self.rules, "verified": self.verified}


def connection_policy(connection: dict) -> tuple[str, int]:
    options = connection.get("options") or {}
    level = options.get("passwordPolicy") or "none"
    if level not in DEFAULT_MIN_LENGTH:
        level = "good"
    complexity = options.get("password_complexity_options") or {}
    min_length = complexity.get("min_length") or DEFAULT_MIN_LENGTH[level]
    return level, int(min_length)


def check_password(connection: dict, password: str) -> PolicyCheck:
    level, min_length = connection_policy(connection)
    rules = [_length_rule(password, min_length)]
    if level == "fair":
        rules.append(_should_contain_rule(password, CHARACTER_CLASSES[:3]))
    elif level in ("good", "excellent"):
        rules.append(_contains_at_least_rule(password, 3))
    if level == "excellent":
        rules.append(_identical_chars_rule(password))
    too_long = len(password.encode("utf-8")) > MAX_PASSWORD_BYTES
    verified = all(rule["verified"] for rule in rules) and not too_long
    return PolicyCheck(verified, rules, _policy_text(rules))


def _length_rule(password: str, min_length: int) -> dict:
    return {"message": "At least %d characters in length", "format": [min_length],
            "code": "lengthAtLeast", "verified": len(password) >= min_length}


def _class_items(password: str, classes) -> list[dict]:
    return [{"message": message, "code": code, "verified": bool(pattern.search(password))}
            for code, message, pattern in classes]


def _should_contain_rule(password: str, classes) -> dict:
    items = _class_items(password, classes)
    return {"message": "Should contain:", "code": "shouldContain", "items": items,
            "verified": all(item["verified"] for item in items)}


def _contains_at_least_rule(password: str, needed: int) -> dict:
    items = _class_items(password, CHARACTER_CLASSES)
    met = sum(item["verified"] for item in items)
    return {"message": "Contain at least %d of the following %d types of characters:",
            "code": "containsAtLeast", "format": [needed, len(items)], "items": items,
            "verified": met >= needed}


def _identical_chars_rule(password: str) -> dict:
    return {"message": 'No more than %d identical characters in a row (e.g., "%s" not allowed)',
            "code": "identicalChars", "format": [2, "aaa"],
            "verified": re.search(r"(.)\1\1", password) is None}


def _policy_text(rules: list[dict]) -> str:
    lines = []
    for rule in rules:
        lines.append("* " + (rule["message"] % tuple(rule["format"]) if "format" in rule else rule["message"]))
        lines.extend(f" * {item['message']}" for item in rule.get("items", []))
    return "\n".join(lines)


def hash_password(password: str, salt: str) -> str:
    """A salted SHA-256: enough for a mock (passwords never leave the process) and fast enough
    to seed 100,000 users. Real Auth0 uses bcrypt."""
    digest = hashlib.sha256(f"{salt}:{password}".encode("utf-8")).hexdigest()
    return f"sha256${salt}${digest}"


BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")


def verify_password(password: str, stored: str | None) -> bool:
    """`stored` is mockidp's own salted SHA-256, or a bcrypt hash ($2a$/$2b$/$2y$) that came
    in through a user import (core/jobs/imports.py), which must log in with its password."""
    if not stored:
        return False
    if stored.startswith("$2"):
        return _verify_bcrypt(password, stored)
    _, salt, _ = stored.split("$", 2)
    return hmac.compare_digest(hash_password(password, salt), stored)


def _verify_bcrypt(password: str, stored: str) -> bool:
    import bcrypt  # a C extension, loaded on the first login of an imported user only
    try:
        return bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
    except ValueError:  # a malformed hash, or a password past bcrypt's 72 bytes (bcrypt 5)
        return False
