"""Personal-information hints: a table of what must be found and what must not."""

from __future__ import annotations

import pytest

from apeach_ls.aids.korean_names import PUBLIC_FIGURES
from apeach_ls.aids.personal_info import (
    ACCOUNT,
    ADDRESS,
    EMAIL,
    HANDLE,
    NAME,
    PHONE,
    RESIDENT_NUMBER,
    URL,
    PersonalInfoHint,
    find_personal_info,
)

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
    (
        "여기 봐 https://news.naver.com/article/123?id=4 진짜",
        URL,
        "https://news.naver.com/article/123?id=4",
    ),
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
    ("윤서연에게 말했다", NAME, "윤서연"),
    ("임하늘 대리님이", NAME, "임하늘"),
    ("한지민 교수는 지방대 출신", NAME, "한지민"),
    ("서지혜랑 같이 갔어", NAME, "서지혜"),
    ("박소연한테 뚱뚱하다고 하지마", NAME, "박소연"),
    ("서예린이는 채식한다고 유난", NAME, "서예린"),  # the familiar 이 follows only names
    ("남궁민수는 외국인이다", NAME, "남궁민수"),
    ("황보혜정 씨", NAME, "황보혜정"),
    ("박민지양 축하해", NAME, "박민지"),
    # kinship and other titles after the name, a title or a label before it, an age after it
    ("조현우 형은 키가 작아서", NAME, "조현우"),
    ("최은지 누나가 비건이라", NAME, "최은지"),
    ("옆집 한영수 아저씨는", NAME, "한영수"),
    ("송미경 씨네 집 반지하래", NAME, "송미경"),
    ("우리 팀장 고은비 진짜 나이 많은 척함", NAME, "고은비"),
    ("성명: 박서연", NAME, "박서연"),
    ("이름 김도윤 나이 23", NAME, "김도윤"),
    ("김민지(25) 씨는", NAME, "김민지"),
    # bank accounts: a bank or "계좌" shortly before the digits
    ("국민은행 123456-01-234567 로 입금해라", ACCOUNT, "123456-01-234567"),
    ("카카오뱅크 3333-01-2345678 로 보내", ACCOUNT, "3333-01-2345678"),
    ("계좌번호 1002-345-678901", ACCOUNT, "1002-345-678901"),
    ("농협 3020123456781 입금", ACCOUNT, "3020123456781"),
    # street addresses: a road and a building number, or a neighbourhood and a lot number; a flat
    ("서울시 강남구 테헤란로 123 사는 애", ADDRESS, "서울시 강남구 테헤란로 123"),
    ("경기도 수원시 팔달구 인계로45번길 12", ADDRESS, "경기도 수원시 팔달구 인계로45번길 12"),
    ("부산 해운대구 우동 1408-2 가면 있음", ADDRESS, "부산 해운대구 우동 1408-2"),
    ("대구 수성구 범어동 123번지", ADDRESS, "대구 수성구 범어동 123번지"),
    ("행복아파트 103동 1201호 사는 애", ADDRESS, "행복아파트 103동 1201호"),
]

