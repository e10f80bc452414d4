"""Dockerfile and docker-compose.yml agree with the code (containers cannot run here): every
command exists in the CLI with those options, every variable set is one the code reads, and
ports, bind addresses, volumes and the SSRF settings match."""

from __future__ import annotations

import configparser
import ipaddress
import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path

import click
import pytest
import yaml

from apeach_ls.cli import cli
from apeach_ls.embedded import ssrf_settings
from apeach_ls.ml_backend.settings import BackendSettings, serving_counts

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APEACH = [
    name for name, s in SERVICES.items() if s.get("image") == "apeach-ls" and "entrypoint" not in s
]
PRODUCT = [*(REPO / "apeach_ls").rglob("*.py"), *(REPO / "ml_backend").glob("*.py")]


def dockerfile() -> dict[str, list[str]]:
    """Each instruction's arguments (JSON form as a list; the last one of each kind)."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            rest = rest.strip()
            found[word.upper()] = json.loads(rest) if rest.startswith("[") else [rest]
    return found


def resolve(words: list[str]) -> tuple[click.Command, click.Context]:
    """The apeach-ls command ``words`` name, parsed as the CLI would (options and types checked)."""
    command: click.Command = cli
    while isinstance(command, click.Group):
        found = command.get_command(click.Context(command), words[0])
        assert found is not None, f"no command {words[0]!r} in {words}"
        command, words = found, words[1:]
    return command, command.make_context(command.name or "", list(words))


def interpolated(value: str) -> str:
    """A compose value with ${VAR:-default} / ${VAR:?message} as a sample value."""
    return re.sub(
        r"\$\{(\w+)(:[-?])?([^}]*)\}",
        lambda m: m.group(3) if m.group(2) == ":-" else f"<{m.group(1)}>",
        value,
    )


class Recording(dict):
    """An environment that remembers every name the code looked up."""

    def __init__(self, values: Mapping[str, str]):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def env_of(service: str, secrets: Path | None = None) -> dict[str, str]:
    """A service's environment; with ``secrets``, /run/secrets/NAME is a file there."""
    given = SERVICES[service].get("environment") or {}
    env = {k: interpolated(str(v)) for k, v in given.items()}
    if secrets is not None:
        for name, value in env.items():
            if value.startswith("/run/secrets/"):
                local = secrets / value.removeprefix("/run/secrets/")
                local.write_text("s" * 32 + "\n", encoding="utf-8")
                env[name] = str(local)
    return env


def on_this_machine(words: list[str]) -> list[str]:
    """A container's command with /app (where the Dockerfile copies the repository) here."""
    return [str(REPO) + w.removeprefix("/app") if w.startswith("/app/") else w for w in words]


@pytest.mark.parametrize("service", APEACH)
def test_every_compose_command_exists_in_the_cli(service):
    command, ctx = resolve(on_this_machine([interpolated(w) for w in SERVICES[service]["command"]]))
    assert command.name in {"backend", "publish", "setup"}, command.name
    if command.name == "backend":
        assert ctx.params["host"] in ("127.0.0.1", "0.0.0.0")


def test_the_dockerfile_runs_the_cli_and_serves_on_the_exposed_port_inside_the_container():
    docker = dockerfile()
    scripts = configparser.ConfigParser()
    scripts.read(REPO / "setup.cfg")
    entry = scripts["options.entry_points"]["console_scripts"].strip().split("=")[0].strip()
    assert docker["ENTRYPOINT"] == [entry] == ["apeach-ls"]
    _, ctx = resolve(docker["CMD"])
    assert docker["EXPOSE"] == [str(ctx.params["port"])]
    # 0.0.0.0 is set explicitly for the container; the CLI itself binds to loopback
    assert ctx.params["host"] == "0.0.0.0"
    host = next(p for p in resolve(["backend"])[0].params if p.name == "host")
    assert host.default == "127.0.0.1"
    extras = re.search(r'pip install [^"]*"/app\[(\w+)\]"', (REPO / "Dockerfile").read_text())
    assert extras and extras.group(1) in scripts["options.extras_require"]


def test_the_backends_and_the_retrainer_are_the_replicated_topology_on_one_registry_volume(
    tmp_path,
):
    backend, retrainer = SERVICES["backend"], SERVICES["retrainer"]
    assert backend["deploy"]["replicas"] >= 2
    assert "--retrainer" in retrainer["command"] and "deploy" not in retrainer  # one
    assert "registry" in COMPOSE["volumes"]
    for name in ("backend", "retrainer", "registry-init"):
        mounts = dict(v.split(":", 1) for v in SERVICES[name]["volumes"])
        assert mounts["registry"] == "/registry", name
    for name in ("backend", "retrainer"):
        settings = BackendSettings.from_env(env_of(name, tmp_path))
        assert settings.model_spec == "/registry", name  # MODEL_DIR names the mounted volume
    init = [interpolated(w) for w in SERVICES["registry-init"]["command"]]
    _, ctx = resolve(on_this_machine(init))
    assert str(ctx.params["registry_dir"]) == "/registry" and ctx.params["initial"]
    shipped = Path(init[2])
    assert (REPO / shipped.relative_to("/app") / "model.json").is_file()  # COPY . /app
    # the port the backends listen on is the one the campaign is set up with
    _, ctx = resolve(backend["command"])
    assert env_of("setup")["APEACH_ML_URL"] == f"http://backend:{ctx.params['port']}"
    assert ctx.params["host"] == "0.0.0.0"
    workers, threads = serving_counts(env_of("backend"), None, None)
    assert (workers, threads) == (2, 4)


