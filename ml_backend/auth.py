"""HTTP Basic auth for every route, compared in constant time (:mod:`apeach_ls.basic_auth`)."""

from __future__ import annotations

from apeach_ls import basic_auth


def basic_auth_ok(header: str | None, user: str, password: str) -> bool:
    """True when ``header`` is ``Basic base64(user:password)`` for these credentials."""
    return basic_auth.matches(header, user, password)
