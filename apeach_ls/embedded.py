"""The embedded default: a local Label Studio (SQLite, or PostgreSQL) plus the ML backend, on loopback.

Used by ``apeach-ls up`` and by the test suite's fixtures. Both servers listen on
127.0.0.1 unless told otherwise. Label Studio keeps its SSRF protection on, with the default
list of banned networks minus the one address the backend listens on, so its webhooks reach
the backend and nothing else local; sign-up works only through the organization's invite
link. What Label Studio 1.23 cannot narrow down (ML backend URLs: ``ML_BLOCK_LOCAL_IP`` is a
plain switch) is written down in the README; the settings involved are in
docs/label-studio.md §1. Logins and secrets: :mod:`apeach_ls.datadir`.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .datadir import AdminLogin
from .ls_database import PostgresDatabase, without_database_settings
from .processes import ManagedProcess

LS_START_TIMEOUT = 300.0  # a fresh SQLite database runs every migration first
LOOPBACK = "127.0.0.1"
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "data" / "default_model"

# Label Studio 1.23.2's default banned networks (core/utils/io.py: validate_ip);
# tests/test_embedded.py checks this copy against the installed Label Studio.
DEFAULT_BANNED_SUBNETS = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "233.252.0.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "::ffff:0:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:0000::/32",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)

__all__ = [
    "AdminLogin",
    "LS_START_TIMEOUT",
    "LOOPBACK",
    "SHIPPED_MODEL_DIR",
    "ModelChoice",
    "choose_model",
    "banned_subnets_except",
    "ssrf_settings",
    "label_studio_process",
    "ml_backend_process",
]


@dataclass(frozen=True)
class ModelChoice:
    spec: str  # for APEACH_LS_MODEL
    source: str  # said to the user: where the model comes from


def choose_model(data_dir: Path, model: str | None) -> ModelChoice:
    """The model ``up`` serves: APEACH_LS_MODEL when set; else one trained into the data dir
    (``up --train-data``); else the one shipped with the package (no file outside it needed)."""
    if model:
        return ModelChoice(model, "APEACH_LS_MODEL")
    trained = data_dir / "models" / "default"
    if (trained / "model.json").is_file():
        return ModelChoice(str(trained), f"trained into {trained}")
    return ModelChoice(
        str(SHIPPED_MODEL_DIR),
        f"built in: trained on BEEP! (CC BY-SA 4.0, see {SHIPPED_MODEL_DIR / 'README.md'})",
    )


def banned_subnets_except(address: str) -> list[str]:
    """Label Studio's default banned networks, with ``address`` (one address, or the network
    the backends' replicas get their addresses from) cut out of the one holding it."""
    allowed = ipaddress.ip_network(address, strict=False)  # an address: a /32 or /128
    subnets: list[str] = []
    for text in DEFAULT_BANNED_SUBNETS:
        network = ipaddress.ip_network(text)
        if allowed.version == network.version and allowed.subnet_of(network):  # type: ignore[arg-type]
            subnets += [str(n) for n in sorted(network.address_exclude(allowed))]  # type: ignore[arg-type]
        else:
            subnets.append(text)
    return subnets


def ssrf_settings(ml_address: str) -> dict[str, str]:
    """Label Studio settings that keep SSRF protection on and let it reach only ``ml_address``
    among the banned networks (webhooks: an allow-list by subnets). ML backend URLs have no
    allow-list in Label Studio 1.23: a backend on a local address needs ML_BLOCK_LOCAL_IP off."""
    settings = {
        "SSRF_PROTECTION_ENABLED": "true",
        "USE_DEFAULT_BANNED_SUBNETS": "false",
        "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(banned_subnets_except(ml_address)),
    }
    settings["ML_BLOCK_LOCAL_IP"] = (
        "true" if ipaddress.ip_network(ml_address, strict=False).is_global else "false"
    )
    return settings


def label_studio_process(
    data_dir: Path,
    port: int,
    login: AdminLogin,
    bind: str = LOOPBACK,
    ml_address: str = LOOPBACK,
    public_url: str | None = None,
    guard: bool = True,
    database: PostgresDatabase | None = None,
) -> ManagedProcess:
    """Label Studio on ``bind``:``port`` (``--internal-host`` is the bind address; ``--host``
    is only its public URL), on ``database`` (its own PostgreSQL settings, in its environment)
    or SQLite in ``<data dir>/label-studio``, sign-up by invite link only.
    With ``guard``, the API calls no writer or manager needs are refused for everyone but the
    admin (:mod:`apeach_ls.labelstudio.guard`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEACH_")}  # no backend secrets
    env = without_database_settings(env)
    env.pop("LABEL_STUDIO_API_KEY", None)
    env.pop("LABEL_STUDIO_API_KEY_FILE", None)
    env.pop("LABEL_STUDIO_PASSWORD_FILE", None)
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir / "label-studio"),
            "LABEL_STUDIO_USERNAME": login.username,
            "LABEL_STUDIO_PASSWORD": login.password,
            "LABEL_STUDIO_USER_TOKEN": login.api_key,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            **ssrf_settings(ml_address),
        }
    )
    if database is not None:
        env.update(database.label_studio_env())
    if guard:
        env["DJANGO_SETTINGS_MODULE"] = "apeach_ls.labelstudio.guarded_settings"
    public_url = public_url or f"http://{LOOPBACK if bind in ('0.0.0.0', '::') else bind}:{port}"
    argv = [
        sys.executable,
        "-m",
        "label_studio.server",
        "start",
        "--no-browser",
        "--internal-host",
        bind,
        "--host",
        public_url,
        "--port",
        str(port),
    ]
    return ManagedProcess(
        "Label Studio",
        argv,
        env,
        data_dir / "logs" / "label-studio.log",
        f"http://{reach(bind)}:{port}/health",
    )


def ml_backend_process(
    data_dir: Path,
    port: int,
    model_spec: str,
    workers: int = 1,
    threads: int = 4,
    extra_env: Mapping[str, str] | None = None,
    bind: str = LOOPBACK,
) -> ManagedProcess:
    # gunicorn_argv: whole requests are read before a thread is given
    from apeach_ls.ml_backend.serving import gunicorn_argv

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_PASSWORD_FILE", "LABEL_STUDIO_API_KEY")
    }
    env["APEACH_LS_MODEL"] = model_spec
    env["WEB_CONCURRENCY"] = str(workers)  # the backend divides the cores among the workers
    env.update(extra_env or {})
    argv = gunicorn_argv(bind, port, workers, threads, timeout=120)
    return ManagedProcess(
        "ML backend",
        argv,
        env,
        data_dir / "logs" / "ml-backend.log",
        f"http://{reach(bind)}:{port}/health",
    )


def reach(bind: str) -> str:
    """The address to reach a server bound to ``bind`` from this machine."""
    return LOOPBACK if bind in ("0.0.0.0", "::", "") else bind
