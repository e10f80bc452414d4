"""Hints of personal information in a sentence: phone numbers, e-mail addresses, resident
registration numbers, URLs, account handles and likely personal names.

A hint is never a decision: managers decide whether a sentence names a specific private
person. Placeholders the guideline asks for ("ooo", "xxx", "○○", "ㅇㅇ", "아무개", "모씨",
"김ㅇㅇ", "010-XXXX-XXXX") are never reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from .korean_names import find_names

PHONE = "phone"
EMAIL = "email"
RESIDENT_NUMBER = "resident_number"
URL = "url"
HANDLE = "handle"
NAME = "name"
KINDS = (EMAIL, URL, RESIDENT_NUMBER, PHONE, HANDLE, NAME)  # on overlap, the earlier kind wins

_SEP = r"[-.\s]?"
_AREA = r"(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|80|50\d)"  # mobile, area, VoIP, safe numbers
_PHONE = re.compile(
    rf"(?<![\d+])(?:\+82{_SEP}(?:\(0\))?0?|\(?0)(?P<area>{_AREA})\)?{_SEP}(?P<mid>\d{{3,4}}){_SEP}(?P<last>\d{{4}})(?!\d)")
_RESIDENT = re.compile(r"(?<!\d)(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})\s?-?\s?(?P<sex>[1-8])(?:\d{6}|[*xX●]{6})(?!\d)")
_EMAIL = re.compile(r"(?<![\w.%+-])(?P<local>[A-Za-z0-9._%+-]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL_TAIL = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*"
_TLDS = r"(?:com|net|org|kr|io|me|tv|co|info|biz|xyz|app|dev|ly|gl|be|jp|us|site|shop|blog|link)"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_TAIL}"
    rf"|(?<![\w@.])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+{_TLDS}(?![A-Za-z0-9])(?:/{_URL_TAIL})?",
    re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@./])@(?P<body>[A-Za-z0-9_가-힣](?:[A-Za-z0-9_.가-힣]{0,29}[A-Za-z0-9_가-힣])?)")
_PLACEHOLDER = re.compile(r"[oOxX0○ㅇ*]+|아무개|모씨|익명")
_TRAILING = ".,!?;:)]}'\""


@dataclass(frozen=True)
class PersonalInfoHint:
    kind: str  # one of KINDS
    text: str  # the matched span
    start: int
    end: int


def find_personal_info(text: str) -> list[PersonalInfoHint]:
    """Every hint in ``text``, by position, without overlaps."""
    found = [hint for finder in _FINDERS for hint in finder(text)]
    found.sort(key=lambda h: (h.start, -(h.end - h.start), KINDS.index(h.kind)))
    kept: list[PersonalInfoHint] = []
    for hint in found:
        if not kept or hint.start >= kept[-1].end:
            kept.append(hint)
    return kept


def _hint(kind: str, text: str, start: int, end: int) -> PersonalInfoHint:
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return PersonalInfoHint(kind, text[start:end], start, end)


def _phones(text: str) -> Iterator[PersonalInfoHint]:
    for match in _PHONE.finditer(text):
        if set(match["mid"] + match["last"]) != {"0"}:  # 010-0000-0000 is a placeholder
            yield PersonalInfoHint(PHONE, match.group(), match.start(), match.end())


def _resident_numbers(text: str) -> Iterator[PersonalInfoHint]:
    for match in _RESIDENT.finditer(text):
        century = 1900 if match["sex"] in "1256" else 2000
        try:
            born = date(century + int(match["yy"]), int(match["mm"]), int(match["dd"]))
        except ValueError:
            continue
        if born <= date.today():
            yield PersonalInfoHint(RESIDENT_NUMBER, match.group(), match.start(), match.end())


def _emails(text: str) -> Iterator[PersonalInfoHint]:
    for match in _EMAIL.finditer(text):
        if not _PLACEHOLDER.fullmatch(match["local"]):
            yield _hint(EMAIL, text, match.start(), match.end())


def _urls(text: str) -> Iterator[PersonalInfoHint]:
    for match in _URL.finditer(text):
        hint = _hint(URL, text, match.start(), match.end())
        if hint.text.lower() not in ("www.", "http://", "https://"):
            yield hint


def _handles(text: str) -> Iterator[PersonalInfoHint]:
    for match in _HANDLE.finditer(text):
        if not _PLACEHOLDER.fullmatch(match["body"]):
            yield _hint(HANDLE, text, match.start(), match.end())


def _names(text: str) -> Iterator[PersonalInfoHint]:
    for name, start, end in find_names(text):
        yield PersonalInfoHint(NAME, name, start, end)


_FINDERS = (_emails, _urls, _resident_numbers, _phones, _handles, _names)
