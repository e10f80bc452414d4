"""Reads the roles of the tags in a generation labeling config.

The ML backend and the correction logic never hard-code tag names: they ask this module
which TextArea is the writer's sentence, which Choices hold the intent, the verdict and the
confirm/flip answer, and which TextArea shows the verdict's score. Roles are recognised by
the machine values of the choices (``hate``/``not_hate``, ``confirm``/``flip``) and by
document order (the intent comes before the sentence, the verdict after it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .errors import ConfigError
from .label_xml import all_choice_values, parse_label_config
from .labels import AGREEMENTS, LABELS

# A generation config is ~2,000 characters; the probe's 1.2 MB config was 12,000 Choices.
MAX_CONFIG_CHARS = 100_000


class ConfigTooLarge(ConfigError):
    """A labeling config longer than the limit, refused before it is parsed."""


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
    object_name="prompt",
    intent="intent",
    text="text",
    verdict="verdict",
    agreement="agreement",
    verdict_score="verdict_score",
    receipt="verdict_receipt",
)


def _hidden(style: str | None) -> bool:
    return "display:none" in (style or "").replace(" ", "").lower()


def _hidden_elements(root: ET.Element) -> set[int]:
    """ids of the elements inside a hidden View; one walk, with a stack (no recursion)."""
    hidden: set[int] = set()
    stack = [(root, False)]
    while stack:
        element, inside = stack.pop()
        if inside:
            hidden.add(id(element))
        inside = inside or (element.tag == "View" and _hidden(element.get("style")))
        stack.extend((child, inside) for child in element)
    return hidden


def parse_generation_config(xml: str, max_chars: int = MAX_CONFIG_CHARS) -> GenerationTags:
    """Find each role's tag in a labeling config; ConfigError says what is missing.

    Linear in the config's size: one pass finds every role and its document position (a
    list.index per Choices made 12,000 Choices cost 6 s). Configs over ``max_chars`` are
    refused before parsing (:class:`ConfigTooLarge`).
    """
    if len(xml) > max_chars:
        raise ConfigTooLarge(f"Label config is {len(xml)} characters; the limit is {max_chars}")
    root = parse_label_config(xml, "Label config")
    elements = list(root.iter())
    textareas = [e for e in elements if e.tag == "TextArea"]
    # only a smartonly TextArea asks the backend for a verdict by itself (docs/label-studio.md §2)
    writer_inputs = [e for e in textareas if (e.get("smartonly") or "").lower() == "true"]
    if len(writer_inputs) != 1:
        raise ConfigError(
            'Label config must have exactly one TextArea with smartonly="true" (the writer\'s '
            f"sentence, which triggers the verdict); found {len(writer_inputs)}"
        )
    text_tag = writer_inputs[0]
    label_values, agreement_values = set(LABELS), set(AGREEMENTS)
    intents: list[ET.Element] = []
    verdicts: list[ET.Element] = []
    agreements: list[ET.Element] = []
    values_of = all_choice_values(root)
    after_text = False
    for element in elements:  # document order
        if element is text_tag:
            after_text = True
        elif element.tag == "Choices":
            values = values_of[id(element)]
            if values == label_values:
                (verdicts if after_text else intents).append(element)
            elif values == agreement_values:
                agreements.append(element)
    missing = []
    if len(intents) != 1:
        missing.append("one Choices with values hate/not_hate before the TextArea (the intent)")
    if len(verdicts) != 1:
        missing.append("one Choices with values hate/not_hate after the TextArea (the verdict)")
    if len(agreements) != 1:
        missing.append("one Choices with values confirm/flip (the writer's answer)")
    if missing:
        raise ConfigError("Label config must have " + "; ".join(missing))
    hidden = _hidden_elements(root)
    hidden_areas = [area for area in textareas if id(area) in hidden]
    if len(hidden_areas) != 1 or id(text_tag) in hidden:
        raise ConfigError(
            'Label config must have exactly one TextArea inside <View style="display: none"> '
            f"(where the backend puts the verdict's receipt; found {len(hidden_areas)}), "
            "and the writer's sentence must not be hidden"
        )
    score_tags = [e for e in textareas if e is not text_tag and id(e) not in hidden]
    return GenerationTags(
        object_name=text_tag.get("toName", ""),
        intent=intents[0].get("name", ""),
        text=text_tag.get("name", ""),
        verdict=verdicts[0].get("name", ""),
        agreement=agreements[0].get("name", ""),
        verdict_score=score_tags[0].get("name") if score_tags else None,
        receipt=hidden_areas[0].get("name"),
    )