def test_every_variable_the_compose_file_sets_for_apeach_ls_is_read_by_the_code(tmp_path):
    source = "\n".join(p.read_text(encoding="utf-8") for p in PRODUCT)
    for service in APEACH:
        env = Recording(env_of(service, tmp_path))
        if service in ("backend", "retrainer"):
            BackendSettings.from_env(env)
            serving_counts(env, None, None)
        for name in env:
            assert name in env.read or f'"{name}"' in source, (service, name)
    assert {
        "WORKERS",
        "THREADS",
        "MODEL_DIR",
        "BASIC_AUTH_USER",
        "BASIC_AUTH_PASS",
        "LOG_LEVEL",
    } <= (set(env_of("backend")))


def test_secrets_are_files_and_never_values_on_a_command_line():
    declared = COMPOSE["secrets"]
    for service in APEACH:
        for name, value in env_of(service).items():
            if name.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in declared and secret in SERVICES[service]["secrets"], (
                    service,
                    name,
                )
        words = " ".join(SERVICES[service]["command"])
        assert "PASS" not in words and "KEY" not in words and "SECRET" not in words


def test_label_studio_runs_on_postgresql_with_the_guard_and_allows_only_the_backends_network():
    ls = SERVICES["label-studio"]
    env = {k: str(v) for k, v in ls["environment"].items()}
    assert env["DJANGO_DB"] == "default" and env["POSTGRE_HOST"] == "db"
    assert env["POSTGRE_NAME"] == SERVICES["db"]["environment"]["POSTGRES_DB"]
    assert env["DJANGO_SETTINGS_MODULE"] == "apeach_ls.labelstudio.guarded_settings"
    assert (REPO / "apeach_ls/labelstudio/guarded_settings.py").is_file()
    subnet = COMPOSE["networks"]["ml"]["ipam"]["config"][0]["subnet"]
    ipaddress.ip_network(subnet)
    assert {k: env[k] for k in ssrf_settings(subnet)} == ssrf_settings(subnet)
    # its port, as the retrainer and setup reach it
    args = ls["command"]
    port = args[args.index("--port") + 1]
    assert (
        f"127.0.0.1:{port}:{port}" in ls["ports"]
        and args[args.index("--internal-host") + 1] == "0.0.0.0"
    )
    for name in ("retrainer", "setup"):
        assert env_of(name)["LABEL_STUDIO_URL"] == f"http://label-studio:{port}"
    assert "ml" in ls["networks"] and "ml" in SERVICES["backend"]["networks"]


def test_the_compose_file_shows_how_to_make_its_secret():
    header = (REPO / "docker-compose.yml").read_text(encoding="utf-8").split("\n\n")[0]
    secret_file = COMPOSE["secrets"]["verdict_secret"]["file"]
    assert Path(secret_file).as_posix().removeprefix("./") in header
    for line in [line.lstrip("# ").strip() for line in header.splitlines()]:
        if line.startswith("docker compose"):
            words = shlex.split(line, comments=True)
            if words[2] == "run":
                assert words[-1] in SERVICES
    env_example = (REPO / ".env.example").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{(\w+):\?", (REPO / "docker-compose.yml").read_text()))
    assert needed <= {line.split("=")[0] for line in env_example.splitlines() if "=" in line}


def test_the_image_never_holds_the_env_file_or_the_secrets():
    """`COPY . /app` copies the build context: .dockerignore must keep the secrets out of it."""
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:  # Docker's rules: the last matching pattern wins
        verdict = False
        for pattern in patterns:
            negated, pattern = pattern.startswith("!"), pattern.lstrip("!")
            parts = Path(path).parts
            if any(Path(*parts[: i + 1]).match(pattern) for i in range(len(parts))):
                verdict = not negated
        return verdict

    secret_dir = Path(COMPOSE["secrets"]["verdict_secret"]["file"]).parts[-2]
    for path in (".env", ".env.local", f"{secret_dir}/verdict-secret", "apeach-ls-data/x"):
        assert ignored(path), path
    assert not ignored("apeach_ls/data/default_model/model.json")  # the image needs it
    assert "COPY . /app" in (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_nothing_is_published_beyond_this_host_and_the_example_holds_no_password():
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    for name, value in example.items():
        if any(word in name for word in ("PASS", "KEY", "TOKEN", "SECRET")):
            assert value == "", name  # empty: compose's ${NAME:?} refuses to start without it
