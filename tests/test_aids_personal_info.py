"""Personal-information hints: a table of what must be found and what must not."""

from __future__ import annotations

import pytest

from apeach_ls.aids.personal_info import (EMAIL, HANDLE, NAME, PHONE, RESIDENT_NUMBER, URL, PersonalInfoHint,
                                          find_personal_info)

FOUND = [
    # phones
    ("연락처 010-1234-5678 로 연락해", PHONE, "010-1234-5678"),
    ("01012345678로 문자 보내", PHONE, "01012345678"),
    ("번호는 010 1234 5678 이야", PHONE, "010 1234 5678"),
    ("010.9876.5432", PHONE, "010.9876.5432"),
    ("011-123-4567 옛날 번호", PHONE, "011-123-4567"),
    ("사무실 02-123-4567", PHONE, "02-123-4567"),
    ("사무실 (02)1234-5678", PHONE, "(02)1234-5678"),
    ("031-987-6543 으로 전화", PHONE, "031-987-6543"),
    ("부산 051-234-5678", PHONE, "051-234-5678"),
    ("인터넷전화 070-1234-5678", PHONE, "070-1234-5678"),
    ("해외에서는 +82 10-1234-5678", PHONE, "+82 10-1234-5678"),
    ("+82-10-1234-5678", PHONE, "+82-10-1234-5678"),
    ("+821012345678", PHONE, "+821012345678"),
    ("연락처는010-2222-3333입니다", PHONE, "010-2222-3333"),
    # e-mail
    ("메일 kim.cs@naver.com 으로", EMAIL, "kim.cs@naver.com"),
    ("hong_gd123@gmail.com에 보냈다", EMAIL, "hong_gd123@gmail.com"),
    ("문의: user+tag@company.co.kr.", EMAIL, "user+tag@company.co.kr"),
    # resident registration numbers
    ("주민번호 900101-1234567 유출", RESIDENT_NUMBER, "900101-1234567"),
    ("9001012234567 이거 누구꺼냐", RESIDENT_NUMBER, "9001012234567"),
    ("021231-3123456", RESIDENT_NUMBER, "021231-3123456"),
    ("외국인 850315-5123456", RESIDENT_NUMBER, "850315-5123456"),
    ("앞자리 770707-2******", RESIDENT_NUMBER, "770707-2******"),
    # URLs
    ("여기 봐 https://news.naver.com/article/123?id=4 진짜", URL, "https://news.naver.com/article/123?id=4"),
    ("http://example.com.", URL, "http://example.com"),
    ("www.daum.net 에서 봤음", URL, "www.daum.net"),
    ("naver.com/abc 에 올라옴", URL, "naver.com/abc"),
    ("blog.naver.com/someone123에서 퍼옴", URL, "blog.naver.com/someone123"),
    ("youtu.be/dQw4w9WgXcQ 봐라", URL, "youtu.be/dQw4w9WgXcQ"),
    # handles
    ("@kim_chulsoo 이 사람 진짜 별로", HANDLE, "@kim_chulsoo"),
    ("인스타 @hong.gd 팔로우", HANDLE, "@hong.gd"),
    ("@홍길순 너 말이야", HANDLE, "@홍길순"),
    # names: a surname, a given name, then a title or a particle
    ("김철수씨는 여자라서 운전을 못해", NAME, "김철수"),
    ("김철수 씨가 그랬대", NAME, "김철수"),
    ("우리 팀 박영희 과장은 일을 못한다", NAME, "박영희"),
    ("이민준 선생님이 그러셨다", NAME, "이민준"),
    ("최지우한테 물어봐", NAME, "최지우"),
    ("정수빈이 뚱뚱하다고?", NAME, "정수빈"),
    ("강민호를 봐라", NAME, "강민호"),
    ("윤서연에게 말했다", NAME, "윤서연"),
    ("장현우도 그렇게 생각해", NAME, "장현우"),
    ("임하늘 대리님이", NAME, "임하늘"),
    ("한지민 교수는 지방대 출신", NAME, "한지민"),
    ("오세훈님 안녕하세요", NAME, "오세훈"),
    ("서지혜랑 같이 갔어", NAME, "서지혜"),
    ("남궁민수는 외국인이다", NAME, "남궁민수"),
    ("황보혜정 씨", NAME, "황보혜정"),
    ("김구 선생님", NAME, "김구"),
    ("신동엽은 웃기다", NAME, "신동엽"),
    ("박민지양 축하해", NAME, "박민지"),
]

