"""``apeach-ls up`` (the embedded default), ``apeach-ls env`` (its settings for the campaign
commands), ``apeach-ls ssrf-settings`` and ``apeach-ls backend`` (serve the ML backend)."""

from __future__ import annotations

import ipaddress
import os
import shlex
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from ..atomic import write_file
from ..datadir import (
    API_KEY_FILE,
    CREDENTIALS,
    UpLock,
    admin_login,
    is_running,
    mark_login_shown,
    ml_basic_auth,
    read_state,
    verdict_secret_env,
)
from ..embedded import (
    LOOPBACK,
    LS_START_TIMEOUT,
    SHIPPED_MODEL_DIR,
    ModelChoice,
    choose_model,
    label_studio_process,
    ml_backend_process,
    reach,
    ssrf_settings,
)
from ..errors import ConfigError
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.projects import MLConnection, move_ml_backends, setup_generation
from ..labelstudio.prompt_import import import_prompts
from ..ls_database import DATABASE_URL, PostgresDatabase, parse_database_url
from ..processes import port_in_use, supervise
from ..prompts import default_prompts
from .common import campaign_option, default_data_dir, fail_cleanly, settings
from .project import print_setup_report


def say(message: str = "", err: bool = False) -> None:
    """Echo that survives a closed terminal (after SIGHUP the servers must still be stopped)."""
    try:
        click.echo(message, err=err)
    except OSError:
        pass


def ensure_model(data_dir: Path, train_data: Path | None) -> ModelChoice:
    """The model to serve (:func:`choose_model`); with ``--train-data`` and none trained into
    the data dir yet, train one there first."""
    choice = choose_model(data_dir, settings().model)
    if (
        train_data is None
        or choice.source == "APEACH_LS_MODEL"
        or choice.source.startswith("trained")
    ):
        return choice
    from ..classifier.training import train_and_save

    model_dir = data_dir / "models" / "default"
    say(f"training the default pseudo-classifier on {train_data} ...")
    version = train_and_save(
        train_data, model_dir, replace=True
    )  # a crashed first run left no model.json
    say(f"model {version} saved to {model_dir}")
    return choose_model(data_dir, settings().model)


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop both servers, as Ctrl-C does."""


def _stop_on(signum: int, _frame: Any) -> None:
    raise Stop(signal.Signals(signum).name)


def _api_key_lines(data_dir: Path) -> tuple[dict[str, str], list[str]]:
    """How the campaign commands get the admin's API key: a file path, never the key."""
    given = settings()
    if given.given("LABEL_STUDIO_API_KEY"):
        return {}, ["LABEL_STUDIO_API_KEY: the one you gave `up` in the environment (not stored)"]
    if given.given("LABEL_STUDIO_API_KEY_FILE"):
        return {
            "LABEL_STUDIO_API_KEY_FILE": str(
                Path(given.environ["LABEL_STUDIO_API_KEY_FILE"]).resolve()
            )
        }, []
    return {"LABEL_STUDIO_API_KEY_FILE": str(data_dir / API_KEY_FILE)}, []


