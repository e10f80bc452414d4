"""The writers' roster: row-level validation with exact messages, Label Studio accounts and
managers, each platform's id and currency rules, re-import that never erases, removal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings, writers
from apeach_ls.errors import ApeachError, DataFileError
from apeach_ls.rewards.ledger import record_outcomes, writer_balances
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.payout import commit_payout, plan_payout
from apeach_ls.rewards.policy import RewardPolicy
from apeach_ls.rewards.roster import (
    Accounts,
    import_roster,
    load_roster,
    parse_roster,
    remove_writers,
)

HEADER = "ls_user,platform,platform_id,age,gender\n"
PROLIFIC_ID = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNTS = Accounts(
    {
        3: "w3@example.com",
        17: "w17@example.com",
        18: "w18@example.com",
        19: "w19@example.com",
        20: "writer@example.com",
        30: "m1@example.org",
    },
    managers=frozenset({"m1@example.org"}),
)


def test_parses_ids_emails_and_normalizes_gender_and_platform():
    text = HEADER + (
        f"17,prolific,{PROLIFIC_ID},37,Female\n"
        "Writer@Example.com,MTurk,A1B2C3D4E5F6G7,, MALE \n"
        "18,manual,p-18,19,female\n"
        "19,,p_19,100,male\n"
        "\n"
    )
    entries = parse_roster(text, "roster.csv")
    assert [
        (e.row, e.writer_id, e.ls_email, e.platform, e.platform_id, e.age, e.gender)
        for e in entries
    ] == [
        (2, 17, None, "prolific", PROLIFIC_ID, 37, "female"),
        (3, None, "writer@example.com", "mturk", "A1B2C3D4E5F6G7", None, "male"),
        (4, 18, None, "manual", "p-18", 19, "female"),
        (5, 19, None, None, "p_19", 100, "male"),
    ]


def test_age_gender_and_platform_columns_are_optional_when_parsing():
    [entry] = parse_roster("platform_id,ls_user\nP1,3\n", "r.csv")
    assert (entry.writer_id, entry.platform_id, entry.age, entry.gender, entry.platform) == (
        3,
        "P1",
        None,
        None,
        None,
    )
    assert entry.assignment_id is None


def test_an_mturk_assignment_id_is_read_when_given():
    entries = parse_roster(
        "ls_user,platform,platform_id,assignment_id\n1,mturk,A1B2C3,3DR23U6WE5DEZ9IFQFQKZ566QHLETU\n"
        "2,mturk,A2,\n",
        "r.csv",
    )
    assert [e.assignment_id for e in entries] == ["3DR23U6WE5DEZ9IFQFQKZ566QHLETU", None]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "",
            "r.csv: the file is empty; expected a CSV with header ls_user,platform,platform_id[,age,gender,assignment_id]",
        ),
        (
            "user,platform_id\n1,P1\n",
            "r.csv, row 1: the header has no 'ls_user' column (header: user,platform_id)",
        ),
        (
            "ls_user,age\n1,30\n",
            "r.csv, row 1: the header has no 'platform_id' column (header: ls_user,age)",
        ),
        (
            HEADER + ",manual,P1,30,female\n",
            "r.csv, row 2, field 'ls_user': empty; expected the writer's Label Studio e-mail or numeric user id",
        ),
        (
            HEADER + "1,manual,P1,,\nbob,manual,P2,30,female\n",
            "r.csv, row 3, field 'ls_user': 'bob' is neither an e-mail address nor a numeric Label Studio user id",
        ),
        (
            HEADER + "1,manual,,30,female\n",
            "r.csv, row 2, field 'platform_id': empty; expected the writer's id on their platform (Prolific participant id, "
            "MTurk worker id, or a payee reference)",
        ),
        (
            HEADER + "1,manual,P 1,30,female\n",
            "r.csv, row 2, field 'platform_id': 'P 1' is not a platform id (letters, digits, '-' and '_', starting with a "
            "letter or digit, at most 64)",
        ),
        (
            HEADER + "1,manual,thirty,30,female\n2,x,P2,,\n",
            "r.csv, row 3, field 'platform': 'x' is not a payout platform; use one of prolific, mturk, manual (manual: a "
            "sheet for transfers you make yourself, in any currency)",
        ),
        (
            HEADER + "1,manual,P1,thirty,female\n",
            "r.csv, row 2, field 'age': 'thirty' is not a whole number of years",
        ),
        (
            HEADER + "1,manual,P1,37.5,female\n",
            "r.csv, row 2, field 'age': '37.5' is not a whole number of years",
        ),
        (
            HEADER + "1,manual,P1,-3,female\n",
            "r.csv, row 2, field 'age': '-3' is not a whole number of years",
        ),
        (HEADER + "1,manual,P1,13,female\n", "r.csv, row 2, field 'age': 13 is outside 14-100"),
        (HEADER + "1,manual,P1,101,female\n", "r.csv, row 2, field 'age': 101 is outside 14-100"),
        (
            HEADER + "1,manual,P1,30,x\n",
            "r.csv, row 2, field 'gender': 'x' is not female or male (any case), or empty; the roster uses the released "
            "dataset's two words only",
        ),
        (
            HEADER + "1,manual,P1,30,female\n2,manual,P2,30,male\n1,manual,P3,30,female\n",
            "r.csv, row 4, field 'ls_user': duplicate ls_user '1': rows 2 and 4",
        ),
        (
            HEADER + "a@x.org,manual,P1,30,female\nA@X.org,manual,P2,30,male\n",
            "r.csv, row 3, field 'ls_user': duplicate ls_user 'a@x.org': rows 2 and 3",
        ),
        (
            HEADER + "1,manual,P1,30,female\n2,manual,P1,30,male\n",
            "r.csv, row 3, field 'platform_id': duplicate platform_id 'P1': rows 2 and 3",
        ),
        (
            "ls_user,platform_id,assignment_id\n1,P1,3DR23U6W-E5DEZ\n",
            "r.csv, row 2, field 'assignment_id': '3DR23U6W-E5DEZ' is not an MTurk assignment id (upper-case letters and "
            "digits, at most 64)",
        ),
        # issue 12, case 7: one gender vocabulary; abbreviations and translations are refused
        *[
            (
                HEADER + f"1,manual,P1,30,{given}\n",
                f"r.csv, row 2, field 'gender': {given!r} is not female or male (any case), or empty; the roster uses the "
                "released dataset's two words only",
            )
            for given in ("F", "M", "여", "남성", "f")
        ],
        # issue 13, case 11: a platform id that a spreadsheet would run
        *[
            (
                HEADER + f"1,manual,{given},30,female\n",
                f"r.csv, row 2, field 'platform_id': {given!r} is not a platform id (letters, digits, '-' and '_', starting "
                "with a letter or digit, at most 64)",
            )
            for given in ("-cmd", "=1+1", "@SUM(A1)", "+1", "_x")
        ],
        # issue 13, case 10: a row with more fields than the header is refused, not silently cut
        (
            "ls_user,platform_id\n1,P1,30,female\n",
            "r.csv, row 2: 4 fields, but the header has 2 columns; quote a value that contains a comma, or name the extra "
            "column in the header",
        ),
        (
            HEADER + '1,manual,P1,30,female,"Kim, Lee"\n',
            "r.csv, row 2: 6 fields, but the header has 5 columns; quote a value that contains a comma, or name the extra "
            "column in the header",
        ),
    ],
)
def test_bad_rows_name_the_row_and_field(text, message):
    with pytest.raises(DataFileError) as caught:
        parse_roster(text, "r.csv")
    assert str(caught.value) == message


def test_unreadable_file(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    missing = tmp_path / "nope.csv"
    with pytest.raises(
        DataFileError, match=r"nope.csv: cannot read the file: No such file or directory"
    ):
        import_roster(engine, missing, ACCOUNTS)
    (tmp_path / "latin.csv").write_bytes(
        HEADER.encode() + "1,manual,P1,30,f\xe9\n".encode("latin-1")
    )
    with pytest.raises(DataFileError, match=r"latin.csv: not UTF-8 text; save the CSV as UTF-8"):
        import_roster(engine, tmp_path / "latin.csv", ACCOUNTS)


@pytest.mark.parametrize(
    "rows, currency, message",
    [
        # issue 12, case 7: accounts that do not exist in Label Studio, and managers, are refused
        (
            "7,manual,P7,,\n",
            None,
            "row 2, field 'ls_user': no Label Studio account has user id 7; the writer signs up first (or fix the id)",
        ),
        (
            "w3@example.com,manual,P3,,\nnobody@example.com,manual,P9,,\n",
            None,
            "row 3, field 'ls_user': no Label Studio account has the e-mail nobody@example.com; the writer signs up first "
            "(or fix the address)",
        ),
        (
            "M1@example.org,manual,P1,,\n",
            None,
            "row 2, field 'ls_user': m1@example.org is a manager of this campaign ([votes] managers in the config); managers "
            "vote on the sentences and are not paid as writers: remove the row",
        ),
        (
            "30,manual,P1,,\n",
            None,
            "row 2, field 'ls_user': m1@example.org is a manager of this campaign ([votes] managers in the config); managers "
            "vote on the sentences and are not paid as writers: remove the row",
        ),
        (
            "3,manual,P3,,\nw3@example.com,manual,P4,,\n",
            None,
            "row 3, field 'ls_user': rows 2 and 3 name the same Label Studio account (user 3, w3@example.com)",
        ),
        # issue 12, case 8: each platform's id and currency rules
        (
            "3,,P3,,\n",
            None,
            "row 2, field 'platform': 3 is a new writer: say which platform pays them (prolific, mturk, manual) in a "
            "platform column",
        ),
        (
            "3,prolific,P3,,\n",
            None,
            "row 2, field 'platform_id': 'P3' is not a Prolific participant id (24 lower-case hexadecimal characters, e.g. "
            "5f1a2b3c4d5e6f7a8b9c0d1e); the platform is prolific",
        ),
        (
            "3,mturk,a1b2,,\n",
            None,
            "row 2, field 'platform_id': 'a1b2' is not an MTurk worker id (A followed by upper-case letters and digits, "
            "e.g. A1B2C3D4E5F6G7); the platform is mturk",
        ),
        (
            "3,mturk,A1B2,,\n",
            "KRW",
            "row 2, field 'platform': MTurk pays in USD only, but the campaign's [rewards] currency is KRW; pay these "
            "writers with platform manual (a manual-transfer sheet), or use a USD campaign",
        ),
        (
            f"3,prolific,{PROLIFIC_ID},,\n",
            "KRW",
            "row 2, field 'platform': Prolific pays in GBP or USD only, but the campaign's [rewards] currency is KRW; pay "
            "these writers with platform manual (a manual-transfer sheet), or use a GBP or USD campaign",
        ),
    ],
)
def test_import_checks_accounts_managers_and_platform_rules(tmp_path, rows, currency, message):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        import_roster(engine, path, ACCOUNTS, currency)
    assert str(caught.value) == f"{path}, {message}"
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(writers)).scalar_one() == 0
        )  # nothing stored
    engine.dispose()


def test_an_assignment_id_is_for_mturk_workers_only(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    path = tmp_path / "r.csv"
    path.write_text(
        "ls_user,platform,platform_id,assignment_id\n3,manual,P3,3ABC\n", encoding="utf-8"
    )
    with pytest.raises(
        DataFileError,
        match="row 2, field 'assignment_id': an assignment id is for MTurk workers "
        "only, and 3 is paid through manual",
    ):
        import_roster(engine, path, ACCOUNTS)


def test_one_platform_account_cannot_be_two_writers_across_imports(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    (tmp_path / "a.csv").write_text(HEADER + "3,manual,SAME,,\n", encoding="utf-8")
    import_roster(engine, tmp_path / "a.csv", ACCOUNTS)
    (tmp_path / "b.csv").write_text(HEADER + "17,manual,SAME,,\n", encoding="utf-8")
    with pytest.raises(
        DataFileError,
        match=r"row 2, field 'platform_id': manual id 'SAME' is already the roster's "
        r"id of w3@example.com; one account cannot be paid for two writers",
    ):
        import_roster(engine, tmp_path / "b.csv", ACCOUNTS)
    (tmp_path / "swap.csv").write_text(
        HEADER + "3,manual,OTHER,,\n17,manual,SAME,,\n", encoding="utf-8"
    )
    assert import_roster(engine, tmp_path / "swap.csv", ACCOUNTS).created == [
        "17"
    ]  # a move within one file is fine


def test_reimport_updates_never_erases_and_never_duplicates(tmp_path, ledger_url):
    engine = open_database(ledger_url)
    first = tmp_path / "roster.csv"
    first.write_text(
        HEADER + "17,manual,P17,37,female\nw18@example.com,manual,PW,22,male\n", encoding="utf-8"
    )
    report = import_roster(engine, first, ACCOUNTS)
    assert (report.created, report.updated, report.unchanged) == (["17", "w18@example.com"], [], [])

    again = import_roster(engine, first, ACCOUNTS)
    assert (again.created, again.updated, again.unchanged) == ([], [], ["17", "w18@example.com"])

    # issue 12, case 7: a file without age/gender columns, or with empty cells, keeps them
    second = tmp_path / "roster2.csv"
    second.write_text(
        "\ufeffls_user,platform_id,age,gender,name,notes\n"
        "17,P17-NEW,,,Kim,paid by PayPal\n"
        "W18@Example.com,PW,22,male,Lee,\n"
        "19,P19,40,female,Park,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="row 4, field 'platform': 19 is a new writer"):
        import_roster(engine, second, ACCOUNTS)
    second.write_text(
        "\ufeffls_user,platform_id,age,gender,platform,name,notes\n"
        "17,P17-NEW,,,,Kim,paid by PayPal\n"
        "W18@Example.com,PW,22,male,,Lee,\n"
        "19,P19,40,female,manual,Park,\n",
        encoding="utf-8",
    )
    report = import_roster(engine, second, ACCOUNTS)
    assert (report.created, report.updated, report.unchanged) == (
        ["19"],
        ["17"],
        ["w18@example.com"],
    )
    assert report.ignored_columns == ["name", "notes"]
    third = tmp_path / "roster3.csv"
    third.write_text("ls_user,platform_id\n17,P17-NEW\n", encoding="utf-8")
    assert import_roster(engine, third, ACCOUNTS).unchanged == ["17"]

    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(writers)).scalar_one() == 3
        roster = load_roster(conn)
    w17 = roster.find(17, None)
    assert (w17.platform, w17.platform_id, w17.age, w17.gender, w17.ls_email) == (
        "manual",
        "P17-NEW",
        37,
        "female",
        "w17@example.com",
    )  # kept, and both keys stored
    assert (
        roster.find(99, "w18@EXAMPLE.com").platform_id == "PW"
    )  # by e-mail when the id is unknown
    assert (
        roster.find(18, None).platform_id == "PW"
    )  # and by the id Label Studio gave for that e-mail
    assert roster.find(99, None) is None

    mturk = tmp_path / "roster4.csv"
    mturk.write_text(
        "ls_user,platform,platform_id,assignment_id\n17,mturk,A17,3ABC\n", encoding="utf-8"
    )
    assert import_roster(engine, mturk, ACCOUNTS).updated == ["17"]
    with engine.connect() as conn:
        w17 = load_roster(conn).find(17, None)
    assert (w17.platform, w17.platform_id, w17.assignment_id, w17.age) == (
        "mturk",
        "A17",
        "3ABC",
        37,
    )
    assert import_roster(engine, mturk, ACCOUNTS).unchanged == ["17"]
    engine.dispose()


def test_a_writer_stored_by_id_and_by_email_before_is_merged_into_one(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    with engine.begin() as conn:  # as imports before accounts were checked could leave it
        conn.exec_driver_sql(
            "INSERT INTO writers (ls_user_id, platform_id, age, updated_at) VALUES (3, 'OLD', 30, 'x')"
        )
        conn.exec_driver_sql(
            "INSERT INTO writers (ls_email, platform_id, gender, updated_at) "
            "VALUES ('w3@example.com', 'OLD2', 'male', 'x')"
        )
    (tmp_path / "r.csv").write_text(
        "ls_user,platform,platform_id\nw3@example.com,manual,NEW\n", encoding="utf-8"
    )
    assert import_roster(engine, tmp_path / "r.csv", ACCOUNTS).updated == ["w3@example.com"]
    with engine.connect() as conn:
        [w3] = load_roster(conn).entries
    assert (w3.writer_id, w3.ls_email, w3.platform_id, w3.age, w3.gender) == (
        3,
        "w3@example.com",
        "NEW",
        30,
        "male",
    )


def test_removing_a_writer_keeps_their_ledger_history(tmp_path, ledger_url):
    engine = open_database(ledger_url)
    (tmp_path / "r.csv").write_text(
        HEADER + "3,manual,P3,30,female\n17,manual,P17,,\n", encoding="utf-8"
    )
    import_roster(engine, tmp_path / "r.csv", ACCOUNTS)
    policy = RewardPolicy(per_accepted=1000)
    record_outcomes(engine, [SubmissionOutcome(1, 3, "w3@example.com", "accepted", False)], policy)
    commit_payout(engine, policy, tmp_path / "out")
    record_outcomes(engine, [SubmissionOutcome(2, 3, None, "accepted", False)], policy)
    before = writer_balances(engine)

    with pytest.raises(
        ApeachError, match="'nobody@example.com' is not on the roster .*; nothing was removed"
    ):
        remove_writers(engine, ["w3@example.com", "nobody@example.com"], ACCOUNTS)
    preview = remove_writers(engine, ["w3@example.com"], ACCOUNTS, dry_run=True)
    assert [r.writer.writer_id for r in preview] == [3]
    with engine.connect() as conn:
        assert len(load_roster(conn).entries) == 2  # the preview removed nothing
    [removed] = remove_writers(engine, ["3"], ACCOUNTS)
    assert (removed.writer.platform_id, removed.asked_as) == ("P3", "3")
    assert writer_balances(engine) == before  # history kept: earned 2000, in a batch 1000
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(earnings)).scalar_one() == 2
        assert [w.writer_id for w in load_roster(conn).entries] == [17]
    [held] = plan_payout(engine, policy).held
    assert held.held_reason.startswith("no roster entry for Label Studio user 3")
    import_roster(engine, tmp_path / "r.csv", ACCOUNTS)  # imported again: paid what they are owed
    assert [w.writer_id for w in plan_payout(engine, policy).payable] == [3]
    engine.dispose()


def test_only_the_needed_columns_are_stored(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'l.sqlite'}")
    assert sorted(writers.c.keys()) == [
        "age",
        "assignment_id",
        "gender",
        "id",
        "ls_email",
        "ls_user_id",
        "platform",
        "platform_id",
        "updated_at",
    ]
    with engine.connect() as conn:
        stored = [c["name"] for c in conn.dialect.get_columns(conn, "writers")]
    assert sorted(stored) == sorted(writers.c.keys())
