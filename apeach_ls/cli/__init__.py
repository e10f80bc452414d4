"""The ``apeach-ls`` command line: a thin shell over the library.

Library errors (:class:`apeach_ls.errors.ApeachError`) become one-line messages with exit
code 1; secrets are read from the environment, never from options. Each command's module
is imported only when that command runs (the libraries behind them, scikit-learn, the
Label Studio SDK, matplotlib, take seconds to import).
"""

from __future__ import annotations

import importlib

import click

# command name -> (module in apeach_ls.cli, attribute), in the order `--help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "setup": ("project", "setup"),
    "prompts": ("project", "prompts"),
    "submissions": ("submissions", "submissions"),
    "classifier": ("classifier", "classifier"),
    "models": ("models", "models"),
    "managers": ("votes", "managers"),
    "votes": ("votes", "votes"),
    "validation": ("validation", "validation"),
    "writers": ("rewards", "writers"),
    "payout": ("rewards", "payout"),
    "rounds": ("rounds", "rounds"),
    "export": ("release", "export"),
    "report": ("release", "report"),
    "overlap": ("overlap", "overlap"),
    "up": ("up", "up"),
    "env": ("up", "env_command"),
    "ssrf-settings": ("up", "ssrf_settings_command"),
    "backend": ("up", "backend"),
}

SHORT_HELP = {  # each command's first help line (tests/test_cli_docs.py keeps them equal)
    "setup": "Create or update the campaign's generation project and connect the ML backend.",
    "prompts": "Writing tasks: one prompt (topic + guideline) per task.",
    "submissions": "Writers' sentences from the generation project.",
    "classifier": "Train and evaluate the pseudo-classifier: the aid that shows writers a verdict.",
    "models": "Model versions the ML backend serves; it follows changes without a restart.",
    "managers": "Show which managers have a Label Studio account, and the invite link for the rest.",
    "votes": "The managers' vote round: k managers drop copied, private-person or off-topic sentences.",
    "validation": "Validation of fooled sentences: other people say whether the writer's label is right.",
    "writers": "The writer roster: Label Studio accounts linked to the platform that pays them.",
    "payout": "Pay writers for accepted sentences, exactly once (amounts from the config's [rewards]).",
    "rounds": "Rounds: named periods of the campaign, with the model version(s) in the loop.",
    "export": "Export the accepted sentences as a dataset release.",
    "report": "Write an HTML report of the release, with its figures as PNG files.",
    "overlap": "Lexical overlap of evaluation sets with reference corpora (TF-IDF, as in the APEACH paper).",
    "up": "Run everything locally: Label Studio (SQLite) + the ML backend + the projects.",
    "env": "Print the environment the campaign commands need for the embedded instance.",
    "ssrf-settings": "Label Studio settings that keep SSRF protection on and allow only ML_ADDRESS.",
    "backend": "Serve the ML backend with gunicorn (settings from the environment).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SHORT_HELP[name]) for name in COMMANDS])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="apeach-ls")
def cli() -> None:
    """Build an APEACH-style hate-speech evaluation set in Label Studio.

    \b
    Typical use on an existing Label Studio:
      export LABEL_STUDIO_URL=http://127.0.0.1:8080 LABEL_STUDIO_API_KEY=...
      export APEACH_ML_URL=http://127.0.0.1:9090
      apeach-ls setup --campaign apeach-2026
      apeach-ls prompts import --campaign apeach-2026 --per-topic 50
    Or everything locally: apeach-ls up (then eval "$(apeach-ls env)" elsewhere)
    """


def main() -> None:
    cli(prog_name="apeach-ls")


__all__ = ["cli", "main"]
