"""Reading settings and secrets from the environment (never from command-line arguments)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .basic_auth import check_user
from .errors import ConfigError

if TYPE_CHECKING:
    from .receipts import ReceiptKey


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (trailing newline dropped)."""
    value = env.get(name)
    if value:
        return value
    path = env.get(f"{name}_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n") or None
    except OSError as exc:
        raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc


VERDICT_SECRET = "APEACH_VERDICT_SECRET"
VERDICT_SECRET_FILE_NAME = "verdict-secret"  # in the embedded data dir (`apeach-ls up` writes it)


def verdict_key(env: Mapping[str, str], data_dir: Path | None = None) -> ReceiptKey:
    """The secret verdict receipts are signed with: APEACH_VERDICT_SECRET, the file named by
    APEACH_VERDICT_SECRET_FILE, or (for the CLI) ``<data dir>/verdict-secret`` of the embedded set-up."""
    secret = read_secret(env, VERDICT_SECRET)
    if secret is None and data_dir is not None and (data_dir / VERDICT_SECRET_FILE_NAME).is_file():
        secret = read_secret(
            {f"{VERDICT_SECRET}_FILE": str(data_dir / VERDICT_SECRET_FILE_NAME)}, VERDICT_SECRET
        )
    where = (
        f", and there is no {data_dir / VERDICT_SECRET_FILE_NAME}" if data_dir is not None else ""
    )
    return receipt_key_of(secret, f"{where}. `apeach-ls up` keeps one in its data directory.")


def receipt_key_of(secret: str | None, missing_hint: str = ".") -> ReceiptKey:
    """The receipt key for ``secret`` (the backend's and the CLI's): a missing or short secret is
    a ConfigError naming the setting; ``missing_hint`` ends the message for a missing one."""
    from .receipts import MIN_SECRET_CHARS, ReceiptKey

    if not secret:
        raise ConfigError(
            f"No verdict secret: set {VERDICT_SECRET}_FILE to the file the ML backend signs verdicts "
            f"with (or {VERDICT_SECRET}){missing_hint}"
        )
    try:
        return ReceiptKey(secret)
    except ValueError:
        raise ConfigError(
            f"{VERDICT_SECRET}: the secret must have at least {MIN_SECRET_CHARS} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        ) from None


# label-studio-ml-backend's names for the backend's settings, accepted as well as ours.
ML_BACKEND_ALIASES = {  # ours -> theirs
    "APEACH_LS_MODEL": "MODEL_DIR",
    "APEACH_ML_BASIC_AUTH_USER": "BASIC_AUTH_USER",
    "APEACH_ML_BASIC_AUTH_PASSWORD": "BASIC_AUTH_PASS",
    "APEACH_ML_LOG_LEVEL": "LOG_LEVEL",
}
_CASE_BLIND = {"APEACH_ML_LOG_LEVEL"}  # INFO and info are the same level


def with_ml_backend_aliases(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with each of label-studio-ml-backend's names (:data:`ML_BACKEND_ALIASES`) copied
    to ours. Both names set to different values is a ConfigError: a silent winner would hide
    which of the two a deployment really runs with. Both set to the same value is fine."""
    resolved = dict(env)
    for ours, theirs in ML_BACKEND_ALIASES.items():
        given = env.get(theirs)
        if not given:
            continue
        mine = read_secret(env, ours)  # a password may be in our _FILE
        same = (mine or "").lower() == given.lower() if ours in _CASE_BLIND else mine == given
        if mine is None:
            resolved[ours] = given
        elif not same:
            raise ConfigError(
                f"{ours} and {theirs} (label-studio-ml-backend's name for it) are both set, to "
                f"different values; set only one of them"
            )
    return resolved


def ml_basic_auth_from_env(
    env: Mapping[str, str], when_neither: str = ""
) -> tuple[str, str] | None:
    """The backend's Basic auth: APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD
    (or its _FILE) both, or neither (None); one without the other is a ConfigError.
    label-studio-ml-backend's BASIC_AUTH_USER and BASIC_AUTH_PASS are read too."""
    env = with_ml_backend_aliases(
        {k: v for k, v in env.items() if k not in ("MODEL_DIR", "LOG_LEVEL")}
    )
    user = env.get("APEACH_ML_BASIC_AUTH_USER") or None
    password = read_secret(env, "APEACH_ML_BASIC_AUTH_PASSWORD")
    if bool(user) != bool(password):
        raise ConfigError(
            "Set both APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD (or "
            f"APEACH_ML_BASIC_AUTH_PASSWORD_FILE), or neither{when_neither}"
        )
    if user:
        check_user(user, "APEACH_ML_BASIC_AUTH_USER")
    return (user, password) if user and password else None
