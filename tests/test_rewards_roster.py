"""The writers' roster: row-level validation with exact messages, and re-import as upsert."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from apeach_ls.errors import DataFileError
from apeach_ls.rewards.db import open_ledger, writers
from apeach_ls.rewards.roster import import_roster, load_roster, parse_roster
from pg import ledger_url, postgres_server  # noqa: F401

HEADER = "ls_user,platform_id,age,gender\n"


def test_parses_ids_emails_and_normalizes_gender():
    text = HEADER + ("17,5f1a2b3c4d5e6f7a8b9c0d1e,37,F\n"
                     "Writer@Example.com,A1B2C3D4E5F6G7,,남\n"
                     "18,p-18,19,여\n"
                     "19,p_19,100,male\n"
                     "\n")
    entries = parse_roster(text, "roster.csv")
    assert [(e.row, e.ls_user_id, e.ls_email, e.platform_id, e.age, e.gender) for e in entries] == [
        (2, 17, None, "5f1a2b3c4d5e6f7a8b9c0d1e", 37, "female"),
        (3, None, "writer@example.com", "A1B2C3D4E5F6G7", None, "male"),
        (4, 18, None, "p-18", 19, "female"),
        (5, 19, None, "p_19", 100, "male"),
    ]


def test_age_and_gender_columns_are_optional():
    [entry] = parse_roster("platform_id,ls_user\nP1,3\n", "r.csv")
    assert (entry.ls_user_id, entry.platform_id, entry.age, entry.gender) == (3, "P1", None, None)
    assert entry.assignment_id is None


def test_an_mturk_assignment_id_is_read_when_given():
    entries = parse_roster("ls_user,platform_id,assignment_id\n1,A1B2C3,3DR23U6WE5DEZ9IFQFQKZ566QHLETU\n2,P2,\n",
                           "r.csv")
    assert [e.assignment_id for e in entries] == ["3DR23U6WE5DEZ9IFQFQKZ566QHLETU", None]


@pytest.mark.parametrize("text, message", [
    ("", "r.csv: the file is empty; expected a CSV with header ls_user,platform_id[,age,gender,assignment_id]"),
    ("user,platform_id\n1,P1\n", "r.csv, row 1: the header has no 'ls_user' column (header: user,platform_id)"),
    ("ls_user,age\n1,30\n", "r.csv, row 1: the header has no 'platform_id' column (header: ls_user,age)"),
    (HEADER + ",P1,30,F\n",
     "r.csv, row 2, field 'ls_user': empty; expected the writer's Label Studio e-mail or numeric user id"),
    (HEADER + "1,P1,,\nbob,P2,30,F\n",
     "r.csv, row 3, field 'ls_user': 'bob' is neither an e-mail address nor a numeric Label Studio user id"),
    (HEADER + "1,,30,F\n",
     "r.csv, row 2, field 'platform_id': empty; expected the writer's Prolific participant id or MTurk worker id"),
    (HEADER + "1,P 1,30,F\n",
     "r.csv, row 2, field 'platform_id': 'P 1' is not a platform id (letters, digits, '-' and '_', at most 64)"),
    (HEADER + "1,P1,thirty,F\n", "r.csv, row 2, field 'age': 'thirty' is not a whole number of years"),
    (HEADER + "1,P1,37.5,F\n", "r.csv, row 2, field 'age': '37.5' is not a whole number of years"),
    (HEADER + "1,P1,-3,F\n", "r.csv, row 2, field 'age': '-3' is not a whole number of years"),
    (HEADER + "1,P1,13,F\n", "r.csv, row 2, field 'age': 13 is outside 14-100"),
    (HEADER + "1,P1,101,F\n", "r.csv, row 2, field 'age': 101 is outside 14-100"),
    (HEADER + "1,P1,30,x\n",
     "r.csv, row 2, field 'gender': 'x' is not one of female, male, F, M, 여, 남 (or empty)"),
    (HEADER + "1,P1,30,F\n2,P2,30,M\n1,P3,30,F\n",
     "r.csv, row 4, field 'ls_user': duplicate ls_user '1': rows 2 and 4"),
    (HEADER + "a@x.org,P1,30,F\nA@X.org,P2,30,M\n",
     "r.csv, row 3, field 'ls_user': duplicate ls_user 'a@x.org': rows 2 and 3"),
    (HEADER + "1,P1,30,F\n2,P1,30,M\n",
     "r.csv, row 3, field 'platform_id': duplicate platform_id 'P1': rows 2 and 3"),
    ("ls_user,platform_id,assignment_id\n1,P1,3DR23U6W-E5DEZ\n",
     "r.csv, row 2, field 'assignment_id': '3DR23U6W-E5DEZ' is not an MTurk assignment id (letters and digits, "
     "at most 64)"),
])
def test_bad_rows_name_the_row_and_field(text, message):
    with pytest.raises(DataFileError) as caught:
        parse_roster(text, "r.csv")
    assert str(caught.value) == message


def test_unreadable_file(tmp_path):
    engine = open_ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    missing = tmp_path / "nope.csv"
    with pytest.raises(DataFileError, match=r"nope.csv: cannot read the file: No such file or directory"):
        import_roster(engine, missing)
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + "1,P1,30,f\xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin.csv: not UTF-8 text; save the CSV as UTF-8"):
        import_roster(engine, tmp_path / "latin.csv")


def test_reimport_updates_and_never_duplicates(tmp_path, ledger_url):  # noqa: F811
    engine = open_ledger(ledger_url)
    first = tmp_path / "roster.csv"
    first.write_text(HEADER + "17,P17,37,F\nw@example.com,PW,22,M\n", encoding="utf-8")
    report = import_roster(engine, first)
    assert (report.created, report.updated, report.unchanged) == (["17", "w@example.com"], [], [])

    again = import_roster(engine, first)
    assert (again.created, again.updated, again.unchanged) == ([], [], ["17", "w@example.com"])

    second = tmp_path / "roster2.csv"
    second.write_text("\ufeffls_user,platform_id,age,gender,name,notes\n"
                      "17,P17-NEW,,,Kim,paid by PayPal\n"
                      "W@Example.com,PW,22,male,Lee,\n"
                      "18,P18,40,여,Park,\n", encoding="utf-8")
    report = import_roster(engine, second)
    assert (report.created, report.updated, report.unchanged) == (["18"], ["17"], ["w@example.com"])
    assert report.ignored_columns == ["name", "notes"]

    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(writers)).scalar_one() == 3
        roster = load_roster(conn)
    assert roster.find(17, None).platform_id == "P17-NEW"
    assert (roster.find(17, None).age, roster.find(17, None).gender) == (None, None)  # emptied in the file
    assert roster.find(99, "w@EXAMPLE.com").platform_id == "PW"  # by e-mail when the id is unknown
    assert roster.find(18, "w@example.com").platform_id == "P18"  # the id wins over the e-mail
    assert roster.find(99, None) is None

    third = tmp_path / "roster3.csv"
    third.write_text("ls_user,platform_id,assignment_id\n17,P17-NEW,3ABC\n", encoding="utf-8")
    assert import_roster(engine, third).updated == ["17"]  # only the assignment id is new
    with engine.connect() as conn:
        assert load_roster(conn).find(17, None).assignment_id == "3ABC"
    assert import_roster(engine, third).unchanged == ["17"]
    engine.dispose()


def test_only_the_needed_columns_are_stored(tmp_path):
    engine = open_ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    assert sorted(writers.c.keys()) == ["age", "assignment_id", "gender", "id", "ls_email", "ls_user_id",
                                        "platform_id", "updated_at"]
    with engine.connect() as conn:
        stored = [c["name"] for c in conn.dialect.get_columns(conn, "writers")]
    assert sorted(stored) == sorted(writers.c.keys())
