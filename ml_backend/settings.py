"""Backend settings, each read from the environment where it is documented.

| variable | meaning | default |
|---|---|---|
| APEACH_LS_MODEL | classifier spec: a saved n-gram model dir, or ``hf:<id or path>`` | required unless a classifier is injected |
| APEACH_ML_BASIC_AUTH_USER | Basic auth user required on every route | unset: no auth |
| APEACH_ML_BASIC_AUTH_PASSWORD / APEACH_ML_BASIC_AUTH_PASSWORD_FILE | its password (or a file holding it) | unset |
| APEACH_ML_MAX_TEXT_CHARS | longest sentence accepted | 1000 |
| APEACH_ML_MAX_TASKS | most tasks in one /predict | 10000 |
| APEACH_ML_BATCHING | micro-batching: auto (on for checkpoint models), on, off | auto |
| APEACH_ML_MAX_BATCH | most sentences in one forward pass | 32 |
| APEACH_ML_MAX_QUEUE | requests waiting for a batch before 503 | 256 |
| APEACH_ML_TORCH_THREADS | torch intra-op threads per worker | cores / gunicorn workers |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from apeach_ls.errors import ConfigError
from apeach_ls.settings import read_secret


@dataclass(frozen=True)
class BackendSettings:
    model_spec: str | None = None
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None  # never logged: see __repr__
    max_text_chars: int = 1000
    max_tasks: int = 10000
    max_body_bytes: int = 64 * 1024 * 1024
    batching: str = "auto"
    max_batch: int = 32
    max_queue: int = 256
    torch_threads: int | None = None

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        auth = "basic" if self.basic_auth_user else "none"
        return f"BackendSettings(model_spec={self.model_spec!r}, auth={auth}, max_text_chars={self.max_text_chars})"

    @property
    def auth_required(self) -> bool:
        return bool(self.basic_auth_user)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "BackendSettings":
        env = os.environ if env is None else env
        user = env.get("APEACH_ML_BASIC_AUTH_USER") or None
        password = read_secret(env, "APEACH_ML_BASIC_AUTH_PASSWORD")
        if bool(user) != bool(password):
            raise ConfigError("Set both APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD "
                              "(or APEACH_ML_BASIC_AUTH_PASSWORD_FILE), or neither")
        return cls(
            model_spec=env.get("APEACH_LS_MODEL") or None,
            basic_auth_user=user,
            basic_auth_password=password,
            max_text_chars=_positive_int(env, "APEACH_ML_MAX_TEXT_CHARS", 1000),
            max_tasks=_positive_int(env, "APEACH_ML_MAX_TASKS", 10000),
            batching=_choice(env, "APEACH_ML_BATCHING", ("auto", "on", "off"), "auto"),
            max_batch=_positive_int(env, "APEACH_ML_MAX_BATCH", 32),
            max_queue=_positive_int(env, "APEACH_ML_MAX_QUEUE", 256),
            torch_threads=_positive_int(env, "APEACH_ML_TORCH_THREADS", 0) or None,
        )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value