@click.command()
@campaign_option
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_data_dir,
    show_default="$APEACH_LS_HOME or ./apeach-ls-data",
    help="Where Label Studio's SQLite "
    "database (unless --database), the models, the generated logins and the logs live; a second run reuses it.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Label Studio port.",
)
@click.option(
    "--ml-port",
    type=click.IntRange(1, 65535),
    default=9090,
    show_default=True,
    help="ML backend port.",
)
@click.option(
    "--bind",
    default=LOOPBACK,
    show_default=True,
    help="IPv4 address both servers listen on; 0.0.0.0 makes them reachable from the network.",
)
@click.option(
    "--per-topic",
    type=click.IntRange(0, 100000),
    default=10,
    show_default=True,
    help="Writing tasks per topic to make sure exist.",
)
@click.option(
    "--train-data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labeled file (BEEP! TSV, APEACH CSV) to train the model from on the first run, "
    "instead of the built-in one.",
)
@click.option(
    "--database",
    metavar="postgresql://USER@HOST:PORT/NAME",
    help="Run Label Studio on this PostgreSQL database (it must exist) instead of SQLite in "
    f"the data dir; remembered for the next runs. No password here: put the whole URL in "
    f"{DATABASE_URL} (or {DATABASE_URL}_FILE), or the password in PGPASSWORD or ~/.pgpass.",
)
@fail_cleanly
def up(
    campaign: str,
    data_dir: Path,
    port: int,
    ml_port: int,
    bind: str,
    per_topic: int,
    train_data: Path | None,
    database: str | None,
) -> None:
    """Run everything locally: Label Studio (SQLite) + the ML backend + the projects.

    Label Studio runs on SQLite in the data dir, or on PostgreSQL with --database.
    Both servers listen on 127.0.0.1 (see --bind). Label Studio keeps its SSRF protection,
    allowing only the backend's address; sign-up works only with the invite link. The
    backend requires Basic auth and signs verdicts; its credentials and secret are
    generated once into the data dir (mode 0600), as is the admin's login unless
    LABEL_STUDIO_USERNAME, LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY are set. The
    built-in pseudo-classifier serves unless APEACH_LS_MODEL or --train-data says otherwise.

    Ctrl-C, SIGTERM or SIGHUP (closing the terminal) stop both servers; a crashed backend
    is restarted while Label Studio stays up. One `up` per data dir at a time.
    `apeach-ls env` prints the settings the campaign commands need.

    \b
    Example:
      apeach-ls up --port 8080 --ml-port 9090 --per-topic 20
      eval "$(apeach-ls env)"      # in another terminal: then apeach-ls votes create ...
    """
    try:
        ipaddress.IPv4Address(bind)
    except ValueError:
        raise ConfigError(
            f"--bind {bind!r} is not an IPv4 address; e.g. --bind 127.0.0.1 (the default)"
        ) from None
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ls_url, ml_url = f"http://{reach(bind)}:{port}", f"http://{reach(bind)}:{ml_port}"
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "data_dir": str(data_dir),
        "label_studio_url": ls_url,
        "ml_url": ml_url,
        "campaign": campaign,
    }
    lock = UpLock(data_dir)
    lock.acquire(state)
    try:
        postgres = choose_database(data_dir, database)
        _run(lock, state, campaign, data_dir, port, ml_port, bind, per_topic, train_data, postgres)
    finally:
        lock.release()


DATABASE_FILE = "label-studio-database"  # in the data dir: the URL without its password
SQLITE_FILE = Path("label-studio") / "label_studio.sqlite3"  # Label Studio's SQLite in the data dir


def choose_database(data_dir: Path, option: str | None) -> PostgresDatabase | None:
    """PostgreSQL from --database, else from APEACH_LS_DATABASE_URL(_FILE), else the one the
    last run on this data dir used (kept without its password); None: SQLite.

    A data dir stays on the database it started on: moving it to another one would start an
    empty Label Studio and leave the projects, accounts and annotations (which the campaign's
    votes and payouts refer to) behind, so that is refused with the way to do it deliberately."""
    recorded_file = data_dir / DATABASE_FILE
    recorded = (
        parse_database_url(recorded_file.read_text().strip(), from_command_line=True)
        if recorded_file.is_file()
        else None
    )
    if option:
        postgres = parse_database_url(option, from_command_line=True)
    elif url := settings().secret(DATABASE_URL):
        postgres = parse_database_url(url, from_command_line=False)
        refuse_readable_password_file(os.environ, postgres)
    elif recorded is not None:
        return recorded
    else:
        return None
    sqlite = data_dir / SQLITE_FILE
    if recorded is None and sqlite.is_file():
        raise ConfigError(
            f"{data_dir} holds a Label Studio on SQLite ({sqlite}); on {postgres.url} `up` "
            "would start an empty Label Studio and leave its projects, accounts and annotations "
            "behind. Use another --data-dir (or APEACH_LS_HOME) for PostgreSQL, or move "
            f"{sqlite} away to switch deliberately (moving it back returns to SQLite)"
        )
    if recorded is not None and recorded.url != postgres.url:
        raise ConfigError(
            f"{data_dir} runs Label Studio on {recorded.url} (kept in {recorded_file}), not on "
            f"{postgres.url}. Use another --data-dir (or APEACH_LS_HOME) for that database, or "
            f"delete {recorded_file} to switch deliberately"
        )
    return postgres


