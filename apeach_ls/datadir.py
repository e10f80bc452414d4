"""What ``apeach-ls up`` keeps in its data directory: the logins and secrets it generated
(each once, in a file of mode 0600, reused by later runs) and the lock that lets only one
``up`` run on a data directory at a time.

| file | what |
|---|---|
| ``credentials.json`` | the Label Studio admin's username and password (and whether they were shown) |
| ``label-studio-api-key`` | the admin's API token: ``LABEL_STUDIO_API_KEY_FILE`` for the campaign commands |
| ``ml-basic-auth-password`` | the ML backend's Basic-auth password (user ``apeach-ls``) |
| ``verdict-secret`` | the key the backend signs verdicts with and the commands verify them with |
| ``up.lock`` | held while ``up`` runs; names its pid, URLs and the environment for ``apeach-ls env`` |

A value set in the environment always wins over a stored or generated one, and is never
written here.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_file
from .errors import ConfigError
from .settings import VERDICT_SECRET_FILE_NAME, ml_basic_auth_from_env, read_secret

CREDENTIALS, API_KEY_FILE = "credentials.json", "label-studio-api-key"
ML_PASSWORD_FILE, LOCK_FILE = "ml-basic-auth-password", "up.lock"
ML_USER = "apeach-ls"
ADMIN_USER = "admin@apeach.local"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte, replacing it atomically."""
    write_file(path, text, mode=0o600)


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in ``path``; made and written (mode 0600) on the first call."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        value = make()
        write_private(path, value + "\n")
    return value


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str
    api_key: str  # legacy token, 40 hex characters

    def __repr__(self) -> str:
        return f"AdminLogin(username={self.username!r}, password=***, api_key=***)"


@dataclass(frozen=True)
class LoginSources:
    """Where each part of the admin's login came from, and whether it still has to be shown."""

    password_from_env: bool
    api_key_from_env: bool
    shown: bool  # a successful run has shown the stored password already

    @property
    def all_from_env(self) -> bool:
        return self.password_from_env and self.api_key_from_env


def admin_login(data_dir: Path, env: Mapping[str, str]) -> tuple[AdminLogin, LoginSources]:
    """The admin's login: LABEL_STUDIO_USERNAME / _PASSWORD / _API_KEY (or ..._FILE) when set,
    else the stored one, else generated and stored. Nothing from the environment is stored."""
    path = data_dir / CREDENTIALS
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    username = env.get("LABEL_STUDIO_USERNAME") or stored.get("username") or ADMIN_USER
    password = read_secret(env, "LABEL_STUDIO_PASSWORD")
    api_key = read_secret(env, "LABEL_STUDIO_API_KEY")
    sources_env = (bool(password), bool(api_key))
    if not api_key:
        legacy = stored.get("api_key")  # data dirs of earlier versions kept it in credentials.json
        api_key = kept_secret(data_dir / API_KEY_FILE, lambda: legacy or secrets.token_hex(20))
    to_store = {k: v for k, v in stored.items() if k != "api_key"}
    if not env.get("LABEL_STUDIO_USERNAME"):
        to_store["username"] = username
    if not password:
        if not stored.get("password"):
            to_store.update(password=secrets.token_urlsafe(12), shown=False)
        password = to_store["password"]
    if to_store:
        to_store.setdefault("shown", False)
    if to_store != stored:
        write_private(path, json.dumps(to_store))
    sources = LoginSources(*sources_env, shown=bool(to_store.get("shown")))
    return AdminLogin(username, password, api_key), sources


def mark_login_shown(data_dir: Path) -> None:
    """Record that a successful run has shown the stored login (later runs say where it is)."""
    path = data_dir / CREDENTIALS
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if not stored.get("shown"):
            write_private(path, json.dumps({**stored, "shown": True}))


