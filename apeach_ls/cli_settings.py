"""The CLI's settings: one frozen object per command, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from .settings import read_secret, verdict_key

if TYPE_CHECKING:
    from .labelstudio.connection import LabelStudioSettings
    from .labelstudio.projects import MLConnection
    from .receipts import ReceiptKey


DEFAULT_CAMPAIGN = "apeach"
DEFAULT_DATA_DIR = "apeach-ls-data"


@dataclass(frozen=True)
class CliSettings:
    """The CLI's settings, read from the environment once per command (as the ML backend has
    :class:`apeach_ls.ml_backend.settings.BackendSettings`); library functions get them (or the
    values they hold) as arguments and never read the environment themselves.

    ``environ`` is a read-only copy of the environment the values were read from: the
    secrets (Label Studio's API key, the verdict secret, the database URLs, each also from a
    ``_FILE``) are read from it only when a command needs them, so a command that needs
    none is not stopped by an unreadable secret file.
    """

    campaign: str  # APEACH_CAMPAIGN: the campaign name of --campaign's default
    data_dir: Path  # APEACH_LS_HOME: the embedded set-up, models, verdict-secret
    label_studio_url: str  # LABEL_STUDIO_URL, without a trailing slash ("" when unset)
    model: str | None  # APEACH_LS_MODEL: the model `up` serves
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CliSettings:
        return cls(
            campaign=env.get("APEACH_CAMPAIGN") or DEFAULT_CAMPAIGN,
            data_dir=Path(env.get("APEACH_LS_HOME") or DEFAULT_DATA_DIR),
            label_studio_url=(env.get("LABEL_STUDIO_URL") or "").rstrip("/"),
            model=env.get("APEACH_LS_MODEL") or None,
            environ=MappingProxyType(dict(env)),
        )

    def given(self, name: str) -> bool:
        """Whether ``name`` is set (non-empty) in the environment (says where a value came
        from; never the value)."""
        return bool(self.environ.get(name))

    def secret(self, name: str) -> str | None:
        """The secret ``name`` (or the file named by ``name_FILE``)."""
        return read_secret(self.environ, name)

    def label_studio(self) -> LabelStudioSettings:
        """Label Studio's URL, API key (LABEL_STUDIO_API_KEY[_FILE]) and timeout."""
        from .labelstudio.connection import LabelStudioSettings

        return LabelStudioSettings.from_env(self.environ)

    def ml_connection(self) -> MLConnection | None:
        """How Label Studio reaches the ML backend (APEACH_ML_URL, Basic auth); None without a
        URL."""
        from .labelstudio.projects import MLConnection

        return MLConnection.from_env(self.environ)

    def verdict_key(self) -> ReceiptKey:
        """The secret verdict receipts are checked with (APEACH_VERDICT_SECRET[_FILE], else the
        embedded set-up's ``<data dir>/verdict-secret``)."""
        return verdict_key(self.environ, self.data_dir)
