"""Reading Label Studio annotation result lists: the one reader for writers' submissions,
managers' votes and the ML backend's requests.

A result list holds one item per control that has a value::

    [{"from_name": "text", "to_name": "prompt", "type": "textarea",
      "value": {"text": ["첫 줄", "둘째 줄"]}},
     {"from_name": "intent", "to_name": "prompt", "type": "choices",
      "value": {"choices": ["hate"]}}]

One policy, whoever reads:

* **Shapes.** Every item is an object; ``from_name``, ``to_name`` and ``type``, when
  present, are strings; ``value``, when present, is an object whose ``choices`` is a list
  of strings and whose ``text`` is a string or a list of strings. Anything else is a
  :class:`MalformedResult` that names the item (``result[1]: 'value.choices' must be a
  list of strings``); nothing is skipped or guessed.
* **One item per control.** Two items from the same control are malformed: which one
  counts would be a guess.
* **Absent is empty.** A control without an item, or an item without ``text`` or
  ``choices``, reads as None (no item), ``[]`` (no choices) or ``[]`` lines.
* **Text.** A TextArea keeps its text as a list of lines; the text is the lines joined
  by ``\\n``, a single string counts as one line, an empty list is ``""``. Nothing is
  stripped or cut here: limits on length (the ML backend's ``max_text_chars``) and what
  counts as blank belong to the caller.

Callers turn a :class:`MalformedResult` into their own answer: the ML backend into a 400,
the vote tally into a malformed vote, the submissions reader into a skipped annotation.
Pure logic, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ApeachError

NAME_KEYS = ("from_name", "to_name", "type")


class MalformedResult(ApeachError):
    """A result list or item of a shape Label Studio does not store; the message says where."""


def check_items(result: Any, where: str = "result") -> list[Mapping[str, Any]]:
    """``result`` as a list of well-shaped items (see the module's policy)."""
    if not isinstance(result, Sequence) or isinstance(result, (str, bytes)):
        raise MalformedResult(f"'{where}' must be a list of result objects")
    seen: dict[str, int] = {}
    for i, item in enumerate(result):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise MalformedResult(f"{at} must be an object")
        for key in NAME_KEYS:
            if key in item and not isinstance(item[key], str):
                raise MalformedResult(f"{at}: '{key}' must be a string")
        name = item.get("from_name")
        if name is not None:
            if name in seen:
                raise MalformedResult(
                    f"{where}: items {seen[name]} and {i} are both from {name!r}; "
                    "expected at most one per control"
                )
            seen[name] = i
        if "value" in item:
            _check_value(item["value"], at)
    return list(result)


def _check_value(value: Any, at: str) -> None:
    if not isinstance(value, Mapping):
        raise MalformedResult(f"{at}: 'value' must be an object")
    choices = value.get("choices")
    if choices is not None and not (
        isinstance(choices, list) and all(isinstance(c, str) for c in choices)
    ):
        raise MalformedResult(f"{at}: 'value.choices' must be a list of strings")
    text = value.get("text")
    if (
        text is not None
        and not isinstance(text, str)
        and not (isinstance(text, list) and all(isinstance(t, str) for t in text))
    ):
        raise MalformedResult(f"{at}: 'value.text' must be a list of strings")


def find_item(
    result: Sequence[Any], name: str | None, where: str = "result"
) -> Mapping[str, Any] | None:
    """The item of control ``name`` (None when it has none, or ``name`` is None), checked."""
    if name is None:
        return None
    for item in check_items(result, where):
        if item.get("from_name") == name:
            return item
    return None


def lines(item: Mapping[str, Any] | None) -> list[str]:
    """A checked item's text lines (``[]`` without an item or a text)."""
    text = (item or {}).get("value", {}).get("text")
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


def choices(item: Mapping[str, Any] | None) -> list[str]:
    """A checked item's choices (``[]`` without an item or choices)."""
    return list((item or {}).get("value", {}).get("choices") or [])


def text_of(result: Sequence[Any], name: str | None, where: str = "result") -> str | None:
    """The text of control ``name``: its lines joined by newlines; None without an item."""
    item = find_item(result, name, where)
    return None if item is None else "\n".join(lines(item))


def lines_of(result: Sequence[Any], name: str | None, where: str = "result") -> list[str]:
    """The text lines of control ``name`` (``[]`` without an item)."""
    return lines(find_item(result, name, where))


def choices_of(result: Sequence[Any], name: str | None, where: str = "result") -> list[str]:
    """The choices of control ``name`` (``[]`` without an item)."""
    return choices(find_item(result, name, where))
