"""Which annotations the backend has heard of through the webhook, to count new ones.

Label Studio may deliver the same event twice, or UPDATED before CREATED. Each annotation
is counted once, by id; an event older than what is known (by ``updated_at``, compared as
times) changes nothing. Only ids and times are kept: webhook bodies are a trigger, never
training data (retraining reads the annotations from Label Studio).
"""

from __future__ import annotations

import threading
from datetime import datetime


class SubmissionLog:
    def __init__(self) -> None:
        self._updated: dict[int, datetime | None] = {}
        self._deleted: set[int] = set()
        self._lock = threading.Lock()

    def record(self, annotation_id: int, updated_at: datetime | None) -> str:
        """``"new"`` (first time this annotation is seen), ``"updated"``, or ``"stale"`` (a duplicate
        delivery, an event older than what is known, or a deleted annotation: nothing changes).
        An event without a readable time is taken as an update."""
        with self._lock:
            if annotation_id in self._deleted:
                return "stale"
            if annotation_id not in self._updated:
                self._updated[annotation_id] = updated_at
                return "new"
            known = self._updated[annotation_id]
            if known is not None and updated_at is not None and known >= updated_at:
                return "stale"
            self._updated[annotation_id] = updated_at
            return "updated"

    def delete(self, annotation_id: int) -> None:
        with self._lock:
            self._updated.pop(annotation_id, None)
            self._deleted.add(annotation_id)

    def __len__(self) -> int:
        return len(self._updated)

    def __contains__(self, annotation_id: int) -> bool:
        return annotation_id in self._updated
