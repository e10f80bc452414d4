"""What the aids work on (a submission's text) and what they give managers (hints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

from .copy_paste import CopyMatch
from .near_duplicates import NearDuplicate
from .personal_info import KINDS, PersonalInfoHint
from .topic_relevance import OFF_TOPIC_BELOW

FLAG_PERSONAL_INFO = "personal_info"
FLAG_NEAR_DUPLICATE = "near_duplicate"
FLAG_COPY_PASTE = "copy_paste"
FLAG_OFF_TOPIC = "off_topic"
ALL_FLAGS = frozenset((FLAG_PERSONAL_INFO, FLAG_NEAR_DUPLICATE, FLAG_COPY_PASTE, FLAG_OFF_TOPIC))

KIND_NAMES_KO = {
    "phone": "전화번호로",
    "email": "이메일 주소로",
    "resident_number": "주민등록번호로",
    "url": "웹 주소로",
    "account": "계좌번호로",
    "address": "주소로",
    "handle": "계정 아이디로",
    "name": "사람 이름으로",
}
MAX_WORDS_SHOWN = 4
# whether a near-duplicate's earlier submission is by the same writer (nothing said when unknown)
WRITER_NAMES_KO: dict[bool | None, str] = {True: "같은 작성자", False: "다른 작성자"}
HIGH_RELEVANCE = 0.5
SNIPPET_CHARS = 40


@dataclass(frozen=True)
class SubmissionText:
    id: int
    text: str
    prompt_key: str
    writer_id: int | None = None


@dataclass(frozen=True)
class Aids:
    """Automatic hints for one submission. Managers decide; these only point at what to check."""

    submission_id: int
    personal_info: tuple[PersonalInfoHint, ...]
    near_duplicate: NearDuplicate | None  # an earlier submission of the campaign
    copy_match: CopyMatch | None  # a line of a reference corpus
    topic_relevance: float  # in [0, 1], relative to the other topics
    off_topic_below: float = OFF_TOPIC_BELOW
    topic_words: tuple[str, ...] = ()  # words of the prompt's topic found in the sentence
    rival_topic: str | None = None  # the other topic (Korean name) whose words weigh most, if any
    rival_words: tuple[str, ...] = ()  # its words found in the sentence
    off_topic_without_words: bool = (
        False  # flag a sentence without a word of any topic (else: undecided)
    )

    def topic_undecided(self) -> bool:
        """No word of any topic (nor of chatter) in the sentence: nothing to judge its topic by."""
        return not self.topic_words and not self.rival_words

    def flags(self) -> frozenset[str]:
        """Short machine names of what deserves a look (a subset of ``ALL_FLAGS``)."""
        flags = set()
        if self.personal_info:
            flags.add(FLAG_PERSONAL_INFO)
        if self.near_duplicate is not None:
            flags.add(FLAG_NEAR_DUPLICATE)
        if self.copy_match is not None:
            flags.add(FLAG_COPY_PASTE)
        if self.topic_relevance < self.off_topic_below and (
            self.off_topic_without_words or not self.topic_undecided()
        ):
            flags.add(FLAG_OFF_TOPIC)
        return frozenset(flags)

    def summary_ko(self) -> str:
        """One line of Korean hints for the manager's vote task."""
        parts = []
        for kind in KINDS:
            spans = [
                f"{hint.text} ({hint.reason})" if hint.reason else hint.text
                for hint in self.personal_info
                if hint.kind == kind
            ]
            if spans:
                parts.append(
                    f"⚠ {KIND_NAMES_KO[kind]} 보이는 부분: {', '.join(dict.fromkeys(spans))}"
                )
        duplicate = self.near_duplicate
        if duplicate is not None:
            writer = WRITER_NAMES_KO.get(duplicate.same_writer)
            who = f", {writer}" if writer else ""
            how = f", {duplicate.difference}" if duplicate.difference else ""
            if duplicate.similarity >= 1.0:
                parts.append(
                    f"같은 문장이 이미 있음 (#{duplicate.earlier_id}{who}{how}): "
                    f"{_snippet(duplicate.earlier_text)}"
                )
            else:
                parts.append(
                    f"비슷한 문장이 이미 있음 (#{duplicate.earlier_id}{who}, 유사도 {duplicate.similarity:.2f}{how}): "
                    f"{_snippet(duplicate.earlier_text)}"
                )
        copy = self.copy_match
        if copy is not None:
            what = (
                "참고 말뭉치와 거의 같음"
                if copy.jaccard >= 0.8
                else "참고 말뭉치 문장에 거의 그대로 들어 있음"
            )
            parts.append(
                f"{what} ({PurePath(copy.path).name}:{copy.line_number}, 일치 {copy.similarity:.2f}): "
                f"{_snippet(copy.reference_text)}"
            )
        parts.append(self._topic_ko())
        return " / ".join(parts)

    def _topic_ko(self) -> str:
        """The relevance and why: the topic's words found, and the other topic's words if they weigh."""
        if self.topic_undecided():
            level = (
                "낮음"
                if self.off_topic_without_words and self.topic_relevance < self.off_topic_below
                else "모름"
            )
            return f"주제 관련도 {self.topic_relevance:.2f} ({level}: 어느 주제의 단어도 없음)"
        low = self.topic_relevance < self.off_topic_below
        level = "낮음" if low else "높음" if self.topic_relevance >= HIGH_RELEVANCE else "보통"
        why = [f"주제 단어 {_words(self.topic_words)}" if self.topic_words else "주제 단어 없음"]
        if self.rival_topic and self.rival_words and (low or not self.topic_words):
            why.append(f"'{self.rival_topic}' 쪽 단어 {_words(self.rival_words)}")
        return f"주제 관련도 {self.topic_relevance:.2f} ({level}: {'; '.join(why)})"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (e.g. for a Label Studio task's data)."""
        data = asdict(self)
        data["flags"] = sorted(self.flags())
        data["summary_ko"] = self.summary_ko()
        return data


def _words(words: tuple[str, ...]) -> str:
    shown = ", ".join(f"'{w}'" for w in words[:MAX_WORDS_SHOWN])
    return shown + (" …" if len(words) > MAX_WORDS_SHOWN else "")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
