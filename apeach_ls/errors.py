"""Small domain exceptions. The CLI turns them into one-line messages; the backend into 4xx."""

from __future__ import annotations


class ApeachError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class DataFileError(ApeachError):
    """A user-supplied file (prompts, training data) is malformed.

    The message names the file, the row (1-based, header = row 1) and the field.
    """

    def __init__(self, path: str, message: str, row: int | None = None, field: str | None = None):
        where = path
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
        self.path, self.row, self.field = path, row, field


class ConfigError(ApeachError):
    """A setting (environment variable, option) is missing or invalid."""


class LabelStudioError(ApeachError):
    """Label Studio refused a request or could not be reached."""