NOT_FOUND = [
    # the placeholders the guideline asks for
    "ooo씨는 여자라서 운전을 못해",
    "OOO 과장은 별로",
    "xxx님이 그랬다",
    "XXX는 지방대 나왔다",
    "김ㅇㅇ 씨는 뚱뚱하다",
    "김○○ 과장은 나이가 많다",
    "이○○이 그랬어",
    "박OO 대리",
    "최xx씨",
    "정00님",
    "ㅇㅇ이는 채식주의자야",
    "ㅇㅇㅇ 선생님",
    "아무개가 그랬다",
    "김모씨가 말했다",
    "모씨는 외국인",
    "홍길동씨가 예시야",
    "김아무개 씨",
    "@ooo 계정",
    "@xxx",
    "xxx@naver.com",
    "010-XXXX-XXXX 로 연락",
    "010-ㅇㅇㅇㅇ-ㅇㅇㅇㅇ",
    "010-0000-0000",
    "서울시 OO구 OO동 사는 애",
    "OO아파트 OOO동 OOO호",
    "xx은행 xxx-xxx-xxxxxx 로 입금",
    "예금주 ooo 계좌 xxx-xxxx",
    "ooo 010-oooo-oooo 연락바람",
    "이OO(25) 씨는",
    "김 모 씨가 그러는데",
    "A씨는 조선족이래",
    # a surname with a rank or a job, as people are named without their name
    "김순경이 그랬다",
    "박병장님 충성",
    "김과장은 나이 많다고 유세떪",
    # the ordinary words the issue reports read as names, in a sentence
    "경영학과 나와봤자 취업 못함",
    "천문학을 전공하면 굶어죽음",
    "전화기가 고장나서 못받음",
    "소세지를 먹는 애들",
    "옥수수는 맛있다",
    "구구단을 못외우는 애",
    "위아래도 없는 요즘 애들",
    "오로라를 보러 갔다",
    # untitled three-syllable words need a common surname and common given-name syllables
    "고구마가 최고다",
    "한라산을 올라가면 힘듦",
    "유리창이 깨졌다",
    "노가리는 맥주 안주",
    "정수기를 팔러 다님",
    # not an address, not an account
    "강남구 사는 애들은 다 부자",
    "3동 2호선 타고 감",
    "신한 카드 10% 할인",
    # common words that start with a surname syllable and take a particle
    "이사람은 진짜 이상해",
    "정말로 그렇게 생각해",
    "강아지가 귀엽다",
    "한국인은 다 그래",
    "장애인이 왜 밖에 나와",
    "전라도는 믿으면 안 돼",
    "경상도 사람은 무뚝뚝해",
    "경기도는 넓다",
    "제주도는 멀다",
    "강원도가 고향",
    "이민자가 늘었다",
    "이주민은 세금을 안 낸다",
    "유대인은 돈이 많다",
    "조선인이라는 말",
    "연예인이 뭐라고",
    "노숙자는 게으르다",
    "동남아는 덥다",
    "동성애는 병이다",
    "정신병이 있나",
    "조현병은 위험하다",
    "공무원이 최고",
    "정규직은 편하다",
    "정직원이 되고 싶다",
    "명문대를 나와야",
    "전문대는 무시당한다",
    "남자애가 울면 안 돼",
    "여자애는 얌전해야",
    "여직원이 커피를",
    "하나님이 보고 계신다",
    "주인공이 불쌍하다",
    "방송인이 왜 그래",
    "고양이가 좋아",
    "이상한 사람이다",
    "우리는 한국 사람이다",
    "이번에는 다르다",
    "이제는 늦었다",
    "지금은 괜찮아",
    "정치인은 다 똑같다",
    "서울대 나온 사람",
    "지방대 출신은 안 뽑는다",
    "나이가 많으면 꼰대",
    "신입이 뭘 알아",
    "사장님이 화났다",
    "부장님이 싫어",
    "선생님이 그러셨다",
    "교수님이 말씀하셨다",
    "기사님 감사합니다",
    "부모님이 반대했다",
    "이모님이 오셨다",
    "고모님 댁에",
    "사모님이 나오셨다",
    "손님이 왕이다",
    "고객님 죄송합니다",
    "주인님 명령",
    "선배님이 사주셨다",
    "박사님이 연구했다",
    "목사님 설교",
    "신부님 강론",
    "공주님 같다",
    "조상님 덕분에",
    "기부하는 배우",
    "노래하는 가수",
    "하루라도 빨리",
    "민주주의 국가",
    "여기서도 그러네",
    "나오지만 재미없다",
    "목소리가 좋다",
    "이미지가 안 좋아",
    "백만원이 적은 돈이냐",
    "유행인가 봐",
    "장학금을 받았다",
    "위안부 문제",
    "홍성군에 산다",
    "진도군 특산물",
    "하동군은 녹차",
    "사연을 과장하고 있다",
    "어린 후배가 대들었다",
    "마음씨가 곱다",
    "솜씨가 좋다",
    "날씨가 좋다",
    "김씨는 어디 갔어",
    "이씨 성을 가진 사람",
    "정부가 무능하다",
    "정치인이 문제다",
    "강남은 비싸다",
    "장점이 많다",
    "전세가 올랐다",
    "최선을 다했다",
    "유치원 선생님",
    "김치가 맛있다",
    "이혼녀는 안 된다",
    "노처녀가 되었다",
    "고아원 출신",
    "신혼부부는 좋겠다",
    "조선족이 많다",
    "우리나라는 좋다",
    "이상형은 키 큰 사람",
    "고등학생이 담배를",
    "전업주부가 편하다",
    "노인정에 가라",
    "임신한 여자는",
    "공정한 사회",
    "성소수자는",
    "동양인은 다 똑같이 생겼다",
    "백인우월주의",
    "한남충은",
    "김여사는 운전을 못해",
    "된장녀는",
    "홍어는",
    "경상도 사투리",
    "장애인 주차구역",
    "정신과 다니는",
    "치매 노인",
    "간호사는",
    "임대아파트 사는",
    "반지하에",
    "시골 출신",
    "제주 사람은",
    "남자친구가",
    "부장한테 혼났다",
    "주인한테",
    "손님한테",
    "고기 먹는 사람",
    "채소만 먹는",
    "비건은",
    "육식은",
    "편식하는",
    "다이어트는",
    "한식이 최고",
    "양식이 좋다",
    "주식으로",
    "간식은",
    # numbers that are not phone or resident numbers
    "2020-2021 시즌",
    "1234-5678",
    "가격은 15,000원",
    "991332-1234567 틀린 날짜",
    "900101-9234567 뒷자리 첫 숫자",
    "주문번호 202301011234567",
    "3.14159",
    "비율 1:2:3",
    # not URLs, not handles
    "e.g. 예를 들면",
    "3.5점",
    "ㅋㅋ.ㅋㅋ",
    "a@b",
    "이메일@주소",
    "그 사람@@",
]


