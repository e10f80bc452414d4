"""The writers' roster: who a Label Studio user is on the platform that pays them.

A roster CSV has these columns (any order; a header is required):

| column | meaning |
|---|---|
| ``ls_user`` | required: the writer's Label Studio e-mail or numeric user id. The account must exist in Label Studio and must not be one of the campaign's managers |
| ``platform_id`` | required: their id where they are paid: a Prolific participant id, an MTurk worker id, or a payee reference for a manual transfer |
| ``platform`` | ``prolific``, ``mturk`` or ``manual`` (any case): required for a writer the roster does not have yet |
| ``age`` | whole years, 14-100 |
| ``gender`` | ``female`` or ``male`` (any case): the released dataset's vocabulary, nothing else |
| ``assignment_id`` | MTurk workers only: one of their assignments, which MTurk's SendBonus needs |

Each platform's rules are checked per row: the shape of its ids (providers.py) and, when
the campaign config has a ``[rewards]`` section, whether it pays in that currency (MTurk:
USD; Prolific: GBP or USD; manual: any, e.g. KRW). Other columns (names, notes) are
reported and never stored; a row with more fields than the header is refused.

Importing again updates the writers it names: a value in the file replaces the stored one;
an empty cell, or a column the file does not have, keeps what is stored (a re-import never
erases). ``remove_writers`` takes writers off the roster; their ledger entries and payout
batches stay as they are, and what they are owed is held until they are imported again.
Every import or removal is one transaction: on any error nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ..database.connection import now_iso, transaction
from ..database.schema import writers
from ..errors import ApeachError, ConfigError, DataFileError
from .model import GENDERS, MAX_AGE, MIN_AGE, MTURK, PLATFORMS
from .providers import MTurkProvider, provider_by_name

COLUMNS = ("ls_user", "platform", "platform_id", "age", "gender", "assignment_id")
REQUIRED = ("ls_user", "platform_id")
HEADER_HINT = "ls_user,platform,platform_id[,age,gender,assignment_id]"
_EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_PLATFORM_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class RosterEntry:
    """A roster row as read (``None``: not given), or a stored writer (``row`` 0)."""

    row: int  # 1-based line in the file (header = 1); 0 for a stored writer
    writer_id: int | None  # the writer's Label Studio user id (column ls_user_id)
    # a row names one of writer_id / ls_email; a stored writer has both when known
    ls_email: str | None
    platform_id: str
    age: int | None = None
    gender: str | None = None
    assignment_id: str | None = None  # MTurk: one of the worker's assignments, for SendBonus
    platform: str | None = (
        None  # PLATFORMS; None: not given (a row) or stored before platforms existed
    )

    @property
    def ls_user(self) -> str:
        return str(self.writer_id) if self.writer_id is not None else str(self.ls_email)


@dataclass(frozen=True)
class Accounts:
    """Who may be on the roster: Label Studio's users, except the campaign's managers."""

    emails: Mapping[int, str]  # Label Studio user id -> e-mail (lower case; "" when none)
    managers: frozenset[str] = frozenset()  # the config's [votes] managers (lower case)

    def resolve(self, entry: RosterEntry, path: str) -> tuple[int, str | None]:
        """The account a row names, as (user id, e-mail); refuses unknown accounts and managers."""
        if entry.writer_id is not None:
            if entry.writer_id not in self.emails:
                raise DataFileError(
                    path,
                    f"no Label Studio account has user id {entry.writer_id}; the writer "
                    "signs up first (or fix the id)",
                    row=entry.row,
                    field="ls_user",
                )
            user_id, email = entry.writer_id, self.emails[entry.writer_id] or None
        else:
            ids = sorted(uid for uid, known in self.emails.items() if known == entry.ls_email)
            if not ids:
                raise DataFileError(
                    path,
                    f"no Label Studio account has the e-mail {entry.ls_email}; the writer "
                    "signs up first (or fix the address)",
                    row=entry.row,
                    field="ls_user",
                )
            user_id, email = ids[0], entry.ls_email
        if email and email in self.managers:
            raise DataFileError(
                path,
                f"{email} is a manager of this campaign ([votes] managers in the config); "
                "managers vote on the sentences and are not paid as writers: remove the row",
                row=entry.row,
                field="ls_user",
            )
        return user_id, email


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
        raise DataFileError(path, f"the file is empty; expected a CSV with header {HEADER_HINT}")
    reader = csv.DictReader(io.StringIO(stripped, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    for required in REQUIRED:
        if required not in header:
            raise DataFileError(
                path, f"the header has no {required!r} column (header: {','.join(header)})", row=1
            )
    entries: list[RosterEntry] = []
    seen_user: dict[str, int] = {}
    seen_platform: dict[str, int] = {}
    try:
        for raw in reader:
            number = reader.line_num
            if None in raw:
                extra = len(raw[None])  # type: ignore[index]
                raise DataFileError(
                    path,
                    f"{len(header) + extra} fields, but the header has {len(header)} columns; "
                    "quote a value that contains a comma, or name the extra column in the header",
                    row=number,
                )
            if not any((value or "").strip() for value in raw.values()):
                continue  # a line of empty fields
            entry = _entry(raw, path, number)
            for key, seen, name in (
                (entry.ls_user, seen_user, "ls_user"),
                (entry.platform_id, seen_platform, "platform_id"),
            ):
                if key in seen:
                    raise DataFileError(
                        path,
                        f"duplicate {name} {key!r}: rows {seen[key]} and {number}",
                        row=number,
                        field=name,
                    )
                seen[key] = number
            entries.append(entry)
    except csv.Error as exc:
        raise DataFileError(path, f"malformed CSV: {exc}", row=reader.line_num) from None
    return entries


def _entry(raw: Mapping[str, str | None], path: str, row: int) -> RosterEntry:
    def value(name: str) -> str:
        return unicodedata.normalize("NFKC", raw.get(name) or "").strip()

    ls_user = value("ls_user")
    user_id, email = None, None
    if not ls_user:
        raise DataFileError(
            path,
            "empty; expected the writer's Label Studio e-mail or numeric user id",
            row=row,
            field="ls_user",
        )
    if ls_user.isdigit():
        user_id = int(ls_user)
    elif _EMAIL_RE.match(ls_user):
        email = ls_user.lower()
    else:
        raise DataFileError(
            path,
            f"{ls_user!r} is neither an e-mail address nor a numeric Label Studio user id",
            row=row,
            field="ls_user",
        )
    platform_id = value("platform_id")
    if not platform_id:
        raise DataFileError(
            path,
            "empty; expected the writer's id on their platform (Prolific participant id, "
            "MTurk worker id, or a payee reference)",
            row=row,
            field="platform_id",
        )
    if not _PLATFORM_ID_RE.fullmatch(platform_id):
        raise DataFileError(
            path,
            f"{platform_id!r} is not a platform id (letters, digits, '-' and '_', starting "
            "with a letter or digit, at most 64)",
            row=row,
            field="platform_id",
        )
    return RosterEntry(
        row,
        user_id,
        email,
        platform_id,
        _age(value("age"), path, row),
        _gender(value("gender"), path, row),
        _assignment_id(value("assignment_id"), path, row),
        _platform(value("platform"), path, row),
    )


def _age(text: str, path: str, row: int) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise DataFileError(path, f"{text!r} is not a whole number of years", row=row, field="age")
    age = int(text)
    if not MIN_AGE <= age <= MAX_AGE:
        raise DataFileError(path, f"{age} is outside {MIN_AGE}-{MAX_AGE}", row=row, field="age")
    return age


def _gender(text: str, path: str, row: int) -> str | None:
    if not text:
        return None
    if text.lower() not in GENDERS:
        raise DataFileError(
            path,
            f"{text!r} is not female or male (any case), or empty; the roster uses the "
            "released dataset's two words only",
            row=row,
            field="gender",
        )
    return text.lower()


def _platform(text: str, path: str, row: int) -> str | None:
    if not text:
        return None
    if text.lower() not in PLATFORMS:
        raise DataFileError(
            path,
            f"{text!r} is not a payout platform; use one of {', '.join(PLATFORMS)} "
            "(manual: a sheet for transfers you make yourself, in any currency)",
            row=row,
            field="platform",
        )
    return text.lower()


def _assignment_id(text: str, path: str, row: int) -> str | None:
    if not text:
        return None
    if not MTurkProvider.assignment_pattern.fullmatch(text):
        raise DataFileError(
            path,
            f"{text!r} is not an MTurk assignment id (upper-case letters and digits, at most 64)",
            row=row,
            field="assignment_id",
        )
    return text


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), f"cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), "not UTF-8 text; save the CSV as UTF-8") from exc


def import_roster(
    engine: Engine, path: str | Path, accounts: Accounts, currency: str | None = None
) -> RosterImport:
    """Check a roster file against Label Studio's accounts and each platform's rules (and
    ``currency``, the campaign's, when given), then upsert its writers in one transaction."""
    text = _read(path)
    name = str(path)
    entries = parse_roster(text, name)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    report = RosterImport(ignored_columns=[c.strip() for c in header if c.strip() not in COLUMNS])
    accounts_seen: dict[int, int] = {}
    resolved = []
    for entry in entries:
        user_id, email = accounts.resolve(entry, name)
        if user_id in accounts_seen:
            raise DataFileError(
                name,
                f"rows {accounts_seen[user_id]} and {entry.row} name the same Label Studio "
                f"account (user {user_id}, {email or 'no e-mail'})",
                row=entry.row,
                field="ls_user",
            )
        accounts_seen[user_id] = entry.row
        resolved.append((entry, user_id, email))
    with transaction(engine) as conn:
        stored = load_roster(conn).entries
        final: dict[
            int, RosterEntry
        ] = {}  # by user id: the writers of the file as they will be stored
        replaced: dict[int, list[RosterEntry]] = {}
        for entry, user_id, email in resolved:
            matches = [
                w for w in stored if w.writer_id == user_id
            ]  # then one stored by e-mail only
            matches += [w for w in stored if w.writer_id is None and email and w.ls_email == email]
            taken = [w for w in stored if email and w.ls_email == email and w not in matches]
            if taken:
                raise DataFileError(
                    name,
                    f"the roster has {email} as Label Studio user {taken[0].writer_id}, but "
                    f"that is now the e-mail of user {user_id}; remove the old writer first "
                    f"(apeach-ls writers remove {taken[0].writer_id})",
                    row=entry.row,
                    field="ls_user",
                )
            merged = _merge(entry, user_id, email, matches, name)
            _check_platform_rules(entry, merged, currency, name)
            final[user_id], replaced[user_id] = merged, matches
        _check_unique_platform_ids(stored, final, replaced, name)
        for entry, user_id, _ in resolved:
            _store(conn, entry, final[user_id], replaced[user_id], report)
    return report


def _merge(
    entry: RosterEntry, user_id: int, email: str | None, matches: Sequence[RosterEntry], path: str
) -> RosterEntry:
    """The writer as stored after this row: given values replace, missing ones are kept."""
    base = matches[0] if matches else None
    if base is None and entry.platform is None:
        raise DataFileError(
            path,
            f"{entry.ls_user} is a new writer: say which platform pays them "
            f"({', '.join(PLATFORMS)}) in a platform column",
            row=entry.row,
            field="platform",
        )

    def pick(name: str) -> object:
        given = getattr(entry, name)
        if given is not None:
            return given
        for match in matches:  # a writer stored twice (by id and by e-mail) is merged into one
            if getattr(match, name) is not None:
                return getattr(match, name)
        return None

    merged = RosterEntry(
        entry.row,
        user_id,
        email,
        entry.platform_id,
        pick("age"),
        pick("gender"),  # type: ignore[arg-type]
        pick("assignment_id"),
        pick("platform"),
    )  # type: ignore[arg-type]
    if merged.platform is not None and merged.platform != MTURK and entry.assignment_id is not None:
        raise DataFileError(
            path,
            f"an assignment id is for MTurk workers only, and {entry.ls_user} is paid "
            f"through {merged.platform}",
            row=entry.row,
            field="assignment_id",
        )
    return merged


def _check_platform_rules(
    entry: RosterEntry, merged: RosterEntry, currency: str | None, path: str
) -> None:
    if merged.platform is None:
        raise DataFileError(
            path,
            f"{entry.ls_user} has no platform on the roster yet: add a platform column "
            f"({', '.join(PLATFORMS)})",
            row=entry.row,
            field="platform",
        )
    provider = provider_by_name(merged.platform)
    problem = provider.id_problem(merged.platform_id)
    if problem:
        raise DataFileError(
            path,
            f"{problem}; the platform is {merged.platform}",
            row=entry.row,
            field="platform_id",
        )
    if currency is not None:
        try:
            provider.check(currency)
        except ConfigError as exc:
            raise DataFileError(path, str(exc), row=entry.row, field="platform") from None


def _check_unique_platform_ids(
    stored: Sequence[RosterEntry],
    final: Mapping[int, RosterEntry],
    replaced: Mapping[int, Sequence[RosterEntry]],
    path: str,
) -> None:
    """No two writers share an id on one platform (they would be paid into one account)."""
    gone = {id(w) for matches in replaced.values() for w in matches}
    owner = {
        (w.platform, w.platform_id): w.ls_email or str(w.writer_id)
        for w in stored
        if id(w) not in gone and w.platform
    }
    for writer in sorted(final.values(), key=lambda w: w.row):
        key = (writer.platform, writer.platform_id)
        if key in owner:
            raise DataFileError(
                path,
                f"{writer.platform} id {writer.platform_id!r} is already the roster's id of "
                f"{owner[key]}; one account cannot be paid for two writers",
                row=writer.row,
                field="platform_id",
            )
        owner[key] = f"{writer.ls_email or writer.writer_id} (row {writer.row})"


def _store(
    conn: Connection,
    entry: RosterEntry,
    merged: RosterEntry,
    matches: Sequence[RosterEntry],
    report: RosterImport,
) -> None:
    values = {
        "ls_user_id": merged.writer_id,
        "ls_email": merged.ls_email,
        "platform_id": merged.platform_id,
        "age": merged.age,
        "gender": merged.gender,
        "assignment_id": merged.assignment_id,
        "platform": merged.platform,
    }
    if not matches:
        conn.execute(insert(writers).values(updated_at=now_iso(), **values))
        report.created.append(entry.ls_user)
        return
    keep, *duplicates = matches
    for (
        duplicate
    ) in duplicates:  # the same account stored twice, by id and by e-mail: one row remains
        conn.execute(delete(writers).where(_key(duplicate)))
    if duplicates or replace(keep, row=merged.row) != merged:
        conn.execute(update(writers).where(_key(keep)).values(updated_at=now_iso(), **values))
        report.updated.append(entry.ls_user)
    else:
        report.unchanged.append(entry.ls_user)


def _key(writer: RosterEntry):  # type: ignore[no-untyped-def]
    if writer.writer_id is not None:
        return writers.c.ls_user_id == writer.writer_id
    return writers.c.ls_email == writer.ls_email


@dataclass(frozen=True)
class RemovedWriter:
    writer: RosterEntry
    asked_as: str  # how the command named them


def remove_writers(
    engine: Engine, users: Sequence[str], accounts: Accounts | None = None, dry_run: bool = False
) -> list[RemovedWriter]:
    """Take writers off the roster (by Label Studio user id or e-mail), all or none, in one
    transaction (rolled back when ``dry_run``). Their ledger entries and batches stay.
    With ``accounts``, a writer stored by e-mail is also found by user id, and the reverse."""
    emails = dict(accounts.emails) if accounts else {}
    ids = {email: uid for uid, email in sorted(emails.items(), reverse=True) if email}
    with transaction(engine, rollback=dry_run) as conn:
        stored = load_roster(conn)
        removed: list[RemovedWriter] = []
        for user in dict.fromkeys(u.strip() for u in users):
            found = (
                stored.find(int(user), emails.get(int(user)))
                if user.isdigit()
                else stored.find(ids.get(user.lower(), -1), user.lower())
                if _EMAIL_RE.match(user)
                else None
            )
            if found is None:
                raise ApeachError(
                    f"{user!r} is not on the roster (give a Label Studio user id or e-mail of a writer "
                    "imported with `apeach-ls writers import`); nothing was removed"
                )
            if any(r.writer is found for r in removed):
                continue
            conn.execute(delete(writers).where(_key(found)))
            removed.append(RemovedWriter(found, user))
    return removed


class Roster:
    """The stored roster, looked up by Label Studio user id first, then by e-mail."""

    def __init__(self, entries: list[RosterEntry]):
        self.entries = entries
        self._by_id = {e.writer_id: e for e in entries if e.writer_id is not None}
        self._by_email = {e.ls_email: e for e in entries if e.ls_email is not None}

    def find(self, writer_id: int, email: str | None) -> RosterEntry | None:
        entry = self._by_id.get(writer_id)
        if entry is None and email:
            entry = self._by_email.get(email.strip().lower())
        return entry


def load_roster(conn: Connection) -> Roster:
    """Every stored writer (``row`` is 0: they come from the database, not a file)."""
    rows = conn.execute(
        select(
            writers.c.ls_user_id,
            writers.c.ls_email,
            writers.c.platform_id,
            writers.c.age,
            writers.c.gender,
            writers.c.assignment_id,
            writers.c.platform,
        ).order_by(writers.c.id)
    )
    return Roster(
        [
            RosterEntry(
                0,
                r.ls_user_id,
                r.ls_email,
                r.platform_id,
                r.age,
                r.gender,
                r.assignment_id,
                r.platform,
            )
            for r in rows
        ]
    )
