"""The writers' roster: who a Label Studio user is on the crowd platform.

A roster CSV has the columns ``ls_user`` (Label Studio e-mail or numeric user id) and
``platform_id`` (Prolific participant id or MTurk worker id), and optionally ``age``
(whole years, 14-100), ``gender`` (female / male; F, M, 여, 남 are accepted) and
``assignment_id`` (for MTurk workers: the id of an assignment they submitted, which MTurk's
SendBonus needs next to the worker id). Other columns (names, notes) are ignored and never
stored. Importing again updates the writers it names (empty optional fields clear the stored
value) and leaves the others as they were.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from ..errors import DataFileError
from .db import now_iso, transaction, writers

COLUMNS = ("ls_user", "platform_id", "age", "gender", "assignment_id")
REQUIRED = ("ls_user", "platform_id")
MIN_AGE, MAX_AGE = 14, 100
GENDERS = {"female": "female", "f": "female", "여": "female", "여성": "female",
           "male": "male", "m": "male", "남": "male", "남성": "male"}
_EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_PLATFORM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ASSIGNMENT_ID_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")  # MTurk's are 30 upper-case letters and digits


@dataclass(frozen=True)
class RosterEntry:
    row: int  # 1-based line in the file (header = 1)
    ls_user_id: int | None  # exactly one of ls_user_id / ls_email is set
    ls_email: str | None
    platform_id: str
    age: int | None = None
    gender: str | None = None
    assignment_id: str | None = None  # MTurk: one of the worker's assignments, for SendBonus

    @property
    def ls_user(self) -> str:
        return str(self.ls_user_id) if self.ls_user_id is not None else str(self.ls_email)


@dataclass
class RosterImport:
    created: list[str] = field(default_factory=list)  # ls_user values
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def parse_roster(text: str, path: str) -> list[RosterEntry]:
    """Validate a roster CSV's text; errors name the file, the row and the field."""
    stripped = text.lstrip("\ufeff")
    if not stripped.strip():
        raise DataFileError(path, "the file is empty; expected a CSV with header "
                                  "ls_user,platform_id[,age,gender,assignment_id]")
    reader = csv.DictReader(io.StringIO(stripped))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    for required in REQUIRED:
        if required not in header:
            raise DataFileError(path, f"the header has no {required!r} column (header: {','.join(header)})", row=1)
    entries: list[RosterEntry] = []
    seen_user: dict[str, int] = {}
    seen_platform: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # blank line
        entry = _entry(raw, path, number)
        for key, seen, name in ((entry.ls_user, seen_user, "ls_user"), (entry.platform_id, seen_platform, "platform_id")):
            if key in seen:
                raise DataFileError(path, f"duplicate {name} {key!r}: rows {seen[key]} and {number}",
                                    row=number, field=name)
            seen[key] = number
        entries.append(entry)
    return entries


def _entry(raw: dict[str, str | None], path: str, row: int) -> RosterEntry:
    def value(name: str) -> str:
        return (raw.get(name) or "").strip()

    ls_user = value("ls_user")
    user_id, email = None, None
    if not ls_user:
        raise DataFileError(path, "empty; expected the writer's Label Studio e-mail or numeric user id",
                            row=row, field="ls_user")
    if ls_user.isdigit():
        user_id = int(ls_user)
    elif _EMAIL_RE.match(ls_user):
        email = ls_user.lower()
    else:
        raise DataFileError(path, f"{ls_user!r} is neither an e-mail address nor a numeric Label Studio user id",
                            row=row, field="ls_user")
    platform_id = value("platform_id")
    if not platform_id:
        raise DataFileError(path, "empty; expected the writer's Prolific participant id or MTurk worker id",
                            row=row, field="platform_id")
    if not _PLATFORM_ID_RE.match(platform_id):
        raise DataFileError(path, f"{platform_id!r} is not a platform id (letters, digits, '-' and '_', "
                            "at most 64)", row=row, field="platform_id")
    return RosterEntry(row, user_id, email, platform_id, _age(value("age"), path, row),
                       _gender(value("gender"), path, row), _assignment_id(value("assignment_id"), path, row))


def _age(text: str, path: str, row: int) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise DataFileError(path, f"{text!r} is not a whole number of years", row=row, field="age")
    age = int(text)
    if not MIN_AGE <= age <= MAX_AGE:
        raise DataFileError(path, f"{age} is outside {MIN_AGE}-{MAX_AGE}", row=row, field="age")
    return age


def _gender(text: str, path: str, row: int) -> str | None:
    if not text:
        return None
    gender = GENDERS.get(text.lower())
    if gender is None:
        raise DataFileError(path, f"{text!r} is not one of female, male, F, M, 여, 남 (or empty)",
                            row=row, field="gender")
    return gender


def _assignment_id(text: str, path: str, row: int) -> str | None:
    if not text:
        return None
    if not _ASSIGNMENT_ID_RE.match(text):
        raise DataFileError(path, f"{text!r} is not an MTurk assignment id (letters and digits, at most 64)",
                            row=row, field="assignment_id")
    return text


def import_roster(engine: Engine, path: str | Path) -> RosterImport:
    """Parse a roster file and upsert its writers in one transaction."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), f"cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), "not UTF-8 text; save the CSV as UTF-8") from exc
    entries = parse_roster(text, str(path))
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    report = RosterImport(ignored_columns=[c.strip() for c in header if c.strip() not in COLUMNS])
    with transaction(engine) as conn:
        for entry in entries:
            key = (writers.c.ls_user_id == entry.ls_user_id if entry.ls_user_id is not None
                   else writers.c.ls_email == entry.ls_email)
            values = {"platform_id": entry.platform_id, "age": entry.age, "gender": entry.gender,
                      "assignment_id": entry.assignment_id}
            current = conn.execute(select(*(writers.c[name] for name in values)).where(key)).first()
            if current is None:
                conn.execute(insert(writers).values(ls_user_id=entry.ls_user_id, ls_email=entry.ls_email,
                                                    updated_at=now_iso(), **values))
                report.created.append(entry.ls_user)
            elif tuple(current) != tuple(values.values()):
                conn.execute(update(writers).where(key).values(updated_at=now_iso(), **values))
                report.updated.append(entry.ls_user)
            else:
                report.unchanged.append(entry.ls_user)
    return report


class Roster:
    """The stored roster, looked up by Label Studio user id first, then by e-mail."""

    def __init__(self, entries: list[RosterEntry]):
        self.entries = entries
        self._by_id = {e.ls_user_id: e for e in entries if e.ls_user_id is not None}
        self._by_email = {e.ls_email: e for e in entries if e.ls_email is not None}

    def find(self, ls_user_id: int, email: str | None) -> RosterEntry | None:
        entry = self._by_id.get(ls_user_id)
        if entry is None and email:
            entry = self._by_email.get(email.strip().lower())
        return entry


def load_roster(conn: Connection) -> Roster:
    """Every stored writer (``row`` is 0: they come from the database, not a file)."""
    rows = conn.execute(select(writers.c.ls_user_id, writers.c.ls_email, writers.c.platform_id,
                               writers.c.age, writers.c.gender, writers.c.assignment_id).order_by(writers.c.id))
    return Roster([RosterEntry(0, r.ls_user_id, r.ls_email, r.platform_id, r.age, r.gender, r.assignment_id)
                   for r in rows])