@pytest.mark.parametrize("text, kind, span", FOUND)
def test_found(text, kind, span):
    hints = find_personal_info(text)
    assert [(h.kind, h.text) for h in hints if h.kind == kind] == [(kind, span)], hints
    hint = next(h for h in hints if h.kind == kind)
    assert text[hint.start : hint.end] == span


@pytest.mark.parametrize(
    "text",
    [
        "정수빈이 뚱뚱하다고?",
        "강민호를 봐라",
        "장현우도 그렇게 생각해",
        "정지선을 안지키는 김여사",
        "이재민은 다 가난해",
        "유성우를 보러 간 외국인",
    ],
)
def test_a_generic_particle_alone_is_not_enough(text):
    """ "가", "는", "을", "도" follow any noun: names like these are missed (a title, a particle for
    people or contact data next to them would give them away), words like these are not reported."""
    assert [h for h in find_personal_info(text) if h.kind == NAME] == []


PUBLIC = [
    "문재인 대통령 때문에",
    "이재명은 경상도 출신인데",
    "김연아가 피겨 하는거",
    "유재석이 그러던데",
    "백종원은 음식 잘함",
    "이효리가 채식한다던데",
    "오세훈님 안녕하세요",
    "김구 선생님",
    "신동엽은 웃기다",
    "김정은은 뚱뚱해",
]


@pytest.mark.parametrize("text", PUBLIC)
def test_public_figures_are_not_reported(text):
    """The guideline allows public figures."""
    assert find_personal_info(text) == []


def test_the_public_figure_list_holds_names_only():
    assert len(PUBLIC_FIGURES) > 300 and all(
        name.isalpha() and len(name) <= 5 for name in PUBLIC_FIGURES
    )


@pytest.mark.parametrize(
    "text, name, reason",
    [
        ("김철수 010-1234-5678 이 사람 장애인임", "김철수", "전화번호 옆"),  # the case
        ("임지현(010-2345-6789) 채식한다고 유난", "임지현", "전화번호 옆"),
        ("신한 110-123-456789 예금주 김민수", "김민수", "앞에 '예금주'"),
        ("우리은행 1002-345-678901 박지민", "박지민", "계좌번호 옆"),
        ("연락처 이영희 010 9876 5432", "이영희", "앞에 '연락처'"),
    ],
)
def test_a_name_next_to_contact_data_is_reported_with_it(text, name, reason):
    hints = find_personal_info(text)
    names = [h for h in hints if h.kind == NAME]
    assert [(h.text, h.reason) for h in names] == [(name, reason)]
    assert any(h.kind in (PHONE, ACCOUNT) for h in hints)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("김철수씨는 여자라서", "뒤에 '씨'"),
        ("최민호랑 같이 다니지마", "뒤에 조사 '랑'"),
        ("팀장 고은비 진짜", "앞에 '팀장'"),
        ("김민지(25) 씨는", "뒤에 나이"),
        ("신한 110-123-456789", "앞에 '신한'"),
    ],
)
def test_each_hint_says_why(text, reason):
    assert find_personal_info(text)[0].reason == reason


def test_a_phone_number_in_parentheses_is_the_number_only():
    assert [h.text for h in find_personal_info("임지현(010-2345-6789)") if h.kind == PHONE] == [
        "010-2345-6789"
    ]
    assert [h.text for h in find_personal_info("사무실 (02)1234-5678") if h.kind == PHONE] == [
        "(02)1234-5678"
    ]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found(text):
    assert find_personal_info(text) == []


def test_several_kinds_in_one_sentence_come_in_order_without_overlap():
    text = "김철수 과장 010-1234-5678, kim@naver.com, www.naver.com/kim"
    hints = find_personal_info(text)
    assert [(h.kind, h.text) for h in hints] == [
        (NAME, "김철수"),
        (PHONE, "010-1234-5678"),
        (EMAIL, "kim@naver.com"),
        (URL, "www.naver.com/kim"),
    ]
    assert all(a.end <= b.start for a, b in zip(hints, hints[1:]))


def test_a_hint_is_a_plain_value():
    assert find_personal_info("010-1234-5678") == [PersonalInfoHint(PHONE, "010-1234-5678", 0, 13)]
    assert PersonalInfoHint(PHONE, "010-1234-5678", 0, 13).reason == ""  # the shape says it


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
