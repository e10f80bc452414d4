"""Likely Korean personal names: a surname, a given name, then a title or a particle.

Precision over recall: a name is reported only when its shape is clear. The word (a run of
Hangul syllables) must start with a common surname, the given name must be one or two
syllables that are common in given names, and it must be followed by a title ("씨", "과장",
"선생님" ...) or a particle ("가", "는", "한테" ...). Two-syllable names ("김구") need a
title. Common words of the same shape ("강아지가", "장애인이", "전라도는") are in a stop
list. Placeholders ("김ㅇㅇ", "김○○ 과장", "김모씨", "홍길동") are never names.
"""

from __future__ import annotations

import re
from typing import Iterator

SURNAMES = frozenset(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 하 곽 "
    "성 차 주 우 구 민 진 나 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 석 선 설 마 길 연 위 표 명 기 "
    "반 라 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 가 복 태 목 형 피 두 감 음 빈 동 온 "
    "호 범 좌 승".split())
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
    "황 효 후 훈 휘 희 흠".split())
TITLES = ("선생님", "선생", "교수님", "교수", "과장님", "과장", "부장님", "부장", "대리님", "대리",
          "팀장님", "팀장", "사장님", "사장", "차장님", "차장", "실장님", "실장", "이사님", "주임님",
          "회장님", "원장님", "선배님", "선배", "대표님", "작가님", "기자님", "씨", "님")
FULL_NAME_TITLES = ("군", "양")  # only after three syllables: "홍성군", "진도군" are counties
PARTICLES = ("께서는", "께서", "에게서", "한테서", "에게는", "한테는", "에게", "한테", "이랑", "이가", "이는",
             "이를", "이도", "이의", "이한테", "하고", "랑", "께", "이", "가", "은", "는", "을", "를", "의",
             "도", "와", "과", "만", "야", "아")
TITLE_PARTICLES = tuple(p for p in PARTICLES if p != "하고")  # "과장하고" is "to exaggerate"
# Syllables that may start a given name but rarely end one, while they often end common nouns:
# "위안부", "장학금", "복수심", "전문가", "유부남", "하향세".
NOT_LAST_SYLLABLES = frozenset("심 세 설 부 금 문 가 제 관 도 로 다 남".split())
# A name's last syllable and the particle after it that mostly make a common word instead:
# "기부하는" (a verb), "나오지만", "하루라도", "민주주의", "여기서도", "이제서야".
NOT_NAME_ENDINGS = frozenset((("하", "는"), ("하", "고"), ("하", "도"), ("하", "가"), ("해", "도"), ("해", "야"),
                              ("지", "만"), ("라", "도"), ("라", "는"), ("주", "의"), ("서", "도"), ("서", "야"),
                              ("서", "는"), ("인", "가")))
PLACEHOLDER_NAMES = frozenset(("홍길동", "아무개", "김아무개", "이아무개", "모씨"))
PLACEHOLDER_GIVEN = frozenset(("모", "아무", "아무개"))
# Words shaped like surname + given name that are common nouns, places or groups.
STOP_WORDS = frozenset("""
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
""".split())

_WORD = re.compile(r"[가-힣]+")
_SPACE_THEN_WORD = re.compile(r"\s*([가-힣]+)")


def find_names(text: str) -> Iterator[tuple[str, int, int]]:
    """(name, start, end) of every likely personal name; the span covers the name only."""
    for word in _WORD.finditer(text):
        following = _SPACE_THEN_WORD.match(text, word.end())
        next_word = following.group(1) if following else None
        found = _name_in(word.group(), next_word)
        if found:
            yield found, word.start(), word.start() + len(found)


def _name_in(word: str, next_word: str | None) -> str | None:
    """The name at the start of ``word`` (or None), given the word after it if any."""
    if word in STOP_WORDS:
        return None
    for surname_length in (2, 1):
        surname = word[:surname_length]
        if (surname not in COMPOUND_SURNAMES) if surname_length == 2 else (surname not in SURNAMES):
            continue
        for given_length in (2, 1):
            name = word[:surname_length + given_length]
            given, rest = name[surname_length:], word[surname_length + given_length:]
            if len(given) != given_length or not _plausible(name, given):
                continue
            titles = TITLES + FULL_NAME_TITLES if given_length == 2 else TITLES
            titled = _is_title(rest, titles) or (not rest and next_word is not None and _is_title(next_word, titles))
            if titled or (given_length == 2 and rest in PARTICLES and (name[-1], rest) not in NOT_NAME_ENDINGS):
                return name
    return None


def _plausible(name: str, given: str) -> bool:
    return (all(syllable in GIVEN_NAME_SYLLABLES for syllable in given) and given[-1] not in NOT_LAST_SYLLABLES
            and name not in STOP_WORDS
            and name not in PLACEHOLDER_NAMES and given not in PLACEHOLDER_GIVEN)


def _is_title(rest: str, titles: tuple[str, ...]) -> bool:
    """A title, alone or followed by a particle: "과장", "과장님이", "씨가"."""
    return any(rest == title or (rest.startswith(title) and rest[len(title):] in TITLE_PARTICLES) for title in titles)

