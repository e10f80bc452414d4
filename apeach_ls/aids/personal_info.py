"""Hints of personal information in a sentence: phone numbers, e-mail addresses, resident
registration numbers, URLs, bank account numbers, street addresses, account handles and likely
personal names.

A hint is never a decision: managers decide whether a sentence names a specific private
person. Placeholders the guideline asks for ("ooo", "xxx", "○○", "ㅇㅇ", "아무개", "모씨",
"김ㅇㅇ", "010-XXXX-XXXX", "OO아파트 OOO동") are never reported, nor public figures. Each hint
carries its reason (the cue that made it one), shown to managers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from .korean_names import find_name_matches, name_shaped

PHONE = "phone"
EMAIL = "email"
RESIDENT_NUMBER = "resident_number"
URL = "url"
HANDLE = "handle"
ACCOUNT = "account"
ADDRESS = "address"
NAME = "name"
KINDS = (
    EMAIL,
    URL,
    RESIDENT_NUMBER,
    PHONE,
    ACCOUNT,
    ADDRESS,
    HANDLE,
    NAME,
)  # on overlap, the earlier kind wins
CONTACT_KINDS = (
    EMAIL,
    RESIDENT_NUMBER,
    PHONE,
    ACCOUNT,
    ADDRESS,
)  # a name-shaped word next to one is a name

_SEP = r"[-.\s]?"
_AREA = (
    r"(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|80|50\d)"  # mobile, area, VoIP, safe numbers
)
_PHONE = re.compile(
    rf"(?<![\d+])(?:\+82{_SEP}(?:\(0\))?0?|(?P<paren>\()?0)(?P<area>{_AREA})(?(paren)\)){_SEP}"
    rf"(?P<mid>\d{{3,4}}){_SEP}(?P<last>\d{{4}})(?!\d)"
)
_RESIDENT = re.compile(
    r"(?<!\d)(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})\s?-?\s?(?P<sex>[1-8])(?:\d{6}|[*xX●]{6})(?!\d)"
)
_EMAIL = re.compile(
    r"(?<![\w.%+-])(?P<local>[A-Za-z0-9._%+-]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_URL_TAIL = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*"
_TLDS = r"(?:com|net|org|kr|io|me|tv|co|info|biz|xyz|app|dev|ly|gl|be|jp|us|site|shop|blog|link)"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_TAIL}"
    rf"|(?<![\w@.])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+{_TLDS}(?![A-Za-z0-9])(?:/{_URL_TAIL})?",
    re.IGNORECASE,
)
_HANDLE = re.compile(
    r"(?<![\w@./])@(?P<body>[A-Za-z0-9_가-힣](?:[A-Za-z0-9_.가-힣]{0,29}[A-Za-z0-9_가-힣])?)"
)
_PLACEHOLDER = re.compile(r"[oOxX0○ㅇ*]+|아무개|모씨|익명")
# A bank account: a bank (or "계좌", "입금" ...) shortly before 10-14 digits in 2-4 groups.
_BANKS = (
    r"(?:[가-힣]*은행|국민|신한|우리|하나|농협|기업|카카오\s?뱅크|카뱅|토스\s?뱅크|토스|케이\s?뱅크|새마을(?:금고)?|"
    r"우체국|신협|수협|씨티|SC제일|계좌(?:번호)?|입금|송금|이체|예금주)"
)
_ACCOUNT = re.compile(
    rf"(?P<bank>{_BANKS})[^\d\n]{{0,12}}?(?<![\d-])"
    r"(?P<number>\d{2,6}(?:[- ]\d{2,7}){1,3}|\d{10,14})(?![\d-])"
)
# A street address: province or city, district, then a road and a building number, or a
# neighbourhood and a lot number; or an apartment's building and unit ("103동 1201호").
_PROVINCE = (
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주|충청북|충청남|"
    r"전라북|전라남|경상북|경상남)(?:특별시|광역시|특별자치시|특별자치도|도|시)?"
)
_DISTRICT = r"[가-힣]{1,5}(?:시|군|구)"
_ADDRESS = re.compile(
    rf"(?:{_PROVINCE}\s+)?(?:{_DISTRICT}\s+){{1,2}}"
    r"(?:[가-힣0-9]{1,10}(?:로|길)\s*(?:\d{1,4}(?:번길|가길|번가길|길)\s*)?\d{1,5}(?:-\d{1,4})?"
    r"|[가-힣0-9]{1,6}(?:동|읍|면|리|가)\s*\d{1,5}(?:-\d{1,4})?(?:\s*번지)?)(?![\d-])"
    r"|(?:[가-힣A-Za-z0-9]{0,12}(?:아파트|빌라|맨션|오피스텔|빌딩|타워|하이츠|캐슬)\s*)?"
    r"(?<![\d-])\d{1,4}\s*동\s*\d{1,4}\s*호(?![가-힣])"
)
_TRAILING = ".,!?;:)]}'\""


@dataclass(frozen=True)
class PersonalInfoHint:
    kind: str  # one of KINDS
    text: str  # the matched span
    start: int
    end: int
    reason: str = ""  # why it is a hint, in Korean (e.g. "뒤에 '씨'", "앞에 '신한'"); empty when the shape says it


def find_personal_info(text: str) -> list[PersonalInfoHint]:
    """Every hint in ``text``, by position, without overlaps."""
    found = [hint for finder in _FINDERS for hint in finder(text)]
    found += _names_next_to_contacts(text, found)
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


def _accounts(text: str) -> Iterator[PersonalInfoHint]:
    for match in _ACCOUNT.finditer(text):
        digits = re.sub(r"\D", "", match["number"])
        if 10 <= len(digits) <= 14 and len(set(digits)) > 1:
            yield PersonalInfoHint(
                ACCOUNT,
                match["number"],
                match.start("number"),
                match.end("number"),
                f"앞에 '{match['bank']}'",
            )


def _addresses(text: str) -> Iterator[PersonalInfoHint]:
    for match in _ADDRESS.finditer(text):
        yield _hint(ADDRESS, text, match.start(), match.end())


def _names_next_to_contacts(text: str, found: list[PersonalInfoHint]) -> list[PersonalInfoHint]:
    """A name-shaped word right before or after contact data ("김철수 010-1234-5678")."""
    names = []
    for hint in found:
        if hint.kind not in CONTACT_KINDS:
            continue
        before = re.search(r"([가-힣]+)[\s(:,]*$", text[max(0, hint.start - 12) : hint.start])
        after = re.match(
            r"[\s),:]*(?:예금주|이름|성명)?[\s:]*([가-힣]+)", text[hint.end : hint.end + 16]
        )
        sides = (
            ((before, max(0, hint.start - 12)), (after, hint.end))
            if hint.kind != ADDRESS
            else ((before, max(0, hint.start - 12)),)
        )  # "... 1234-5 반지하" is where, not who
        for match, offset in sides:
            name = name_shaped(match.group(1)) if match else None
            if match and name:
                start = offset + match.start(1)
                names.append(
                    PersonalInfoHint(
                        NAME, name, start, start + len(name), f"{KIND_WORDS[hint.kind]} 옆"
                    )
                )
    return names


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
    for match in find_name_matches(text):
        yield PersonalInfoHint(NAME, match.name, match.start, match.end, match.reason)


KIND_WORDS = {
    EMAIL: "이메일",
    RESIDENT_NUMBER: "주민등록번호",
    PHONE: "전화번호",
    ACCOUNT: "계좌번호",
    ADDRESS: "주소",
}
_FINDERS = (_emails, _urls, _resident_numbers, _phones, _accounts, _addresses, _handles, _names)
