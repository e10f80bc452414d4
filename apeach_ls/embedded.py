"""The embedded default: a local Label Studio on SQLite plus the ML backend, on loopback.

Used by ``apeach-ls up`` and by the test suite's fixtures. Credentials come from the
environment when set (LABEL_STUDIO_USERNAME, LABEL_STUDIO_PASSWORD, LABEL_STUDIO_API_KEY);
otherwise they are generated once and kept in ``<data dir>/credentials.json`` (mode 0600),
so a second run reuses the same instance and login.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .processes import ManagedProcess
from .settings import read_secret

LS_START_TIMEOUT = 300.0  # a fresh SQLite database runs every migration first


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str
    api_key: str  # legacy token, 40 hex characters

    def __repr__(self) -> str:
        return f"AdminLogin(username={self.username!r}, password=***, api_key=***)"


def admin_login(data_dir: Path, env: Mapping[str, str] | None = None) -> tuple[AdminLogin, bool]:
    """The admin's login and whether it was generated (and so should be shown)."""
    env = os.environ if env is None else env
    stored_path = data_dir / "credentials.json"
    stored: dict[str, str] = {}
    if stored_path.exists():
        stored = json.loads(stored_path.read_text(encoding="utf-8"))
    given = {
        "username": env.get("LABEL_STUDIO_USERNAME"),
        "password": read_secret(env, "LABEL_STUDIO_PASSWORD"),
        "api_key": read_secret(env, "LABEL_STUDIO_API_KEY"),
    }
    generated = {"username": "admin@apeach.local", "password": secrets.token_urlsafe(12),
                 "api_key": secrets.token_hex(20)}
    values = {k: given[k] or stored.get(k) or generated[k] for k in generated}
    to_store = {k: v for k, v in values.items() if not given[k]}
    newly_generated = any(k not in stored and not given[k] for k in generated)
    if to_store and to_store != {k: stored.get(k) for k in to_store}:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(stored_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(to_store, fh)
    return AdminLogin(**values), newly_generated


def label_studio_process(data_dir: Path, port: int, login: AdminLogin) -> ManagedProcess:
    env = dict(os.environ)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir / "label-studio"),
        "LABEL_STUDIO_USERNAME": login.username,
        "LABEL_STUDIO_PASSWORD": login.password,
        "LABEL_STUDIO_USER_TOKEN": login.api_key,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        # The ML backend listens on loopback: Label Studio blocks that unless told not to
        # (LABEL_STUDIO_NOTES §0). Both servers listen on 127.0.0.1 only.
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    })
    env.pop("LABEL_STUDIO_API_KEY", None)
    argv = [sys.executable, "-m", "label_studio.server", "start", "--no-browser",
            "--host", "127.0.0.1", "--port", str(port)]
    return ManagedProcess("Label Studio", argv, env, data_dir / "logs" / "label-studio.log",
                          f"http://127.0.0.1:{port}/health")


def ml_backend_process(data_dir: Path, port: int, model_spec: str, workers: int = 1, threads: int = 4,
                       extra_env: Mapping[str, str] | None = None) -> ManagedProcess:
    from ml_backend.serving import gunicorn_argv  # whole requests are read before a thread is given

    env = dict(os.environ)
    env["APEACH_LS_MODEL"] = model_spec
    env["WEB_CONCURRENCY"] = str(workers)  # the backend divides the cores among the workers
    env.update(extra_env or {})
    argv = gunicorn_argv("127.0.0.1", port, workers, threads, timeout=120)
    return ManagedProcess("ML backend", argv, env, data_dir / "logs" / "ml-backend.log",
                          f"http://127.0.0.1:{port}/health")
