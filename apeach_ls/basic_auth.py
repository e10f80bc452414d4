"""HTTP Basic credentials (RFC 7617), written and read in one place.

The backend checks the header Label Studio sends, ``apeach-ls setup`` writes it onto the
backend's webhook and compares what a webhook already has: all three go through here, so a
header one side accepts is one the other side writes. Pure logic, no I/O.

- The scheme is case-insensitive (RFC 9110 §11.1); spaces may separate it from the token.
- The token is strict base64 of UTF-8 ``user:password``, split at the first colon: a user
  name cannot hold a colon (:func:`check_user` refuses one where credentials are set).
"""

from __future__ import annotations

import base64
import binascii
import hmac

from .errors import ConfigError


def check_user(user: str, where: str) -> str:
    """``user`` when it can be sent in a Basic header; ConfigError naming ``where`` otherwise."""
    if ":" in user:
        raise ConfigError(f"{where}: a Basic auth user name cannot contain ':' ({user!r})")
    return user


def header(user: str, password: str) -> str:
    """The ``Authorization`` header value for these credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def parse(value: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of a Basic ``Authorization`` header; None for anything else."""
    scheme, _, token = (value or "").partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def matches(value: str | None, user: str, password: str) -> bool:
    """True when the header holds exactly these credentials. Both parts are compared every
    time, in constant time, so timing says nothing about which one was wrong."""
    given = parse(value)
    given_user, given_password = given or ("", "")
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return given is not None and user_ok and password_ok


def same(value: str | None, wanted: str | None) -> bool:
    """True when a header holds the credentials ``wanted`` holds, however it spells the scheme
    and spaces, or when both are absent (None)."""
    if wanted is None or value is None:
        return wanted is None and value is None
    return parse(value) is not None and parse(value) == parse(wanted)
