"""Reading Label Studio labeling configs: the small helpers both config readers share."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .errors import ConfigError


def parse_label_config(xml: str, what: str = "Label config") -> ET.Element:
    """The config's root element; ConfigError when it is not XML."""
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ConfigError(f"{what} is not valid XML: {exc}") from exc


def choice_values(choices: ET.Element) -> set[str]:
    """The machine values of a Choices tag: each Choice's alias, else its value."""
    return {c.get("alias") or c.get("value") or "" for c in choices.iter("Choice")}


def all_choice_values(root: ET.Element) -> dict[int, set[str]]:
    """Every Choices tag's machine values, keyed by ``id(element)``, in one walk of the tree.

    A Choice belongs to its nearest enclosing Choices, so nested Choices cost nothing extra
    (calling :func:`choice_values` on each of N nested Choices visits N²/2 elements).
    """
    values: dict[int, set[str]] = {}
    stack: list[tuple[ET.Element, int | None]] = [(root, None)]
    while stack:
        element, owner = stack.pop()
        if element.tag == "Choices":
            owner = id(element)
            values[owner] = set()
        elif element.tag == "Choice" and owner is not None:
            values[owner].add(element.get("alias") or element.get("value") or "")
        stack.extend((child, owner) for child in element)
    return values
