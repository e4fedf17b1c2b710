"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps) on the tenant clock, with pyotp doing the RFC
arithmetic at the time the tenant clock gives: a frozen clock gives a stable code, advancing it
by 30 s rolls the code. Secrets and recovery codes come from the tenant RNG."""
from __future__ import annotations

import base64
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from ..tenant.rng import TenantRandom

PERIOD = 30
DIGITS = 6
# One step either side, for the drift of a phone's clock (docs/behaviour.md).
VALID_WINDOW = 1
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_secret(rng: "TenantRandom") -> str:
    """32 base32 characters (160 bits), the length Auth0's secrets have."""
    return base64.b32encode(rng.randbytes(20)).decode("ascii")


def new_recovery_code(rng: "TenantRandom") -> str:
    """24 characters, like Auth0's recovery codes."""
    return rng.chars(RECOVERY_ALPHABET, 24)


def code_at(secret: str, timestamp: float) -> str:
    import pyotp  # small; only MFA flows need it

    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).at(int(timestamp))


def verify(secret: str, code: str, timestamp: float) -> bool:
    import pyotp

    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).verify(code, for_time=int(timestamp),
                                                                     valid_window=VALID_WINDOW)


def otpauth_uri(secret: str, issuer: str, account: str) -> str:
    """The barcode URI Auth0 returns: otpauth://totp/<issuer>:<account>?secret=...&issuer=..."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return (f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer, safe='')}"
            f"&algorithm=SHA1&digits={DIGITS}&period={PERIOD}")
