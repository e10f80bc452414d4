"""``apeach-ls models``: the model registry the ML backend follows (versions, pin, rollback)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click

from ..classifier.loading import load_classifier
from ..classifier.registry import VERSIONS, ModelRegistry, is_registry
from ..errors import ConfigError
from .common import fail_cleanly


def registry_option(fn):
    return click.option(
        "--registry",
        "registry_dir",
        envvar="APEACH_LS_REGISTRY",
        show_envvar=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="The model registry directory (the backend serves it when APEACH_LS_MODEL names it).",
    )(fn)


def _registry(registry_dir: Path | None, existing: bool = True) -> ModelRegistry:
    """The registry; one that does not exist is an error unless ``existing`` is False (publish creates it)."""
    if registry_dir is None:
        raise ConfigError("no registry: pass --registry DIR or set APEACH_LS_REGISTRY to it")
    if existing and not is_registry(registry_dir):
        raise ConfigError(
            f"there is no model registry at {registry_dir} (no {VERSIONS}/ folder); check --registry "
            f"or APEACH_LS_REGISTRY, or create one with: apeach-ls models publish MODEL_DIR --registry "
            f"{registry_dir}"
        )
    if not is_registry(registry_dir) and registry_dir.is_dir() and any(registry_dir.iterdir()):
        raise ConfigError(
            f"{registry_dir} is not a model registry and is not empty (a model, or other files); "
            "publish into a new or empty folder"
        )
    return ModelRegistry(registry_dir)


@click.group()
def models() -> None:
    """Model versions the ML backend serves; it follows changes without a restart.

    \b
    Example:
      export APEACH_LS_REGISTRY=apeach-ls-data/registry  # the registry these commands manage
      apeach-ls models publish apeach-ls-data/models/default
      export APEACH_LS_MODEL=apeach-ls-data/registry     # the backend serves the current version
      apeach-ls models list
      apeach-ls models rollback
    """


@models.command()
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@registry_option
@click.option(
    "--initial",
    is_flag=True,
    help="Only if the registry has no current version yet (a deployment's first model: "
    "re-running it never replaces what retraining published).",
)
@fail_cleanly
def publish(model_dir: Path, registry_dir: Path | None, initial: bool) -> None:
    """Copy a saved model into the registry and make it current (unless a version is pinned).

    \b
    Example:
      apeach-ls models publish models/beep --registry apeach-ls-data/registry
    """
    registry = _registry(registry_dir, existing=False)
    if initial and registry.current() is not None:
        click.echo(f"{registry.root} already serves {registry.current()}: nothing to do")
        return
    version = load_classifier(str(model_dir)).version
    moved = registry.publish(
        version,
        lambda target: shutil.copytree(model_dir, target, dirs_exist_ok=True),
        reason=f"published {model_dir}",
    )
    click.echo(
        f"{version}: {'now current' if moved else 'stored; current stays ' + str(registry.current())}"
    )


@models.command("list")
@registry_option
@fail_cleanly
def list_command(registry_dir: Path | None) -> None:
    """List versions and the history of what was served.

    \b
    Example:
      apeach-ls models list --registry apeach-ls-data/registry
    """
    registry = _registry(registry_dir)
    current, pinned = registry.current(), registry.pinned()
    if not registry.versions():
        click.echo(f"no model versions in {registry.root} yet")
    for version in registry.versions():
        marks = [
            m for m, on in (("current", version == current), ("pinned", version == pinned)) if on
        ]
        click.echo(f"{version}{'  (' + ', '.join(marks) + ')' if marks else ''}")
    for change in registry.history():
        click.echo(
            f"  {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(change.at))}  {change.version}  {change.reason}"
        )


@models.command()
@click.argument("version")
@registry_option
@fail_cleanly
def pin(version: str, registry_dir: Path | None) -> None:
    """Serve VERSION and keep it whatever retraining produces.

    \b
    Example:
      apeach-ls models pin ngram-5977124f59
    """
    _registry(registry_dir).pin(version)
    click.echo(f"pinned {version}")


@models.command()
@registry_option
@fail_cleanly
def unpin(registry_dir: Path | None) -> None:
    """Let retraining publish new versions again.

    \b
    Example:
      apeach-ls models unpin
    """
    _registry(registry_dir).unpin()
    click.echo("unpinned")


@models.command()
@registry_option
@fail_cleanly
def rollback(registry_dir: Path | None) -> None:
    """Go back to the version served before the current one, and pin it.

    \b
    Example:
      apeach-ls models rollback
    """
    click.echo(
        f"rolled back to {_registry(registry_dir).rollback()} (pinned; `models unpin` to resume retraining)"
    )