NOT_FOUND = [
    # the placeholders the guideline asks for
    "ooo씨는 여자라서 운전을 못해", "OOO 과장은 별로", "xxx님이 그랬다", "XXX는 지방대 나왔다",
    "김ㅇㅇ 씨는 뚱뚱하다", "김○○ 과장은 나이가 많다", "이○○이 그랬어", "박OO 대리", "최xx씨", "정00님",
    "ㅇㅇ이는 채식주의자야", "ㅇㅇㅇ 선생님", "아무개가 그랬다", "김모씨가 말했다", "모씨는 외국인", "홍길동씨가 예시야",
    "김아무개 씨", "@ooo 계정", "@xxx", "xxx@naver.com", "010-XXXX-XXXX 로 연락", "010-ㅇㅇㅇㅇ-ㅇㅇㅇㅇ", "010-0000-0000",
    # common words that start with a surname syllable and take a particle
    "이사람은 진짜 이상해", "정말로 그렇게 생각해", "강아지가 귀엽다", "한국인은 다 그래", "장애인이 왜 밖에 나와",
    "전라도는 믿으면 안 돼", "경상도 사람은 무뚝뚝해", "경기도는 넓다", "제주도는 멀다", "강원도가 고향",
    "이민자가 늘었다", "이주민은 세금을 안 낸다", "유대인은 돈이 많다", "조선인이라는 말", "연예인이 뭐라고",
    "노숙자는 게으르다", "동남아는 덥다", "동성애는 병이다", "정신병이 있나", "조현병은 위험하다", "공무원이 최고",
    "정규직은 편하다", "정직원이 되고 싶다", "명문대를 나와야", "전문대는 무시당한다", "남자애가 울면 안 돼",
    "여자애는 얌전해야", "여직원이 커피를", "하나님이 보고 계신다", "주인공이 불쌍하다", "방송인이 왜 그래",
    "고양이가 좋아", "이상한 사람이다", "우리는 한국 사람이다", "이번에는 다르다", "이제는 늦었다", "지금은 괜찮아",
    "정치인은 다 똑같다", "서울대 나온 사람", "지방대 출신은 안 뽑는다", "나이가 많으면 꼰대", "신입이 뭘 알아",
    "사장님이 화났다", "부장님이 싫어", "선생님이 그러셨다", "교수님이 말씀하셨다", "기사님 감사합니다", "부모님이 반대했다",
    "이모님이 오셨다", "고모님 댁에", "사모님이 나오셨다", "손님이 왕이다", "고객님 죄송합니다", "주인님 명령",
    "선배님이 사주셨다", "박사님이 연구했다", "목사님 설교", "신부님 강론", "공주님 같다", "조상님 덕분에",
    "기부하는 배우", "노래하는 가수", "하루라도 빨리", "민주주의 국가", "여기서도 그러네", "나오지만 재미없다",
    "목소리가 좋다", "이미지가 안 좋아", "백만원이 적은 돈이냐", "유행인가 봐", "장학금을 받았다", "위안부 문제",
    "홍성군에 산다", "진도군 특산물", "하동군은 녹차", "사연을 과장하고 있다", "어린 후배가 대들었다",
    "마음씨가 곱다", "솜씨가 좋다", "날씨가 좋다", "김씨는 어디 갔어", "이씨 성을 가진 사람",
    "정부가 무능하다", "정치인이 문제다", "강남은 비싸다", "장점이 많다", "전세가 올랐다", "최선을 다했다",
    "유치원 선생님", "김치가 맛있다", "이혼녀는 안 된다", "노처녀가 되었다", "고아원 출신", "신혼부부는 좋겠다",
    "조선족이 많다", "우리나라는 좋다", "이상형은 키 큰 사람", "고등학생이 담배를", "전업주부가 편하다",
    "노인정에 가라", "임신한 여자는", "공정한 사회", "성소수자는", "동양인은 다 똑같이 생겼다", "백인우월주의",
    "한남충은", "김여사는 운전을 못해", "된장녀는", "홍어는", "경상도 사투리", "장애인 주차구역", "정신과 다니는",
    "치매 노인", "간호사는", "임대아파트 사는", "반지하에", "시골 출신", "제주 사람은", "남자친구가",
    "부장한테 혼났다", "주인한테", "손님한테", "고기 먹는 사람", "채소만 먹는", "비건은", "육식은", "편식하는",
    "다이어트는", "한식이 최고", "양식이 좋다", "주식으로", "간식은",
    # numbers that are not phone or resident numbers
    "2020-2021 시즌", "1234-5678", "가격은 15,000원", "991332-1234567 틀린 날짜", "900101-9234567 뒷자리 첫 숫자",
    "주문번호 202301011234567", "3.14159", "비율 1:2:3",
    # not URLs, not handles
    "e.g. 예를 들면", "3.5점", "ㅋㅋ.ㅋㅋ", "a@b", "이메일@주소", "그 사람@@",
]


@pytest.mark.parametrize("text, kind, span", FOUND)
def test_found(text, kind, span):
    hints = find_personal_info(text)
    assert [(h.kind, h.text) for h in hints if h.kind == kind] == [(kind, span)], hints
    hint = next(h for h in hints if h.kind == kind)
    assert text[hint.start:hint.end] == span


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found(text):
    assert find_personal_info(text) == []


def test_several_kinds_in_one_sentence_come_in_order_without_overlap():
    text = "김철수 과장 010-1234-5678, kim@naver.com, www.naver.com/kim"
    hints = find_personal_info(text)
    assert [(h.kind, h.text) for h in hints] == [
        (NAME, "김철수"), (PHONE, "010-1234-5678"), (EMAIL, "kim@naver.com"), (URL, "www.naver.com/kim")]
    assert all(a.end <= b.start for a, b in zip(hints, hints[1:]))


def test_a_hint_is_a_plain_value():
    assert find_personal_info("010-1234-5678") == [PersonalInfoHint(PHONE, "010-1234-5678", 0, 13)]


def test_real_comments(beep_dir):
    """BEEP! comments (about celebrities) name many people and link news; the hints stay few
    and the URLs found are whole URLs."""
    lines = (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()[:3000]
    hints = [h for line in lines for h in find_personal_info(line)]
    with_names = sum(1 for line in lines if any(h.kind == NAME for h in find_personal_info(line)))
    assert with_names / len(lines) < 0.2
    urls = [h.text for h in hints if h.kind == URL]
    assert urls and all(u.startswith(("http://", "https://", "www.")) for u in urls)
    assert not [h for h in hints if h.kind in (PHONE, RESIDENT_NUMBER)]
