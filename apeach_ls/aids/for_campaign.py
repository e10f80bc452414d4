"""The aids of a campaign's submissions with the campaign's settings, through the aids cache
next to the config (the same computation and cache as ``votes create``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..prompts import Prompt
from . import AidCache, Aids, SubmissionText, compute_aids


def prompt_of(prompt_data: dict[str, Any]) -> Prompt:
    """The prompt a generation task's data describes."""
    key = str(prompt_data.get("prompt_id", "topic")).rsplit("-", 1)[0] or "topic"
    return Prompt(
        key=key,
        topic=str(prompt_data.get("topic", "")),
        topic_eng=str(prompt_data.get("topic_eng", "")),
        guideline=str(prompt_data.get("guideline", "")),
    )


def campaign_aids(config: Any, submissions: Sequence[Any]) -> dict[int, Aids]:
    """Aids by submission id for ``labelstudio.submissions.Submission``s (in writing order)
    under ``config`` (a ``CampaignConfig``)."""
    prompts: dict[str, Prompt] = {}
    texts = []
    for s in submissions:
        prompt = prompt_of(s.prompt)
        prompts.setdefault(prompt.key, prompt)
        texts.append(SubmissionText(s.annotation_id, s.corrected.text, prompt.key, s.writer_id))
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
