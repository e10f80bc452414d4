"""The ``apeach-ls`` command line: a thin shell over the library.

Library errors (:class:`apeach_ls.errors.ApeachError`) become one-line messages with exit
code 1; secrets are read from the environment, never from options.
"""

from __future__ import annotations


import click

from .classifier import classifier
from .models import models
from .overlap import overlap
from .project import prompts, setup
from .release import export, report
from .rewards import payout, writers
from .submissions import submissions
from .up import backend, up
from .votes import managers, votes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="apeach-ls")
def cli() -> None:
    """Build an APEACH-style hate-speech evaluation set in Label Studio.

    \b
    Typical use on an existing Label Studio:
      export LABEL_STUDIO_URL=http://127.0.0.1:8080 LABEL_STUDIO_API_KEY=...
      export APEACH_ML_URL=http://127.0.0.1:9090
      apeach-ls setup --campaign apeach-2026
      apeach-ls prompts import --campaign apeach-2026 --per-topic 50
    Or everything locally: apeach-ls up --train-data train.tsv
    """


cli.add_command(setup)
cli.add_command(prompts)
cli.add_command(classifier)
cli.add_command(models)
cli.add_command(submissions)
cli.add_command(votes)
cli.add_command(managers)
cli.add_command(writers)
cli.add_command(payout)
cli.add_command(export)
cli.add_command(report)
cli.add_command(overlap)
cli.add_command(up)
cli.add_command(backend)


def main() -> None:
    cli(prog_name="apeach-ls")


__all__ = ["cli", "main"]
