"""The aids of a campaign's submissions with the campaign's settings, through the aids cache
next to the config (the same computation and cache as ``votes create``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..prompts import Prompt, task_prompt
from . import AidCache, Aids, SubmissionText, compute_aids


def campaign_aids(config: Any, submissions: Sequence[Any]) -> dict[int, Aids]:
    """Aids by submission id for ``labelstudio.submissions.Submission``s (in writing order)
    under ``config`` (a ``CampaignConfig``)."""
    prompts: dict[str, Prompt] = {}
    texts = []
    for s in submissions:
        prompt = task_prompt(s.prompt)
        prompts.setdefault(prompt.key, prompt)
        texts.append(SubmissionText(s.submission_id, s.corrected.text, prompt.key, s.writer_id))
    with AidCache(config.path.parent / f"{config.name}.aids-cache.sqlite") as cache:
        return compute_aids(
            texts,
            prompts,
            config.reference_corpora,
            duplicate_threshold=config.duplicate_threshold,
            copy_threshold=config.copy_threshold,
            off_topic_below=config.off_topic_below,
            off_topic_without_words=config.off_topic_without_words,
            cache=cache,
        )