def refuse_readable_password_file(env: Mapping[str, str], postgres: PostgresDatabase) -> None:
    """Like libpq with ~/.pgpass: a URL file holding a password must be readable by its owner only."""
    path = env.get(f"{DATABASE_URL}_FILE")
    if env.get(DATABASE_URL) or not path or not postgres.password:
        return
    mode = Path(path).stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(
            f"{DATABASE_URL}_FILE: {path} holds a password and other users may read it "
            f"(mode {mode:o}); make it readable by you only: chmod 600 {path}"
        )


def remember_database(data_dir: Path, postgres: PostgresDatabase | None) -> None:
    """Keep the PostgreSQL URL (without its password) once Label Studio runs on it, so later
    runs reuse it without --database; a run that never got there leaves nothing behind."""
    recorded = data_dir / DATABASE_FILE
    if postgres is not None and not recorded.is_file():
        write_file(recorded, postgres.url + "\n")


def _run(
    lock: UpLock,
    state: dict[str, Any],
    campaign: str,
    data_dir: Path,
    port: int,
    ml_port: int,
    bind: str,
    per_topic: int,
    train_data: Path | None,
    postgres: PostgresDatabase | None,
) -> None:
    for name, p in (("--port", port), ("--ml-port", ml_port)):
        if port_in_use(p, reach(bind)):
            raise ConfigError(
                f"port {p} ({name}) is already in use on {reach(bind)}; choose another with {name}"
            )
    given = settings()
    login, sources = admin_login(data_dir, given.environ)
    ml_auth = ml_basic_auth(data_dir, given.environ)
    verdict_env = verdict_secret_env(data_dir, given.environ)
    model = ensure_model(data_dir, train_data)
    key_exports, notes = _api_key_lines(data_dir)
    if given.given("APEACH_VERDICT_SECRET"):
        notes.append("APEACH_VERDICT_SECRET: the one you gave `up` in the environment (not stored)")
    if given.given("APEACH_ML_BASIC_AUTH_PASSWORD"):
        notes.append(
            "APEACH_ML_BASIC_AUTH_PASSWORD: the one you gave `up` in the environment (not stored)"
        )
    state["exports"] = {
        "LABEL_STUDIO_URL": state["label_studio_url"],
        **key_exports,
        "APEACH_ML_URL": state["ml_url"],
        **ml_auth.exports,
        **verdict_env,
        "APEACH_CAMPAIGN": campaign,
        "APEACH_LS_HOME": str(data_dir),
    }
    state["notes"] = notes
    lock.update(state)

    ls = label_studio_process(
        data_dir, port, login, bind=bind, ml_address=reach(bind), database=postgres
    )
    ml = ml_backend_process(
        data_dir, ml_port, model.spec, bind=bind, extra_env={**ml_auth.backend_env, **verdict_env}
    )
    handlers = {s: signal.signal(s, _stop_on) for s in (signal.SIGTERM, signal.SIGHUP)}
    # Started in the background by a shell, a process inherits SIGINT ignored: Ctrl-C (or
    # kill -INT) must still stop both servers.
    handlers[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    auth = (ml_auth.user, ml_auth.password)
    try:
        say(f"pseudo-classifier: {model.source}")
        say(
            f"Label Studio database: {postgres.url}"
            if postgres
            else f"Label Studio database: SQLite in {data_dir / 'label-studio'}"
        )
        say("starting the ML backend and Label Studio (about 20 s) ...")
        ml.start()
        ls.start()
        ml.wait_healthy(60, auth=auth)
        ls.wait_healthy(LS_START_TIMEOUT)
        remember_database(data_dir, postgres)
        client = connect(LabelStudioSettings(url=state["label_studio_url"], api_key=login.api_key))
        connection = MLConnection(
            url=state["ml_url"], basic_auth_user=ml_auth.user, basic_auth_password=ml_auth.password
        )
        report = setup_generation(client, campaign, connection)
        move_ml_backends(client, connection, report)
        print_setup_report(report)
        added = import_prompts(client, report.project_id, default_prompts(), per_topic)
        say(f"prompts: {added.added} added, {added.already_there} already there")
        invite = client.organizations.invites.get_invite_link()
        say(
            f"\nLabel Studio: {state['label_studio_url']}/projects/{report.project_id}/data  (listening on {bind})"
        )
        say(
            f"ML backend:   {state['ml_url']}  (Basic auth user {ml_auth.user}; data in {data_dir})"
        )
        _show_login(data_dir, login.username, login.password, sources)
        say(
            f"writers and managers sign up only with the invite link: {state['label_studio_url']}{invite.invite_url}"
        )
        env_hint = (
            ""
            if data_dir == default_data_dir().resolve()
            else f" --data-dir {shlex.quote(str(data_dir))}"
        )
        say(f'campaign commands, in another terminal: eval "$(apeach-ls env{env_hint})"')
        mark_login_shown(data_dir)
        say("ready. Press Ctrl-C to stop both servers.")
        supervise(ls, ml, lambda message: say(message, err=True), auth=auth)
    except KeyboardInterrupt:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        say("\nstopping ...")
    finally:
        ml.stop()
        ls.stop()
        for s, handler in handlers.items():
            signal.signal(s, handler)
    say("stopped.")


def _show_login(data_dir: Path, username: str, password: str, sources: Any) -> None:
    """The login on the first successful run; afterwards, where it is."""
    if sources.password_from_env:
        say(f"login: {username}  (password: as set in LABEL_STUDIO_PASSWORD)")
    elif not sources.shown:
        say(f"login: {username}  password: {password}")
        say(f"  (shown once; kept in {data_dir / CREDENTIALS}, readable only by you)")
    else:
        say(f"login: {username}  (password: in {data_dir / CREDENTIALS})")
    if sources.api_key_from_env:
        say("API key: as set in LABEL_STUDIO_API_KEY")
    else:
        say(
            f"API key: in {data_dir / API_KEY_FILE} (LABEL_STUDIO_API_KEY_FILE; readable only by you)"
        )


@click.command("env")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_data_dir,
    show_default="$APEACH_LS_HOME or ./apeach-ls-data",
    help="The data directory `up` runs on.",
)
@fail_cleanly
def env_command(data_dir: Path) -> None:
    """Print the environment the campaign commands need for the embedded instance.

    Shell `export` lines: Label Studio's URL, the ML backend's URL and Basic-auth user, and
    the files holding the API key, the backend's password and the verdict secret (paths,
    never the secrets). Works while `up` runs and after it stopped (last run's settings).

    \b
    Example:
      eval "$(apeach-ls env)"
      apeach-ls votes create --config campaign.toml
    """
    data_dir = data_dir.resolve()
    state = read_state(data_dir)
    if not state or not isinstance(state.get("exports"), dict):
        raise ConfigError(
            f"no `apeach-ls up` has run on {data_dir} yet; start one with `apeach-ls up` "
            "(or pass --data-dir)"
        )
    running = is_running(data_dir)
    click.echo(
        f"# apeach-ls up on {data_dir}: "
        + (
            f"running (pid {state.get('pid')})"
            if running
            else "not running; these are its last run's settings"
        )
    )
    for note in state.get("notes") or []:
        click.echo(f"# {note}")
    for name, value in state["exports"].items():
        click.echo(f"export {name}={shlex.quote(str(value))}")
    if not running:
        click.echo(f"warning: `apeach-ls up` is not running on {data_dir}", err=True)


