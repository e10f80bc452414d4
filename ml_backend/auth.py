"""HTTP Basic auth for every route, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac


def basic_auth_ok(header: str | None, user: str, password: str) -> bool:
    """True when ``header`` is ``Basic base64(user:password)`` for these credentials (the
    scheme is case-insensitive, RFC 9110 §11.1)."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_user, sep, given_password = decoded.partition(":")
    if not sep:
        return False
    # Compare both parts every time, so timing says nothing about which one was wrong.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok
