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
