"""Likely Korean personal names: a surname, a given name, and a cue that it names a person.

Precision over recall: a name is reported only when its shape and a cue are clear. The word (a
run of Hangul syllables) starts with a surname and one or two syllables common in given names,
and one of these cues says it is a person:

- a title after it ("씨", "과장", "선생님", "언니" ...), alone or with a particle ("씨가", "님이");
- a title or a label before it ("팀장 고은비", "예금주 김민수", "성명: 박서연");
- an age in parentheses after it ("김민지(25)");
- a particle for people after a three-syllable name ("최민호랑", "박소연한테", "서예린이는"):
  the weakest cue, so then the surname must be a common one and both given syllables common in
  given names, which leaves out words like "경영학과", "천문학을", "전화기가", "구구단을". A
  generic particle ("김철수가", "정지선을") is not enough: it follows any noun.

Contact data next to a name-shaped word is the personal-information aid's cue (``name_shaped``).
Never reported: the placeholders the guideline asks for ("김ㅇㅇ", "김○○ 과장", "김모씨",
"홍길동"), common words of the same shape (a stop list), and public figures
(``data/public_figures.json``), whom the guideline allows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

SURNAMES = frozenset(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 하 곽 "
    "성 차 주 우 구 민 진 나 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 석 선 설 마 길 연 위 표 명 기 "
    "반 라 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 가 복 태 목 형 피 두 감 음 빈 동 온 "
    "호 범 좌 승".split()
)
# The thirty most common surnames (about 85% of people): the only ones a particle alone can follow.
COMMON_SURNAMES = frozenset(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 전 홍 유 류 고 문 양 손 배 백 허 남".split()
)
COMPOUND_SURNAMES = frozenset("남궁 황보 제갈 선우 독고 사공 서문 동방 어금 망절".split())
# Syllables common in given names. Left out on purpose, though some names use them: syllables
# that mostly make common nouns (사 생 장 자 모 국 치 대 족 병 ...) and 이, which after a
# name is the familiar suffix ("현빈이랑") and otherwise mostly a particle ("사람이랑").
GIVEN_NAME_SYLLABLES = frozenset(
    "가 강 건 겸 경 계 곤 관 광 구 규 균 근 금 기 길 나 남 녕 늘 다 단 담 덕 도 동 두 라 란 람 래 량 려 련 "
    "렬 령 례 로 록 룡 루 류 륜 률 름 리 린 림 만 명 무 묵 문 미 민 범 별 보 복 봉 부 비 빈 빛 산 "
    "삼 상 새 샘 서 석 선 설 섭 성 세 소 솔 송 수 숙 순 숭 슬 승 시 식 신 심 아 안 애 양 언 연 열 "
    "엽 영 예 오 옥 온 완 용 우 욱 운 웅 원 월 위 윤 율 은 의 익 인 일 임 재 전 정 제 조 종 "
    "주 준 중 지 진 찬 창 채 천 철 청 초 춘 충 태 택 필 하 학 한 해 행 향 혁 현 형 혜 호 홍 화 환 "
    "황 효 후 훈 휘 희 흠".split()
)
# With a particle only (no title), both given syllables must be among the most common ones in
# their place: first ("민준", "서연") and last ("지훈", "하은").
COMMON_FIRST_SYLLABLES = frozenset(
    "가 건 경 광 규 나 다 도 동 명 문 미 민 병 보 상 서 석 선 성 세 소 수 순 승 시 아 연 영 예 오 용 우 "
    "원 유 윤 은 인 재 정 종 주 준 지 진 창 채 철 춘 태 하 한 해 현 형 혜 호 효 희".split()
)
COMMON_LAST_SYLLABLES = frozenset(
    "경 규 균 나 린 미 민 빈 서 석 선 섭 성 수 숙 순 식 아 연 열 영 예 옥 우 욱 운 웅 원 윤 율 은 "
    "재 정 주 준 지 진 찬 철 태 하 혁 현 혜 호 환 훈 희".split()
)
TITLES = (
    "선생님",
    "선생",
    "교수님",
    "교수",
    "과장님",
    "과장",
    "부장님",
    "부장",
    "대리님",
    "대리",
    "팀장님",
    "팀장",
    "사장님",
    "사장",
    "차장님",
    "차장",
    "실장님",
    "실장",
    "이사님",
    "주임님",
    "회장님",
    "원장님",
    "선배님",
    "선배",
    "후배",
    "대표님",
    "작가님",
    "기자님",
    "아저씨",
    "아줌마",
    "언니",
    "오빠",
    "누나",
    "형님",
    "씨",
    "님",
    "형",
)
FULL_NAME_TITLES = ("군", "양")  # only after three syllables: "홍성군", "진도군" are counties
TITLES_BEFORE = (
    "선생님",
    "교수님",
    "과장님",
    "부장님",
    "대리님",
    "팀장님",
    "사장님",
    "선배",
    "후배",
    "과장",
    "부장",
    "대리",
    "팀장",
    "사장",
    "차장",
    "실장",
    "주임",
    "사원",
    "담임",
    "친구",
)
LABELS_BEFORE = ("예금주", "성명", "이름", "본명", "실명", "연락처", "담당자", "작성자", "신고자")
PARTICLES = (
    "께서는",
    "께서",
    "에게서",
    "한테서",
    "에게는",
    "한테는",
    "에게",
    "한테",
    "이랑",
    "이가",
    "이는",
    "이를",
    "이도",
    "이의",
    "이한테",
    "하고",
    "랑",
    "께",
    "이",
    "가",
    "은",
    "는",
    "을",
    "를",
    "의",
    "도",
    "와",
    "과",
    "만",
    "야",
    "아",
)
PERSON_PARTICLES = frozenset(
    (
        "께서는",
        "께서",
        "에게서",
        "한테서",
        "에게는",
        "한테는",
        "에게",
        "한테",
        "랑",
        "하고",
        "께",
        "이랑",
        "이한테",
    )
)
FAMILIAR_PARTICLES = frozenset(("이가", "이는", "이를", "이도", "이의", "이랑", "이한테", "이야"))
TITLE_PARTICLES = tuple(p for p in PARTICLES if p != "하고") + (
    "네",
    "네는",
    "네가",
    "네서",
)  # "씨네 집"
# Syllables that may start a given name but rarely end one, while they often end common nouns:
# "위안부", "장학금", "복수심", "전문가", "유부남", "하향세".
NOT_LAST_SYLLABLES = frozenset("심 세 설 부 금 문 가 제 관 도 로 다 남".split())
# A name's last syllable and the particle after it that mostly make a common word instead:
# "기부하는" (a verb), "나오지만", "하루라도", "민주주의", "여기서도", "이제서야".
NOT_NAME_ENDINGS = frozenset(
    (
        ("하", "는"),
        ("하", "고"),
        ("하", "도"),
        ("하", "가"),
        ("해", "도"),
        ("해", "야"),
        ("지", "만"),
        ("라", "도"),
        ("라", "는"),
        ("주", "의"),
        ("서", "도"),
        ("서", "야"),
        ("서", "는"),
        ("인", "가"),
    )
)
PLACEHOLDER_NAMES = frozenset(("홍길동", "아무개", "김아무개", "이아무개", "모씨"))
PLACEHOLDER_GIVEN = frozenset(("모", "아무", "아무개"))
# A surname with a rank or a job is how people are named without their name ("김순경", "박병장").
RANKS = frozenset(
    "순경 경장 경사 경위 병장 상병 일병 이병 하사 중사 상사 소위 중위 대위 소령 중령 대령 원장 교장 반장 "
    "회장 사장 부장 과장 차장 대리 주임 사원 계장 실장 팀장 국장 기사 간호 약사 작가 기자 피디 감독 코치".split()
)
# Words shaped like surname + given name that are common nouns, places or groups.
STOP_WORDS = frozenset(
    """
