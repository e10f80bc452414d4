"""Reads the roles of the tags in a generation labeling config.

The ML backend and the correction logic never hard-code tag names: they ask this module
which TextArea is the writer's sentence, which Choices hold the intent, the verdict and the
confirm/flip answer, and which TextArea shows the verdict's score. Roles are recognised by
the machine values of the choices (``hate``/``not_hate``, ``confirm``/``flip``) and by
document order (the intent comes before the sentence, the verdict after it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .label_xml import choice_values, parse_label_config
from .labels import AGREEMENTS, LABELS


@dataclass(frozen=True)
class GenerationTags:
    """Tag names (``name`` attributes) of each role in a generation config."""

    object_name: str  # the Text tag the controls point to (toName)
    intent: str
    text: str
    verdict: str
    agreement: str
    verdict_score: str | None = None  # optional TextArea that shows the score to the writer
    receipt: str | None = None  # hidden TextArea the backend fills with the verdict's receipt


DEFAULT_TAGS = GenerationTags(
    object_name="prompt", intent="intent", text="text", verdict="verdict",
    agreement="agreement", verdict_score="verdict_score", receipt="verdict_receipt",
)


def _hidden(style: str | None) -> bool:
    return "display:none" in (style or "").replace(" ", "").lower()


def parse_generation_config(xml: str) -> GenerationTags:
    """Find each role's tag in a labeling config; ConfigError says what is missing."""
    root = parse_label_config(xml, "Label config")
    elements = list(root.iter())
    textareas = [e for e in elements if e.tag == "TextArea"]
    writer_inputs = [e for e in textareas if (e.get("smartonly") or "").lower() == "true"]
    if len(writer_inputs) != 1:
        raise ConfigError(
            "Label config must have exactly one TextArea with smartonly=\"true\" (the writer's "
            f"sentence, which triggers the verdict); found {len(writer_inputs)}"
        )
    text_tag = writer_inputs[0]
    text_pos = elements.index(text_tag)
    label_choices = [e for e in elements if e.tag == "Choices" and choice_values(e) == set(LABELS)]
    intents = [e for e in label_choices if elements.index(e) < text_pos]
    verdicts = [e for e in label_choices if elements.index(e) > text_pos]
    agreements = [e for e in elements if e.tag == "Choices" and choice_values(e) == set(AGREEMENTS)]
    missing = []
    if len(intents) != 1:
        missing.append("one Choices with values hate/not_hate before the TextArea (the intent)")
    if len(verdicts) != 1:
        missing.append("one Choices with values hate/not_hate after the TextArea (the verdict)")
    if len(agreements) != 1:
        missing.append("one Choices with values confirm/flip (the writer's answer)")
    if missing:
        raise ConfigError("Label config must have " + "; ".join(missing))
    hidden_areas = [area for view in elements if view.tag == "View" and _hidden(view.get("style"))
                    for area in view.iter("TextArea")]
    if len(hidden_areas) != 1 or text_tag in hidden_areas:
        raise ConfigError("Label config must have exactly one TextArea inside <View style=\"display: none\"> "
                          f"(where the backend puts the verdict's receipt; found {len(hidden_areas)}), "
                          "and the writer's sentence must not be hidden")
    score_tags = [e for e in textareas if e is not text_tag and e not in hidden_areas]
    return GenerationTags(
        object_name=text_tag.get("toName", ""),
        intent=intents[0].get("name", ""),
        text=text_tag.get("name", ""),
        verdict=verdicts[0].get("name", ""),
        agreement=agreements[0].get("name", ""),
        verdict_score=score_tags[0].get("name") if score_tags else None,
        receipt=hidden_areas[0].get("name"),
    )