@dataclass(frozen=True)
class MLAuth:
    """The ML backend's Basic auth: what Label Studio gets, what the backend's environment needs,
    and what ``apeach-ls env`` prints (file paths, never the password)."""

    user: str
    password: str
    backend_env: dict[str, str]
    exports: dict[str, str]

    def __repr__(self) -> str:
        return f"MLAuth(user={self.user!r}, password=***)"


def ml_basic_auth(data_dir: Path, env: Mapping[str, str]) -> MLAuth:
    """APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD (or ..._FILE) when set;
    else user ``apeach-ls`` with a password generated once into the data dir."""
    given = ml_basic_auth_from_env(env, ": `up` then generates the backend's credentials")
    if given is not None:
        user, password = given
        exports = {"APEACH_ML_BASIC_AUTH_USER": user}
        password_file = env.get("APEACH_ML_BASIC_AUTH_PASSWORD_FILE")
        if password_file and not env.get("APEACH_ML_BASIC_AUTH_PASSWORD"):
            exports["APEACH_ML_BASIC_AUTH_PASSWORD_FILE"] = str(Path(password_file).resolve())
        return MLAuth(user, password, {}, exports)
    path = (data_dir / ML_PASSWORD_FILE).resolve()
    password = kept_secret(path, lambda: secrets.token_urlsafe(24))
    names = {"APEACH_ML_BASIC_AUTH_USER": ML_USER, "APEACH_ML_BASIC_AUTH_PASSWORD_FILE": str(path)}
    return MLAuth(ML_USER, password, dict(names), dict(names))


def verdict_secret_env(data_dir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The backend's verdict-signing secret: {} when APEACH_VERDICT_SECRET or
    APEACH_VERDICT_SECRET_FILE is set (the backend inherits it); else the data dir's
    ``verdict-secret`` (32 random bytes, hex), made once, as APEACH_VERDICT_SECRET_FILE."""
    if env.get("APEACH_VERDICT_SECRET"):
        return {}
    if env.get("APEACH_VERDICT_SECRET_FILE"):
        return {
            "APEACH_VERDICT_SECRET_FILE": str(Path(env["APEACH_VERDICT_SECRET_FILE"]).resolve())
        }
    path = (data_dir / VERDICT_SECRET_FILE_NAME).resolve()
    kept_secret(path, lambda: secrets.token_hex(32))
    return {"APEACH_VERDICT_SECRET_FILE": str(path)}


class AlreadyRunning(ConfigError):
    """Another ``apeach-ls up`` holds the data directory's lock."""


class UpLock:
    """One ``up`` per data directory: an exclusive ``flock`` on ``up.lock``, held while it runs
    (the kernel drops it when the process ends, however it ends). The file keeps the run's
    state (pid, URLs, the campaign commands' environment) for ``apeach-ls env``."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, state: Mapping[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise AlreadyRunning(
                describe_running(self.path.parent, read_state(self.path.parent))
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(dict(state), indent=1) + "\n").encode(), 0)
        self._fd = fd

    def update(self, state: Mapping[str, object]) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, (json.dumps(dict(state), indent=1) + "\n").encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def read_state(data_dir: Path) -> dict[str, object] | None:
    """The last ``up`` run's state on this data dir (running or not); None if none ran."""
    try:
        text = (data_dir / LOCK_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        return None
    return state if isinstance(state, dict) else None


def is_running(data_dir: Path) -> bool:
    """Whether an ``up`` holds the data directory's lock now."""
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def describe_running(data_dir: Path, state: Mapping[str, object] | None) -> str:
    if not state:
        return (
            f"another `apeach-ls up` is running on the data directory {data_dir}; "
            "stop it first, or use another --data-dir"
        )
    pid = state.get("pid")
    return (
        f"another `apeach-ls up` (pid {pid}) is running on the data directory {data_dir}: Label Studio "
        f"{state.get('label_studio_url')}, ML backend {state.get('ml_url')}; stop it first (Ctrl-C in its "
        f"terminal, or kill {pid}), or use another --data-dir"
    )
