"""``apeach-ls up`` (the embedded default) and ``apeach-ls backend`` (serve the ML backend)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import click

from ..embedded import LS_START_TIMEOUT, admin_login, label_studio_process, ml_backend_process
from ..errors import ApeachError, ConfigError
from ..labelstudio.campaign import MLConnection, setup_generation
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.prompt_import import import_prompts
from ..processes import port_in_use
from ..prompts import default_prompts
from ..settings import read_secret
from .common import campaign_option, default_data_dir, fail_cleanly
from .project import print_setup_report


def ensure_model(data_dir: Path, train_data: Path | None) -> str:
    """APEACH_LS_MODEL if set; else the default n-gram model in the data dir, trained
    from ``--train-data`` on the first run."""
    spec = os.environ.get("APEACH_LS_MODEL")
    if spec:
        return spec
    model_dir = data_dir / "models" / "default"
    if (model_dir / "model.json").exists():
        return str(model_dir)
    if train_data is None:
        raise ConfigError("No pseudo-classifier yet: pass --train-data FILE (a BEEP! TSV or an APEACH CSV) "
                          "to train the default model, or set APEACH_LS_MODEL")
    from ..classifier.training import train_and_save
    click.echo(f"training the default pseudo-classifier on {train_data} ...")
    version = train_and_save(train_data, model_dir, replace=True)  # a crashed first run left no model.json
    click.echo(f"model {version} saved to {model_dir}")
    return str(model_dir)


def _ml_auth() -> tuple[str, str] | None:
    """The backend's Basic auth from the environment (the backend process inherits it)."""
    user = os.environ.get("APEACH_ML_BASIC_AUTH_USER")
    password = read_secret(os.environ, "APEACH_ML_BASIC_AUTH_PASSWORD")
    return (user, password) if user and password else None


@click.command()
@campaign_option
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=default_data_dir,
              show_default="$APEACH_LS_HOME or ./apeach-ls-data", help="Where Label Studio's SQLite "
              "database, the models and the logs live; a second run reuses it.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Label Studio port.")
@click.option("--ml-port", type=click.IntRange(1, 65535), default=9090, show_default=True, help="ML backend port.")
@click.option("--per-topic", type=click.IntRange(0, 100000), default=10, show_default=True,
              help="Writing tasks per topic to make sure exist.")
@click.option("--train-data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Labeled file to train the default model from on the first run (BEEP! TSV, APEACH CSV).")
@fail_cleanly
def up(campaign: str, data_dir: Path, port: int, ml_port: int, per_topic: int, train_data: Path | None) -> None:
    """Run everything locally: Label Studio (SQLite) + the ML backend + the projects.

    Both servers listen on 127.0.0.1. Ctrl-C stops both. Honours LABEL_STUDIO_USERNAME,
    LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY (the admin's token) when set; otherwise
    generates them once and shows them.

    \b
    Example:
      apeach-ls up --train-data ../shared/data/beep/train.tsv --port 8080 --ml-port 9090
    """
    for name, p in (("--port", port), ("--ml-port", ml_port)):
        if port_in_use(p):
            raise ConfigError(f"port {p} ({name}) is already in use on 127.0.0.1; choose another with {name}")
    data_dir.mkdir(parents=True, exist_ok=True)
    login, generated = admin_login(data_dir)
    model_spec = ensure_model(data_dir, train_data)
    ml_auth = _ml_auth()
    ls = label_studio_process(data_dir, port, login)
    ml = ml_backend_process(data_dir, ml_port, model_spec)
    stopping = {"now": False}

    def on_signal(signum, frame):  # SIGTERM behaves like Ctrl-C
        stopping["now"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        click.echo("starting the ML backend and Label Studio (about 20 s) ...")
        ml.start()
        ls.start()
        ml.wait_healthy(60, auth=ml_auth)
        ls.wait_healthy(LS_START_TIMEOUT)
        client = connect(LabelStudioSettings(url=f"http://127.0.0.1:{port}", api_key=login.api_key))
        connection = MLConnection(url=f"http://127.0.0.1:{ml_port}",
                                  basic_auth_user=ml_auth[0] if ml_auth else None,
                                  basic_auth_password=ml_auth[1] if ml_auth else None)
        report = setup_generation(client, campaign, connection)
        print_setup_report(report)
        added = import_prompts(client, report.project_id, default_prompts(), per_topic)
        click.echo(f"prompts: {added.added} added, {added.already_there} already there")
        click.echo(f"\nLabel Studio: http://127.0.0.1:{port}/projects/{report.project_id}/data")
        click.echo(f"ML backend:   http://127.0.0.1:{ml_port}  (data in {data_dir})")
        if generated:
            click.echo(f"login: {login.username}  password: {login.password}")
            click.echo(f"API key (LABEL_STUDIO_API_KEY): {login.api_key}")
            click.echo(f"(kept in {data_dir / 'credentials.json'}, readable only by you)")
        else:
            click.echo(f"login: {login.username} (password and API key as you set them, or in "
                       f"{data_dir / 'credentials.json'})")
        click.echo("ready. Press Ctrl-C to stop both servers.", )
        while ls.running and ml.running:
            time.sleep(0.5)
        dead = "Label Studio" if not ls.running else "The ML backend"
        raise ApeachError(f"{dead} stopped unexpectedly; see the logs in {data_dir / 'logs'}")
    except KeyboardInterrupt:
        click.echo("\nstopping ...")
    finally:
        ml.stop()
        ls.stop()
    click.echo("stopped.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=9090, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=4, show_default=True)
def backend(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the ML backend with gunicorn (settings from the environment).

    Each of the --workers processes reads whole requests in an event loop and runs them in
    --threads threads; the workers split the cores among themselves.

    \b
    Example:
      APEACH_LS_MODEL=apeach-ls-data/models/default apeach-ls backend --port 9090
    """
    from ml_backend.serving import gunicorn_argv

    os.environ["WEB_CONCURRENCY"] = str(workers)  # torch threads per worker = cores / workers
    os.execv(sys.executable, gunicorn_argv(host, port, workers, threads))
