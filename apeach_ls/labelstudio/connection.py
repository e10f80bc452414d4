"""Connecting to Label Studio with the SDK, from settings in the environment.

| variable | meaning |
|---|---|
| LABEL_STUDIO_URL | base URL, e.g. http://127.0.0.1:8080 |
| LABEL_STUDIO_API_KEY / LABEL_STUDIO_API_KEY_FILE | a legacy token (40 hex) or a personal access token (JWT) |
| LABEL_STUDIO_TIMEOUT | seconds one request may take (default 900: exporting 10,000 tasks from a busy SQLite Label Studio took 45-80 s) |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from ..errors import ConfigError, LabelStudioError
from ..settings import read_secret

DEFAULT_TIMEOUT = 900.0


@dataclass(frozen=True)
class LabelStudioSettings:
    url: str
    api_key: str
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return f"LabelStudioSettings(url={self.url!r}, api_key=***)"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LabelStudioSettings:
        """From LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY[_FILE], LABEL_STUDIO_TIMEOUT in ``env``
        (the CLI's :class:`apeach_ls.cli_settings.CliSettings` gives its environment)."""
        url = (env.get("LABEL_STUDIO_URL") or "").rstrip("/")
        key = read_secret(env, "LABEL_STUDIO_API_KEY")
        if not url:
            raise ConfigError(
                "Set LABEL_STUDIO_URL to your Label Studio, e.g. http://127.0.0.1:8080"
            )
        if not key:
            raise ConfigError(
                "Set LABEL_STUDIO_API_KEY (or LABEL_STUDIO_API_KEY_FILE) to an access token "
                "from Label Studio's Account & Settings page"
            )
        raw_timeout = env.get("LABEL_STUDIO_TIMEOUT") or str(DEFAULT_TIMEOUT)
        try:
            timeout = float(raw_timeout)
        except ValueError:
            raise ConfigError(
                f"LABEL_STUDIO_TIMEOUT must be a number of seconds, got {raw_timeout!r}"
            ) from None
        if timeout <= 0:
            raise ConfigError(f"LABEL_STUDIO_TIMEOUT must be positive, got {raw_timeout!r}")
        return cls(url=url, api_key=key, timeout=timeout)


def connect(settings: LabelStudioSettings) -> LabelStudio:
    return LabelStudio(base_url=settings.url, api_key=settings.api_key, timeout=settings.timeout)


MAX_DETAIL = 300  # characters of an error body shown in a message


def describe_api_error(exc: Exception, doing: str) -> LabelStudioError:
    """Turn an SDK or network error into one readable line. A web page instead of the API
    (LABEL_STUDIO_URL points at another server, or at a path) is named by its title, never
    dumped."""
    if isinstance(exc, ApiError):
        body: Any = exc.body
        detail = (
            body.get("detail") or body.get("validation_errors") or body
            if isinstance(body, dict)
            else body
        )
        if exc.status_code == 401:
            return LabelStudioError(
                f"{doing}: Label Studio rejected the API key (401); check LABEL_STUDIO_API_KEY"
            )
        if isinstance(detail, str) and _HTML.match(detail):
            title = _TITLE.search(detail)
            shown = " ".join(title.group(1).split()) if title else "untitled"
            return LabelStudioError(
                f"{doing}: got a web page ({exc.status_code}, {shown!r}) instead of Label Studio's "
                "API; check that LABEL_STUDIO_URL is your Label Studio's address, e.g. "
                "http://127.0.0.1:8080 (no path)"
            )
        return LabelStudioError(
            f"{doing}: Label Studio answered {exc.status_code}: {_one_line(detail)}"
        )
    if isinstance(exc, httpx.HTTPError):
        return LabelStudioError(
            f"{doing}: cannot reach Label Studio ({type(exc).__name__}: {_one_line(exc)})"
        )
    return LabelStudioError(f"{doing}: {_one_line(exc)}")


_HTML = re.compile(r"\s*(<!doctype html|<html)", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."
