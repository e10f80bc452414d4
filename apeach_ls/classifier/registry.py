"""A registry of model versions, so the model can improve while a campaign runs.

Layout of a registry directory::

    versions/<version>/     one saved model per version (never changed once published)
    current                 the version being served (one line; replaced atomically)
    pinned                  present when an operator pinned a version: retraining won't move it
    history.jsonl           every change of ``current``: version, reason, time

Every ML backend worker watches ``current`` (a stat a second), so a publish, a pin or a
rollback reaches all of them without a restart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_file, write_folder
from ..errors import ConfigError

CURRENT, PINNED, HISTORY, VERSIONS = "current", "pinned", "history.jsonl", "versions"


@dataclass(frozen=True)
class Change:
    version: str
    reason: str
    at: float


def is_registry(path: str | Path) -> bool:
    return (Path(path) / VERSIONS).is_dir()


class ModelRegistry:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def versions(self) -> list[str]:
        folder = self.root / VERSIONS
        return (
            sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
            if folder.is_dir()
            else []
        )

    def path_of(self, version: str) -> Path:
        path = self.root / VERSIONS / version
        if not path.is_dir() or "/" in version or version.startswith("."):
            known = ", ".join(self.versions()) or "none"
            raise ConfigError(f"model version {version!r} is not in {self.root} (known: {known})")
        return path

    def current(self) -> str | None:
        try:
            return (self.root / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def pinned(self) -> str | None:
        try:
            return (self.root / PINNED).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def history(self) -> list[Change]:
        try:
            lines = (self.root / HISTORY).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [Change(**json.loads(line)) for line in lines if line.strip()]

    def _set_current(self, version: str, reason: str) -> None:
        self.path_of(version)
        write_file(self.root / CURRENT, version + "\n")
        with open(self.root / HISTORY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"version": version, "reason": reason, "at": time.time()}) + "\n")

    def publish(self, version: str, save: Callable[[Path], Any], reason: str) -> bool:
        """Save a new version (``save(dir)`` writes it into an empty folder) and make it
        current unless pinned.

        The model is written to a hidden directory and renamed into place, so a reader never
        sees half a model. Returns whether ``current`` moved to it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / VERSIONS / version
        if not final.exists():
            try:
                write_folder(final, save)
            except FileExistsError:  # another worker published the same version first
                pass
        if self.pinned() is not None or self.current() == version:
            return False
        self._set_current(version, reason)
        return True

    def pin(self, version: str) -> None:
        """Serve ``version`` and keep serving it whatever retraining produces."""
        self._set_current(version, "pinned")
        write_file(self.root / PINNED, version + "\n")

    def unpin(self) -> None:
        (self.root / PINNED).unlink(missing_ok=True)

    def rollback(self) -> str:
        """Go back to the version served before the current one (and pin it)."""
        current = self.current()
        earlier = [c.version for c in self.history() if c.version != current]
        if not earlier:
            raise ConfigError(
                f"nothing to roll back to in {self.root}: only {current!r} was ever served"
            )
        self.pin(earlier[-1])
        return earlier[-1]