강아지 고양이 장애인 장애우 연예인 조선인 유대인 방송인 주인공 이민자 이주민 노숙자 전라도 경상도
경기도 강원도 제주도 충청도 동남아 동성애 양성애 이성애 정신병 조현병 공무원 정규직 정직원 명문대
전문대 남자애 여자애 여직원 남직원 하나님 공주 주인 도련 임금 예수 조상 부모 이모 고모 장모 사모
선배 기자 교수 강사 한남 한녀 김치 우리 이번 이제 이런 정말 진짜 지금 지난 이미 이상 이후 이전 이유
이름 이야기 이민 이혼 이웃 고민 고향 고등 고학 주민 주변 주위 주식 주의 주인 신입 신분 신인 신혼
안경 안주 유학 유튜버 유명 유행 정치 정부 정신 정상 정도 정규 정말로 한국 한번 한참 한편 한마디
남편 남녀 남성 남자 여성 여자 문제 문화 방송 방법 성형 성별 성격 성인 성소수 소문 소리 소수 소원
전부 전문 전혀 전세 전원 조선 조금 최고 최근 최악 하루 하늘 하나 하지 현실 현재 홍보 황인 백인
흑인 오늘 오빠 오해 오랜 오른 윤리 진실 진심 진정 차별 차이 선거 선수 선진 선물 서민 서로 서울
서양 왕따 국민 국가 도시 동네 동양 동생 민족 민주 원래 원인 원숭이 구라 나라 나이 노인 노력 마음
마지막 배우 편견 공부 공정 공인 인간 인생 인종 지역 지방 지하철 천재 명품 명문 육식 채식 경력
신부 형수 제수 주임 전무 도령 왕비 신령 목소리 신천지 이미지 백만원 천만원 기부금 연예계 방호복
승무원 연애인 인지도 제정신 유명인 이정도 이상황 이상형 이후로 진정성 전성기 전세계 최소한 연관성
마무리 사이다 사이비 임산부 반성문 인류애 정보부 이정부 문정부 배려심 이해심 성관계 사재기 공정성
구충제 유명세 온라인 동영상 전문성 정상인 전부인 공익 정도인 어린애 연하남 나오기 구하기 문천지
이상한 지름길 백두산 장례식 모양새 호기심 성숙미 천재성 가성비 여성비 강철비 모성애 하수인 서양인
목아지 한가정 한시기 유일무 어리석 성충동 하기전 이슬람 감동주 피해주 사다주 나가지 나오지 나서지
연기지 여기다 길가다 안보다 안하다 안나오 사라지 공부안 안하시 추천수 오천명 장가 부인 어린 제일
성우 예비신 이해안 가지려 조아조 전기오 여호아 진정 소원 지원 서비스 구원 주정 연구원 연구
동양인 한남충 황인종 백인종 남미인 동남아인
경영학 천문학 전화기 소세지 소시지 옥수수 구구단 위아래 오로라 여신 연예 도청 성경 이태원 반지하
""".split()
)

_WORD = re.compile(r"[가-힣]+")
_SPACE_THEN_WORD = re.compile(r"\s*([가-힣]+)")
_AGE_AFTER = re.compile(r"\s?\(\s?\d{1,2}\s?(?:세|살)?\s?\)")
_BEFORE = re.compile(r"([가-힣]+)\s*[:：]?\s*$")


def _load_public_figures() -> frozenset[str]:
    text = (
        resources.files("apeach_ls")
        .joinpath("data/public_figures.json")
        .read_text(encoding="utf-8")
    )
    return frozenset(json.loads(text)["names"])


PUBLIC_FIGURES = _load_public_figures()


@dataclass(frozen=True)
class NameMatch:
    name: str
    start: int
    end: int
    reason: str  # the cue, in Korean, for the manager's hint


def find_name_matches(text: str) -> Iterator[NameMatch]:
    """Every likely personal name with the cue that gave it away."""
    for word in _WORD.finditer(text):
        following = _SPACE_THEN_WORD.match(text, word.end())
        next_word = following.group(1) if following else None
        before = _BEFORE.search(text, 0, word.start())
        found = _name_in(
            word.group(),
            next_word,
            before.group(1) if before else None,
            bool(_AGE_AFTER.match(text, word.end())),
        )
        if found:
            name, reason = found
            yield NameMatch(name, word.start(), word.start() + len(name), reason)


def name_shaped(word: str) -> str | None:
    """The name a word starts with when it is shaped like a full name (surname and a given name
    of two syllables, or a compound surname and one or two), for a cue found elsewhere (contact
    data next to it). Placeholders, common words and public figures are not names."""
    for surname_length in (2, 1):
        surname = word[:surname_length]
        if (surname not in COMPOUND_SURNAMES) if surname_length == 2 else (surname not in SURNAMES):
            continue
        for given_length in (2, 1) if surname_length == 2 else (2,):
            name = word[: surname_length + given_length]
            rest = word[len(name) :]
            if (
                len(name) == surname_length + given_length
                and _plausible(name, name[surname_length:])
                and (not rest or rest in PARTICLES or _is_title(rest, TITLES))
            ):
                return name
    return None


def _name_in(
    word: str, next_word: str | None, before: str | None, age_after: bool
) -> tuple[str, str] | None:
    """The name at the start of ``word`` and the cue (or None)."""
    if word in STOP_WORDS:
        return None
    for surname_length in (2, 1):
        surname = word[:surname_length]
        if (surname not in COMPOUND_SURNAMES) if surname_length == 2 else (surname not in SURNAMES):
            continue
        for given_length in (2, 1):
            name = word[: surname_length + given_length]
            given, rest = name[surname_length:], word[surname_length + given_length :]
            if len(given) != given_length or not _plausible(name, given):
                continue
            titles = TITLES + FULL_NAME_TITLES if given_length == 2 else TITLES
            title = _title(rest, titles) or (
                not rest and next_word is not None and _title(next_word, titles)
            )
            if title:
                return name, f"뒤에 '{title}'"
            full = given_length == 2 or surname_length == 2
            if full and not rest and before in TITLES_BEFORE + LABELS_BEFORE:
                return name, f"앞에 '{before}'"
            if full and age_after and not rest:
                return name, "뒤에 나이"
            if (
                given_length == 2
                and _person_particle(rest, name, compound=surname_length == 2)
                and (name[-1], rest) not in NOT_NAME_ENDINGS
                and (surname_length == 2 or surname in COMMON_SURNAMES)
                and given[0] in COMMON_FIRST_SYLLABLES
                and given[-1] in COMMON_LAST_SYLLABLES
            ):
                return name, f"뒤에 조사 '{rest}'"
    return None


def _person_particle(rest: str, name: str, compound: bool) -> bool:
    """A particle that says the word before it is a person: one for people ("한테", "랑", "께서"),
    or the familiar 이 that follows only a name ending in a consonant ("서예린이는"). A generic
    particle ("가", "는", "을" ...) follows any noun ("정지선을", "이재민은"), so it counts only
    after a compound surname ("남궁민수는")."""
    if rest in PERSON_PARTICLES:
        return True
    if rest in FAMILIAR_PARTICLES:
        return (ord(name[-1]) - 0xAC00) % 28 != 0
    return compound and rest in PARTICLES


def _plausible(name: str, given: str) -> bool:
    return (
        all(syllable in GIVEN_NAME_SYLLABLES for syllable in given)
        and given[-1] not in NOT_LAST_SYLLABLES
        and name not in STOP_WORDS
        and name not in PUBLIC_FIGURES
        and name not in PLACEHOLDER_NAMES
        and given not in PLACEHOLDER_GIVEN
        and given not in RANKS
    )


def _title(rest: str, titles: tuple[str, ...]) -> str | None:
    """The title ``rest`` is, alone or followed by a particle: "과장", "과장님이", "씨가", "씨네"."""
    for title in titles:
        if rest == title or (rest.startswith(title) and rest[len(title) :] in TITLE_PARTICLES):
            return title
    return None


def _is_title(rest: str, titles: tuple[str, ...]) -> bool:
    return _title(rest, titles) is not None
