"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import ApeachError
from ..steps import OnStep

if TYPE_CHECKING:
    from ..campaign import Campaign
    from ..cli_settings import CliSettings
    from ..receipts import ReceiptKey

F = TypeVar("F", bound=Callable[..., Any])


_SETTINGS = "apeach_ls.settings"


def settings() -> CliSettings:
    """The command's settings (:class:`apeach_ls.cli_settings.CliSettings`): read from the
    environment once per run of the CLI, the only place the commands read it (besides
    ``up``'s handing of the environment on to the servers it starts)."""
    from ..cli_settings import CliSettings

    context = click.get_current_context(silent=True)
    if context is None:
        return CliSettings.from_env(os.environ)
    root = context.find_root()
    if _SETTINGS not in root.meta:
        root.meta[_SETTINGS] = CliSettings.from_env(os.environ)
    found: CliSettings = root.meta[_SETTINGS]
    return found


def fail_cleanly(fn: F) -> F:
    """Turn library errors into one-line ``Error: ...`` messages (exit 1), no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApeachError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def campaign_option(fn: F) -> F:
    """``--campaign NAME`` (env APEACH_CAMPAIGN, default ``apeach``)."""
    return click.option(
        "--campaign",
        default=lambda: settings().campaign,
        show_default="apeach",
        help="Campaign name; each campaign has its own projects. Env: APEACH_CAMPAIGN.",
    )(fn)


MISSING_CONFIG = (
    "Missing option '--config' (or set APEACH_CAMPAIGN_CONFIG): the campaign config file"
)


def _config_given(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    if value is None:
        raise click.UsageError(MISSING_CONFIG, ctx)
    return value


def config_option(fn: F) -> F:
    """``--config FILE``: the campaign config (env APEACH_CAMPAIGN_CONFIG), which the command
    needs. A missing one is reported while the options are read, before the command checks
    anything else (its other options, the packages it needs, its output folder)."""
    return _config(fn, callback=_config_given)


def group_config_option(fn: F) -> F:
    """``--config FILE`` on a group and on its subcommands (``payout --config c.toml status`` and
    ``payout status --config c.toml``): either may hold it, so the command itself calls
    :func:`require_config` on the one given, first thing."""
    return _config(fn, callback=None)


def _config(fn: F, callback: Callable[..., Any] | None) -> F:
    return click.option(
        "--config",
        "config_path",
        envvar="APEACH_CAMPAIGN_CONFIG",
        show_envvar=True,
        required=False,
        callback=callback,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Campaign config (TOML): name, managers, k, rule, aids, rewards, database.",
    )(fn)


def default_data_dir() -> Path:
    """``$APEACH_LS_HOME``, default ``./apeach-ls-data``: where the embedded set-up and models live."""
    return settings().data_dir


def verdict_key() -> ReceiptKey:
    """The secret verdict receipts are checked with (APEACH_VERDICT_SECRET[_FILE], else the
    embedded set-up's ``<data dir>/verdict-secret``): every command that reads submissions needs it."""
    return settings().verdict_key()


def require_config(config_path: Path | None) -> Path:
    if config_path is None:
        raise click.UsageError(MISSING_CONFIG)
    return config_path


@dataclass(frozen=True)
class StepWatcher:
    """Given as click's ``obj`` to a run of the CLI in a Python process
    (``cli.main(args, obj=StepWatcher(f))``): ``f`` sees every step the command's long
    operations report (:mod:`apeach_ls.steps`). The crash tests stop a command at a step."""

    on_step: OnStep


def follow_steps(messages: Mapping[str, str] | None = None) -> OnStep:
    """The observer a command gives the library's long operations: prints the progress line
    of each step named in ``messages`` (stderr), then tells the ``StepWatcher``, if any."""
    context = click.get_current_context(silent=True)
    watcher = context.find_object(StepWatcher) if context is not None else None
    lines = dict(messages or {})

    def on_step(step: str) -> None:
        if step in lines:
            click.echo(lines[step], err=True)
        if watcher is not None:
            watcher.on_step(step)

    return on_step


def stderr(message: str) -> None:
    click.echo(message, err=True)


def open_campaign(config_path: Path | None) -> Campaign:
    """The campaign of ``--config``: Label Studio from the environment, messages on stderr."""
    from ..campaign import Campaign
    from ..campaign_config import load_config

    return Campaign(
        load_config(require_config(config_path), settings().environ), **_campaign_access()
    )


def campaign_named(name: str) -> Campaign:
    """A campaign known by its name only (``--campaign``): its Label Studio side."""
    from ..campaign import Campaign

    return Campaign.named(name, **_campaign_access())


def _campaign_access() -> dict[str, Any]:
    given = settings()
    return {
        "label_studio": lambda: label_studio(),
        "verdict_key": given.verdict_key,
        "progress": stderr,
        "label_studio_url": given.label_studio_url,
    }


def label_studio() -> Any:
    """A Label Studio client on the settings' URL and API key."""
    from ..labelstudio.connection import connect

    return connect(settings().label_studio())
