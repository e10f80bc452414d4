"""What a payout leaves unpaid that the vote accepted: repeats of a sentence, and submissions
that are gone from Label Studio. Pure logic, no I/O.

* A sentence accepted more than once (compared as the release compares them:
  :func:`apeach_ls.release.consistency.comparison_key`) is paid once, to its earliest
  submission; the release holds the others back too. So a writer who copies a sentence
  (and asks the backend for a verdict on it again) earns nothing for the copy.
* A submission that earned and is no longer in the generation project (deleted) earns
  nothing from then on: its earnings are reversed, so deleting a paid sentence and writing
  it again never pays twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..release.consistency import comparison_key


def repeats(accepted: Iterable[tuple[int, str]]) -> dict[int, int]:
    """``{submission id: id of the earliest submission with the same sentence}`` for every
    accepted submission that repeats an earlier one."""
    first: dict[str, int] = {}
    repeated: dict[int, int] = {}
    for submission_id, text in sorted(accepted):
        key = comparison_key(text)
        if key in first:
            repeated[submission_id] = first[key]
        else:
            first[key] = submission_id
    return repeated


def vanished(earning: Mapping[int, int], present: Iterable[int]) -> dict[int, int]:
    """``{submission id: writer}`` of the submissions with earnings (``earning``: submission id ->
    writer's Label Studio id) that are no longer among the ``present`` ones."""
    here = set(present)
    return {sid: writer for sid, writer in sorted(earning.items()) if sid not in here}
