"""Backend settings, each read from the environment where it is documented.

| variable | meaning | default |
|---|---|---|
| APEACH_LS_MODEL | the model served: a saved n-gram model dir, a transformers checkpoint dir, ``hf:<id or path>``, or a model registry (:mod:`apeach_ls.classifier.loading`) | required unless a classifier is injected |
| APEACH_VERDICT_SECRET / APEACH_VERDICT_SECRET_FILE | the secret verdict receipts are signed with (the CLI checks them with the same one) | required |
| LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY / LABEL_STUDIO_API_KEY_FILE | where retraining reads the campaign's annotations (never from webhook bodies) | unset: retraining uses the base data only |
| APEACH_ML_BASIC_AUTH_USER | Basic auth user required on every route | unset: no auth |
| APEACH_ML_BASIC_AUTH_PASSWORD / APEACH_ML_BASIC_AUTH_PASSWORD_FILE | its password (or a file holding it) | unset |
| APEACH_ML_MAX_TEXT_CHARS | longest sentence accepted (/predict and /webhook) | 1000 |
| APEACH_ML_MAX_CONFIG_CHARS | longest labeling config accepted (/predict, /setup, /webhook); longer ones get 413 before they are parsed | 100000 |
| APEACH_ML_MAX_TASKS | most tasks in one /predict | 10000 |
| APEACH_ML_BATCHING | micro-batching: auto (on for checkpoint models), on, off | auto |
| APEACH_ML_MAX_BATCH | most sentences in one forward pass | 32 |
| APEACH_ML_MAX_QUEUE | requests waiting for a batch before 503 | 256 |
| APEACH_ML_TORCH_THREADS | torch intra-op threads per worker | cores / gunicorn workers |
| APEACH_ML_QUANTIZE | int8: int8 dynamic quantization of a checkpoint model's Linear layers (CPU; version ends in -int8); off: float weights | off |
| APEACH_ML_RETRAIN_EVERY | retrain after this many new annotations (0: only on START_TRAINING) | 0 |
| APEACH_ML_BASE_TRAIN_DATA | labeled file every retraining starts from (e.g. BEEP! train) | none |
| APEACH_ML_HOLDOUT_DATA | labeled file a candidate is evaluated on, with a fifth of the campaign's labels | none |
| APEACH_ML_LOG_LEVEL | the backend's own log level: debug, info (one line per annotation checked), warning, error; never headers, bodies or credentials | info |
| APEACH_ML_IDLE_TIMEOUT | seconds a connection may take to send a request's headers, and may stay idle between requests, before it is closed | 10 |
| APEACH_ML_BODY_TIMEOUT | seconds a client may take to send a request's body before the connection is closed | 30 |

label-studio-ml-backend's names are read as well: MODEL_DIR (= APEACH_LS_MODEL),
BASIC_AUTH_USER, BASIC_AUTH_PASS, LOG_LEVEL; both names set to different values is an error
(:func:`apeach_ls.settings.with_ml_backend_aliases`). Its WORKERS and THREADS are the defaults
of ``apeach-ls backend --workers/--threads`` (:func:`serving_counts`; a flag overrides them).

Retraining is on when APEACH_LS_MODEL is a model registry (``apeach-ls models publish``):
the backends record webhooks in the registry's shared storage, and one ``apeach-ls backend
--retrainer`` process retrains from them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from apeach_ls.errors import ConfigError
from apeach_ls.settings import ml_basic_auth_from_env, read_secret, with_ml_backend_aliases

DEFAULT_WORKERS, DEFAULT_THREADS = 1, 4


@dataclass(frozen=True)
class BackendSettings:
    model_spec: str | None = None
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None  # never logged: see __repr__
    max_text_chars: int = 1000
    max_config_chars: int = 100_000
    max_tasks: int = 10000
    max_body_bytes: int = 64 * 1024 * 1024
    batching: str = "auto"
    max_batch: int = 32
    max_queue: int = 256
    torch_threads: int | None = None
    quantize: str = "off"
    retrain_every: int = 0
    base_train_data: str | None = None
    holdout_data: str | None = None
    verdict_secret: str | None = None  # never logged: see __repr__
    label_studio_url: str | None = None
    label_studio_api_key: str | None = None  # never logged
    log_level: str = "info"
    idle_timeout: int = 10
    body_timeout: int = 30

    def __repr__(self) -> str:  # keep the secrets out of logs and tracebacks
        auth = "basic" if self.basic_auth_user else "none"
        return f"BackendSettings(model_spec={self.model_spec!r}, auth={auth}, max_text_chars={self.max_text_chars})"

    @property
    def auth_required(self) -> bool:
        return bool(self.basic_auth_user)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackendSettings:
        env = with_ml_backend_aliases(os.environ if env is None else env)
        user, password = ml_basic_auth_from_env(env) or (None, None)
        return cls(
            model_spec=env.get("APEACH_LS_MODEL") or None,
            basic_auth_user=user,
            basic_auth_password=password,
            max_text_chars=_int_setting(env, "APEACH_ML_MAX_TEXT_CHARS", 1000),
            max_config_chars=_int_setting(env, "APEACH_ML_MAX_CONFIG_CHARS", 100_000),
            max_tasks=_int_setting(env, "APEACH_ML_MAX_TASKS", 10000),
            batching=_choice(env, "APEACH_ML_BATCHING", ("auto", "on", "off"), "auto"),
            max_batch=_int_setting(env, "APEACH_ML_MAX_BATCH", 32),
            max_queue=_int_setting(env, "APEACH_ML_MAX_QUEUE", 256),
            torch_threads=_int_setting(env, "APEACH_ML_TORCH_THREADS", 0) or None,
            quantize=_choice(env, "APEACH_ML_QUANTIZE", ("off", "int8"), "off"),
            retrain_every=_int_setting(env, "APEACH_ML_RETRAIN_EVERY", 0, minimum=0),
            base_train_data=env.get("APEACH_ML_BASE_TRAIN_DATA") or None,
            holdout_data=env.get("APEACH_ML_HOLDOUT_DATA") or None,
            verdict_secret=read_secret(env, "APEACH_VERDICT_SECRET"),
            label_studio_url=(env.get("LABEL_STUDIO_URL") or "").rstrip("/") or None,
            label_studio_api_key=read_secret(env, "LABEL_STUDIO_API_KEY"),
            log_level=_choice(
                env, "APEACH_ML_LOG_LEVEL", ("debug", "info", "warning", "error"), "info"
            ),
            idle_timeout=_int_setting(env, "APEACH_ML_IDLE_TIMEOUT", 10),
            body_timeout=_int_setting(env, "APEACH_ML_BODY_TIMEOUT", 30),
        )


def serving_counts(
    env: Mapping[str, str], workers: int | None, threads: int | None
) -> tuple[int, int]:
    """gunicorn's workers and threads: the flags, else WORKERS and THREADS, else 1 and 4."""
    return (
        workers or _int_setting(env, "WORKERS", DEFAULT_WORKERS, maximum=64),
        threads or _int_setting(env, "THREADS", DEFAULT_THREADS, maximum=256),
    )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _int_setting(
    env: Mapping[str, str], name: str, default: int, minimum: int = 1, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value
