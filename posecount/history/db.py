"""The history file: where it is, opening it safely, and writing sessions, sets, reps and test results.

One SQLite file (``history.sqlite3`` in the user's data directory), in WAL mode so that readers never wait
for a writer, with a busy timeout so that two posecount processes writing at once both succeed (every
write is a short ``BEGIN IMMEDIATE`` transaction: the second writer waits for the first, it never fails on
a lock upgrade). Each write is committed at once with ``synchronous = FULL``: a rep added is on disk
when :meth:`History.add_rep` returns, so a crash (even of the machine) loses nothing added before it.

A file that is not a posecount history (garbage, another program's database, a newer posecount's schema)
or that cannot be opened is a :class:`HistoryError` (one line), and the file is left exactly as it was:
it is read, and checked whole (``PRAGMA quick_check``), before anything is written to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from posecount.errors import OutputError
from posecount.history.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from posecount.exercises.engine import RepRecord
    from posecount.report import Report

log = logging.getLogger(__name__)

#: The environment variable that chooses the file (``--db`` wins over it).
DB_ENV = "POSECOUNT_DB"
DB_NAME = "history.sqlite3"
#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

Kind = Literal["analyze", "live", "test", "routine"]
KINDS: tuple[str, ...] = ("analyze", "live", "test", "routine")


class HistoryError(OutputError):
    """The history database cannot be opened, read or written (one line; the file is left as it was)."""


def default_db_path() -> Path:
    """``$POSECOUNT_DB`` if set, else ``history.sqlite3`` in the user's data directory
    (``$XDG_DATA_HOME/posecount``, by default ``~/.local/share/posecount``, on Linux)."""
    env = os.environ.get(DB_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("posecount", appauthor=False) / DB_NAME


def timestamp(when: datetime | None = None) -> tuple[str, int, str]:
    """(UTC ISO 8601 with milliseconds and ``Z``, the local offset from UTC in seconds, the local date).

    ``when``: an aware datetime keeps its own offset (a session recorded in Berlin stays at Berlin's wall
    clock); a naive one is local time of this machine (its ``fold`` picks the hour repeated when the clocks
    go back); None is now. UTC orders sessions across time zones and clock changes; the offset gives back
    the wall-clock time and date the person lived it.
    """
    local = datetime.now().astimezone() if when is None else when
    if local.tzinfo is None or local.utcoffset() is None:
        local = local.astimezone()
    offset = local.utcoffset()
    assert offset is not None
    utc = local.astimezone(UTC)
    return (utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z",
            round(offset.total_seconds()), local.date().isoformat())


def _utc_now() -> str:
    return timestamp(datetime.now(UTC))[0]


class History:
    """The history file, open. Use as a context manager::

        with History.open(path) as h:          # None: default_db_path()
            sid = h.start_session("live", "side-leg-raise", source="camera:0")
            h.add_rep(sid, rep)                # committed at once: a crash keeps it
            h.start_set(sid, "seated-knee-extension")   # Tab: the next exercise; reps now go there
            h.finish_session(sid, report=report)

    or, for a run that is over, :meth:`record_report` (one transaction). Queries: :mod:`posecount.history.queries`.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # -- opening ----------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None) -> History:
        """Open (creating it and its directory if missing) and migrate the history file at ``path``."""
        path = Path(path).expanduser() if path is not None else default_db_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the directory of the history {path}: {exc.strerror or exc}") from exc
        if path.is_dir():
            raise HistoryError(f"{path} is a directory, not a history file")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history {path}: {exc}") from exc
        history = cls(conn, path)
        try:
            with history.errors("open"):
                history._check()
                mode = _wal(conn)
                if mode != "wal":  # a file system without shared memory: still correct, writers wait longer
                    log.warning("%s: journal mode %s, not WAL", path, mode)
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                history._migrate()
        except BaseException:
            conn.close()
            raise
        return history

    def _check(self) -> None:
        """Refuse, before writing anything, a file that is not (or not wholly) a posecount history."""
        c = self.conn
        c.execute("SELECT count(*) FROM sqlite_master").fetchone()  # "file is not a database" here
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        version = c.execute("PRAGMA user_version").fetchone()[0]
        # Ours: marked as ours, or still empty. Migration 1 sets the mark with the first table.
        if app_id != APPLICATION_ID and (app_id != 0 or version != 0 or self._has_tables()):
            raise HistoryError(f"{self.path} is not a posecount history (another program's database); "
                               "left as it is: choose another file with --db")
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path} was made by a newer posecount (history schema {version}; this one "
                               f"knows up to {SCHEMA_VERSION}); left as it is: update posecount")
        problems = [" ".join(str(row[0]).split()) for row in c.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise HistoryError(f"{self.path} is damaged ({'; '.join(problems)}); left as it is: move it away "
                               "(or choose another file with --db) to start a new history")

    def _has_tables(self) -> bool:
        return self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0

    def _migrate(self) -> None:
        """Bring the file up to :data:`SCHEMA_VERSION`, one migration per transaction."""
        while True:
            with self._transaction():
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]  # again, under the lock
                if version >= SCHEMA_VERSION:
                    return
                if version == 0:
                    if self._has_tables():
                        raise HistoryError(f"{self.path} is not a posecount history; left as it is")
                    self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                for statement in MIGRATIONS[version]:
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")
                log.info("%s: history schema %d -> %d", self.path, version, version + 1)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and errors ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock first, waiting up to the busy timeout);
        inside another one, just part of it."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:  # SQLite has already rolled back after some errors (disk full...)
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """SQLite's errors as one-line :class:`HistoryError` naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                text += f" (another posecount kept it busy for more than {BUSY_TIMEOUT_S:g} s)"
            elif "not a database" in text or "malformed" in text:
                text += "; left as it is: move it away (or choose another file with --db) to start a new history"
            raise HistoryError(" ".join(f"history {self.path}: cannot {doing}: {text}".split())) from exc

    # -- writing as a session goes ------------------------------------------------------------------------------
    def start_session(self, kind: Kind, exercise: str, *, source: str | None = None,
                      started_at: datetime | None = None, results_dir: Path | str | None = None,
                      tracks: Sequence[str] | None = None, settings: Mapping[str, object] | None = None) -> int:
        """A new session with its first set (of ``exercise``); returns the session's id. ``started_at``: see
        :func:`timestamp` (None: now)."""
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        from posecount import __version__

        started, offset_s, local_date = timestamp(started_at)
        with self.errors("start a session"), self._transaction() as c:
            sid = c.execute(
                "INSERT INTO sessions (started_at, utc_offset_s, local_date, kind, exercise, source, results_dir,"
                " posecount_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (started, offset_s, local_date, kind, exercise, source,
                 None if results_dir is None else str(Path(results_dir).resolve()), __version__)).lastrowid
            assert sid is not None
            self._insert_set(sid, 1, exercise, tracks=tracks, settings=settings)
        return sid

    def start_set(self, session_id: int, exercise: str, *, side: str | None = None, target_reps: int | None = None,
                  started_s: float | None = None, tracks: Sequence[str] | None = None,
                  settings: Mapping[str, object] | None = None) -> int:
        """The session's next set (Tab to another exercise, a routine's next set); the reps added from now on
        go into it. Returns the set's number (1, 2, ...). The previous set ends at ``started_s``."""
        with self.errors("start a set"), self._transaction() as c:
            last = c.execute("SELECT max(number) FROM sets WHERE session_id = ?", (session_id,)).fetchone()[0]
            if last is None:
                raise HistoryError(f"history {self.path}: no session {session_id}")
            if started_s is not None:
                c.execute("UPDATE sets SET ended_s = coalesce(ended_s, ?) WHERE session_id = ? AND number = ?",
                          (started_s, session_id, last))
            self._insert_set(session_id, last + 1, exercise, side=side, target_reps=target_reps,
                             started_s=started_s, tracks=tracks, settings=settings)
        return int(last) + 1

    def _insert_set(self, session_id: int, number: int, exercise: str, *, side: str | None = None,
                    target_reps: int | None = None, started_s: float | None = None, ended_s: float | None = None,
                    tracks: Sequence[str] | None = None, settings: Mapping[str, object] | None = None) -> int:
        set_id = self.conn.execute(
            "INSERT INTO sets (session_id, number, exercise, tracks, side, target_reps, started_s, ended_s, settings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, number, exercise, None if tracks is None else json.dumps(list(tracks)), side, target_reps,
             started_s, ended_s, None if settings is None else json.dumps(settings, ensure_ascii=False))).lastrowid
        assert set_id is not None
        return set_id

    def _current_set(self, session_id: int) -> int:
        row = self.conn.execute("SELECT id FROM sets WHERE session_id = ? ORDER BY number DESC LIMIT 1",
                                (session_id,)).fetchone()
        if row is None:
            raise HistoryError(f"history {self.path}: no session {session_id}")
        return int(row[0])

    def add_rep(self, session_id: int, rep: RepRecord, *, in_set: bool = True) -> None:
        """One attempt, into the session's current set (``in_set`` False: into none); on disk when this
        returns."""
        self.add_reps(session_id, (rep,), in_set=in_set)

    def add_reps(self, session_id: int, reps: Sequence[RepRecord], missing_only: bool = False, *,
                 in_set: bool = True) -> None:
        """Several attempts in one transaction, into the session's current set. ``missing_only``: skip those
        whose index the set already has (at the end of a session written as it went: the attempt the end
        closed as incomplete is new, the others are there). ``in_set`` False: the attempts belong to the
        session but to no set (``set_id`` NULL: a routine's attempt during a rest, a set-up check or the
        questions), so no set's, exercise's or leg's figures count them."""
        with self.errors("store the reps"), self._transaction() as c:
            current = self._current_set(session_id)  # also: the session exists
            set_id = current if in_set else None
            c.executemany(
                f"INSERT {'OR IGNORE ' if missing_only else ''}INTO reps (session_id, set_id, idx, side, start_s,"
                " peak_s, end_s, hold_s, lower_s, peak, unit, target, rest, counted, faults)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(session_id, set_id, r.index, r.side, r.start_s, r.peak_s, r.end_s, r.hold_s, r.lower_s, r.peak,
                  r.unit, r.target, r.rest, int(r.counted), json.dumps(list(r.faults))) for r in reps])

    def discard_reps(self, session_id: int) -> int:
        """Drop the current set's reps (live's ``r``: the count starts over); returns how many."""
        with self.errors("discard the reps"), self._transaction() as c:
            return c.execute("DELETE FROM reps WHERE set_id = ?", (self._current_set(session_id),)).rowcount

    def finish_session(self, session_id: int, *, report: Report | None = None,
                       counts: Mapping[str, int] | None = None, warnings: Sequence[str] | None = None,
                       test: Mapping[str, object] | None = None, ended_at: datetime | None = None) -> None:
        """The session is over: its end time, its counts, warnings, length and pose fraction (from ``report``
        if given), its function test's result (``test``: report.json's test object; default ``report.test``).
        ``counts``: default the report's, else counted reps per side from the stored reps."""
        with self.errors("finish the session"), self._transaction() as c:
            if counts is None and report is not None:
                counts = report.counts
            if counts is None:
                counts = self.counts_from_reps(session_id)
            if warnings is None:
                warnings = report.warnings if report is not None else []
            c.execute("UPDATE sessions SET ended_at = ?, counts = ?, warnings = ?,"
                      " duration_s = coalesce(?, duration_s),"
                      " pose_detected_fraction = coalesce(?, pose_detected_fraction) WHERE id = ?",
                      (_utc_now() if ended_at is None else timestamp(ended_at)[0], json.dumps(dict(counts)),
                       json.dumps(list(warnings), ensure_ascii=False),
                       None if report is None else round(report.duration_s, 3),
                       None if report is None else report.pose_detected_fraction, session_id))
            if test is None and report is not None:
                test = report.test
            if test is not None:
                self._insert_test(session_id, test)

    def counts_from_reps(self, session_id: int) -> dict[str, int]:
        rows = dict(self.conn.execute("SELECT side, sum(counted) FROM reps WHERE session_id = ? GROUP BY side",
                                      (session_id,)).fetchall())
        counts = {"left": int(rows.get("left") or 0), "right": int(rows.get("right") or 0)}
        if "both" in rows:
            counts["both"] = int(rows["both"] or 0)
            counts["total"] = counts["both"]
        else:
            counts["total"] = counts["left"] + counts["right"]
        return counts

    def _insert_test(self, session_id: int, test: Mapping[str, object]) -> None:
        norm = test.get("norm") if isinstance(test.get("norm"), dict) else None
        below = None if norm is None else norm.get("below_norm")  # type: ignore[union-attr]
        self.conn.execute(
            "INSERT OR REPLACE INTO test_results (session_id, protocol, kind, score, time_s, completed, voided_by,"
            " age, sex, norm_threshold, below_norm, verdict, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, test.get("name"), test.get("kind"), test.get("score"), test.get("time_s"),
             int(bool(test.get("completed"))), test.get("voided_by"), test.get("age"), test.get("sex"),
             None if norm is None else norm.get("threshold"),  # type: ignore[union-attr]
             None if below is None else int(bool(below)), str(test.get("verdict") or ""),
             json.dumps(test, ensure_ascii=False)))

    def rate(self, session_id: int, *, pain: int | None = None, effort: int | None = None) -> None:
        """The person's pain and effort for the session (0-10 each; None leaves one as it is)."""
        for name, value in (("pain", pain), ("effort", effort)):
            if value is not None and not 0 <= value <= 10:
                raise ValueError(f"{name} must be 0-10, not {value}")
        with self.errors("store pain and effort"), self._transaction() as c:
            c.execute("UPDATE sessions SET pain = coalesce(?, pain), effort = coalesce(?, effort) WHERE id = ?",
                      (pain, effort, session_id))

    # -- a whole run at once --------------------------------------------------------------------------------------
    def record_report(self, report: Report, kind: Kind, *, started_at: datetime | None = None,
                      results_dir: Path | str | None = None, segments: Sequence[Report] = ()) -> int:
        """A finished run in one transaction: the session, a set per exercise (``segments``, the exercises
        live showed before Tab, then ``report``), every rep, the test result. Returns the session's id."""
        reports = [*segments, report]
        with self.errors("store the session"), self._transaction():
            sid = self.start_session(kind, reports[0].exercise, source=report.source.path, started_at=started_at,
                                     results_dir=results_dir, tracks=reports[0].tracks,
                                     settings=reports[0].settings or None)
            for i, part in enumerate(reports):
                if i:
                    self.start_set(sid, part.exercise, tracks=part.tracks, settings=part.settings or None)
                self.add_reps(sid, part.reps)
            counts = report.counts
            if segments:
                counts = {}
                for part in reports:
                    for key, n in part.counts.items():
                        counts[key] = counts.get(key, 0) + n
            self.finish_session(sid, report=report, counts=counts)
        return sid


def _wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL; the journal mode in force. Changing the journal mode needs the file to itself, and SQLite
    reports "database is locked" at once, without waiting out the busy timeout, while another process is
    creating or migrating a fresh file: so wait here, up to the same timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)

