"""What the backend keeps of annotations that arrive through the webhook.

Label Studio may deliver the same event twice, or UPDATED before CREATED. Each annotation
is kept once, by id; an event older than what is kept (by ``updated_at``) changes nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from apeach_ls.correction import CorrectedSubmission


@dataclass(frozen=True)
class CheckedAnnotation:
    annotation_id: int
    project_id: str | None
    updated_at: str  # ISO timestamp from Label Studio; compares correctly as text
    submission: CorrectedSubmission


class SubmissionLog:
    def __init__(self) -> None:
        self._items: dict[int, CheckedAnnotation] = {}
        self._deleted: set[int] = set()
        self._lock = threading.Lock()

    def record(self, item: CheckedAnnotation) -> str:
        """Keep ``item`` unless a newer version (or a deletion) is already known.

        Returns ``"new"`` (first time this annotation is seen), ``"updated"`` or ``"stale"``
        (a duplicate delivery, or an event older than what is kept: nothing changes).
        """
        with self._lock:
            if item.annotation_id in self._deleted:
                return "stale"
            known = self._items.get(item.annotation_id)
            if known is not None and known.updated_at >= item.updated_at:
                return "stale"
            self._items[item.annotation_id] = item
            return "new" if known is None else "updated"

    def items(self) -> list[CheckedAnnotation]:
        with self._lock:
            return list(self._items.values())

    def delete(self, annotation_id: int) -> None:
        with self._lock:
            self._items.pop(annotation_id, None)
            self._deleted.add(annotation_id)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, annotation_id: int) -> CheckedAnnotation | None:
        return self._items.get(annotation_id)