@click.command("ssrf-settings")
@click.argument("ml_address")
@fail_cleanly
def ssrf_settings_command(ml_address: str) -> None:
    """Label Studio settings that keep SSRF protection on and allow only ML_ADDRESS.

    For a Label Studio you run yourself, when the ML backend listens on a loopback or
    private address: instead of turning SSRF protection off, ban Label Studio's default
    networks except the backend's one address. Prints shell `export` lines to put into
    Label Studio's environment before it starts. ML_BLOCK_LOCAL_IP has no allow-list in
    Label Studio 1.23: it must be false for a local backend (see the README). For replicas,
    give the network they get their addresses from (docker-compose.yml does).

    \b
    Example:
      apeach-ls ssrf-settings 10.0.0.5
      apeach-ls ssrf-settings 172.28.9.0/24
    """
    try:
        ipaddress.ip_network(ml_address, strict=False)
    except ValueError:
        raise ConfigError(
            f"{ml_address!r} is not an IP address or network; give the address the ML backend "
            "listens on, e.g. 10.0.0.5 (or its replicas' network, e.g. 172.28.9.0/24)"
        ) from None
    for name, value in ssrf_settings(ml_address).items():
        click.echo(f"export {name}={shlex.quote(value)}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=9090, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="gunicorn worker processes. Default: $WORKERS, else 1.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Threads per worker. Default: $THREADS, else 4.",
)
@click.option(
    "--retrainer",
    is_flag=True,
    help="Run the campaign's one retrainer instead of serving (APEACH_LS_MODEL: the registry).",
)
@fail_cleanly
def backend(
    host: str, port: int, workers: int | None, threads: int | None, retrainer: bool
) -> None:
    """Serve the ML backend with gunicorn (settings from the environment).

    Each of the --workers processes reads whole requests in an event loop and runs them in
    --threads threads; the workers split the cores among themselves. Serves the built-in
    pseudo-classifier unless APEACH_LS_MODEL names another model; needs the verdict secret
    (APEACH_VERDICT_SECRET_FILE). Any number of backends may serve one model registry: they
    follow its current version, and their webhooks meet in the registry's shared storage,
    where `--retrainer` (one process per campaign) picks them up and publishes new versions.

    \b
    Example:
      APEACH_LS_MODEL=apeach-ls-data/models/default apeach-ls backend --port 9090
      APEACH_LS_MODEL=apeach-ls-data/registry apeach-ls backend --retrainer
    """
    from apeach_ls.classifier.loading import load_classifier, load_version
    from apeach_ls.classifier.registry import ModelRegistry, is_registry
    from apeach_ls.ml_backend import receipt_key
    from apeach_ls.ml_backend.serving import gunicorn_argv
    from apeach_ls.ml_backend.settings import BackendSettings, serving_counts
    from apeach_ls.settings import with_ml_backend_aliases

    env = with_ml_backend_aliases(
        os.environ
    )  # label-studio-ml-backend's names too (MODEL_DIR, ...)
    if retrainer:
        run_retrainer(BackendSettings.from_env(env))
        return
    if not env.get("APEACH_LS_MODEL"):
        env["APEACH_LS_MODEL"] = str(SHIPPED_MODEL_DIR)
    # The settings are checked here, so a mistake is one line instead of gunicorn's boot traceback.
    settings = BackendSettings.from_env(env)
    receipt_key(settings)
    spec = settings.model_spec or ""
    if is_registry(spec) and ModelRegistry(spec).current() is None:
        load_version(ModelRegistry(spec), None)  # a ConfigError naming the command to run
    if not spec.startswith("hf:") and not Path(spec).is_dir():
        load_classifier(spec)  # a ConfigError saying there is no such model
    workers, threads = serving_counts(env, workers, threads)
    if port_in_use(port, host):
        raise ConfigError(f"port {port} is already in use on {host}; choose another with --port")
    os.environ.update(env)  # execv passes os.environ on
    os.environ["WEB_CONCURRENCY"] = str(workers)  # torch threads per worker = cores / workers
    os.execv(sys.executable, gunicorn_argv(host, port, workers, threads))


SECONDS_BETWEEN_ROUNDS = 30.0


def run_retrainer(settings: Any) -> None:
    """The campaign's one retrainer, until SIGTERM or Ctrl-C (a round in progress finishes)."""
    import logging
    import threading

    from apeach_ls.ml_backend import create_retrainer
    from apeach_ls.ml_backend.retraining import RetrainerLock

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apeach_ls").setLevel(settings.log_level.upper())
    retrainer = create_retrainer(settings)
    retrainer.min_gap = SECONDS_BETWEEN_ROUNDS  # a flood of webhooks: one round per gap at most
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with RetrainerLock(retrainer.registry):
        say(
            f"retrainer: following {retrainer.registry.root} (every {retrainer.every or '-'} "
            "new annotations, and START_TRAINING)",
            err=True,
        )
        retrainer.run(stop)
    say("retrainer: stopped", err=True)
