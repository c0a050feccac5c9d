"""The session history (issue 10, parts 2-3) on real SQLite files: two processes writing at once, a process
killed mid-session, a file of the previous schema, a corrupt or unwritable file, time zones and clock
changes, and `posecount history --json/--csv` against real `analyze` and `test` runs (replayed landmarks,
no model)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from commands import command, one_error_line, posecount
from conftest import COMMITTED_LANDMARKS, SAMPLES

from posecount.exercises import get_exercise
from posecount.exercises.engine import RepRecord
from posecount.history import (
    History,
    HistoryError,
    SessionWriter,
    daily,
    default_db_path,
    fault_counts,
    read_sessions,
    sessions,
)
from posecount.history.schema import APPLICATION_ID, SCHEMA_VERSION
from posecount.pipeline import run_analysis
from posecount.recording import PoseTrack
from posecount.report import Report

BERLIN = ZoneInfo("Europe/Berlin")
#: a clip with several faults on one rep, and one with attempts that are not counted
FAULTY = "slr_fast_lower_knee_bent"
SHORT_HOLDS = "slr_hold_too_short"


def analyze_args(clip: str, out: Path, *extra: str) -> list[str]:
    return ["analyze", str(SAMPLES / f"{clip}.mp4"), "--exercise", "side-leg-raise", "--no-video",
            "--landmarks", str(COMMITTED_LANDMARKS / f"{clip}.npz"), "--out", str(out), *extra]


def rep(index: int, side: str = "left", counted: bool = True, peak: float = 30.0, hold_s: float = 2.5,
        faults: tuple[str, ...] = ()) -> RepRecord:
    t = 6.0 * index
    return RepRecord(index=index, side=side, start_s=t, peak_s=t + 1.0, end_s=t + 3.0 + hold_s, hold_s=hold_s,  # type: ignore[arg-type]
                     peak=peak, counted=counted, faults=faults, lower_s=1.1, target=20.0, rest=2.0)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Real reports of two samples (the engine on their committed landmarks)."""
    spec = get_exercise("side-leg-raise")
    out = tmp_path_factory.mktemp("reports")
    return {clip: run_analysis(SAMPLES / f"{clip}.mp4", spec, out / clip, None, write_video=False,
                               landmarks=PoseTrack.load(COMMITTED_LANDMARKS / f"{clip}.npz"))
            for clip in (FAULTY, SHORT_HOLDS)}


# -- the file itself ----------------------------------------------------------------------------------------------
def test_a_new_file_is_wal_versioned_ours_and_answers_what_was_written(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "history.sqlite3"
    with History.open(db) as h:
        sid = h.start_session("live", "side-leg-raise", source="camera:0")
        h.add_rep(sid, rep(1, "left", faults=("trunk_lean",)))
        h.add_rep(sid, rep(2, "right", counted=False, peak=15.0, hold_s=0.0, faults=("range_too_small",)))
        h.add_rep(sid, rep(3, "left", peak=34.0, hold_s=3.5))
        assert h.start_set(sid, "seated-knee-extension", started_s=20.0) == 2
        h.add_rep(sid, rep(4, "right", peak=150.0))
        h.add_rep(sid, rep(5, "right", peak=152.0))
        assert h.discard_reps(sid) == 2  # `r`: the count of the exercise on screen starts over
        h.add_rep(sid, rep(1, "right", peak=155.0))
        h.finish_session(sid)
        h.rate(sid, pain=2, effort=6)
        with pytest.raises(ValueError, match="pain must be 0-10"):
            h.rate(sid, pain=11)
        got = sessions(h, reps=True)
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    raw.close()
    slr, ske = got
    assert (slr.session_id, slr.exercise, ske.session_id, ske.exercise) == (sid, "side-leg-raise", sid,
                                                                             "seated-knee-extension")
    assert slr.counts == {"left": 2, "right": 0, "total": 2} and slr.attempts == 3
    assert slr.legs["left"].mean_hold_s == pytest.approx(3.0) and slr.legs["left"].best_peak == 34.0
    assert slr.legs["right"].faults_per_rep == 1.0
    assert slr.faults == {"range_too_small": 1, "trunk_lean": 1}
    assert ske.counts == {"left": 0, "right": 1, "total": 1} and [r.peak for r in ske.reps or []] == [155.0]
    assert slr.finished and (slr.pain, slr.effort) == (2, 6)
    assert slr.reps is not None and slr.reps[0] == rep(1, "left", faults=("trunk_lean",))


WRITER = """
import sys, time
from pathlib import Path
from posecount.exercises.engine import RepRecord
from posecount.history import History
db, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():
    time.sleep(0.002)
for i in range(n):
    with History.open(db) as h:  # a new connection each time: the opening races too (WAL, migrations)
        sid = h.start_session("live", "side-leg-raise", source=f"{who}-{i}")
        for k in range(5):
            h.add_rep(sid, RepRecord(index=k + 1, side="left", start_s=k, peak_s=k + 0.5, end_s=k + 1.0,
                                     hold_s=2.0, peak=30.0 + i, counted=True, faults=()))
            time.sleep(0.003)  # as a live session does between reps: the two writers overlap for sure
        h.finish_session(sid)
print("wrote", n)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db, go, n = tmp_path / "history.sqlite3", tmp_path / "go", 30  # a fresh file: both create and migrate it
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), who, str(n), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for who in ("a", "b")]
    time.sleep(1.0)  # both started and waiting
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    with History.open(db) as h:
        got = sessions(h)
        assert h.conn.execute("SELECT count(*) FROM reps").fetchone()[0] == 2 * n * 5
    assert len(got) == 2 * n and all(s.finished and s.counts["left"] == 5 for s in got)
    assert sorted(s.source or "" for s in got) == sorted(f"{w}-{i}" for w in "ab" for i in range(n))
    writers = [(s.source or "")[0] for s in got]  # in the order the sessions started
    switches = sum(a != b for a, b in itertools.pairwise(writers))
    assert switches > 2, f"the two wrote at the same time, not one after the other: {''.join(writers)}"


@pytest.mark.slow
def test_two_analyze_runs_at_once_are_both_stored(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    procs = [subprocess.Popen([*command(), *analyze_args(clip, tmp_path / clip, "--db", str(db))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for clip in (FAULTY, SHORT_HOLDS)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _, got = read_sessions(db)
    assert sorted(s.source or "" for s in got) == [f"{FAULTY}.mp4", f"{SHORT_HOLDS}.mp4"]


KILLED = """
import sys, time
from posecount.exercises.engine import RepRecord
from posecount.history import History
h = History.open(sys.argv[1])
sid = h.start_session("live", "side-leg-raise", source="camera:0")
for k in range(7):
    h.add_rep(sid, RepRecord(index=k + 1, side="left" if k % 2 else "right", start_s=6.0 * k, peak_s=6.0 * k + 1,
                             end_s=6.0 * k + 5, hold_s=2.5, peak=31.0 + k, counted=k != 3, faults=()))
    print(k + 1, flush=True)
time.sleep(600)
"""


def test_a_process_killed_mid_session_keeps_every_rep_added_before(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    added = [proc.stdout.readline().strip() for _ in range(7)]
    assert added == [str(k) for k in range(1, 8)], proc.stderr.read() if proc.poll() is not None else added
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    r = posecount("history", "--json", "--db", str(db))
    assert r.returncode == 0, r.stderr
    (session,) = json.loads(r.stdout)["sessions"]
    assert session["finished"] is False and session["attempts"] == 7
    assert session["counts"] == {"left": 2, "right": 4, "total": 6}  # the 4th (a left one) not counted
    assert [r["peak_angle_deg"] for r in session["reps"]] == [31.0 + k for k in range(7)]
    assert "unfinished" in posecount("history", "--db", str(db)).stdout


# -- the previous schema ---------------------------------------------------------------------------------------------
#: Version 1 of the schema as it was written (frozen here: the test must not follow later edits of migration 1).
V1 = (
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, utc_offset_s INTEGER NOT NULL, local_date TEXT NOT NULL,
        ended_at TEXT, kind TEXT NOT NULL, exercise TEXT NOT NULL, source TEXT, results_dir TEXT,
        posecount_version TEXT NOT NULL, counts TEXT NOT NULL DEFAULT '{}', warnings TEXT NOT NULL DEFAULT '[]',
        duration_s REAL, pose_detected_fraction REAL)""",
    """CREATE TABLE reps (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, side TEXT NOT NULL CHECK (side IN ('left', 'right', 'both')), start_s REAL NOT NULL,
        peak_s REAL NOT NULL, end_s REAL NOT NULL, hold_s REAL NOT NULL, lower_s REAL, peak REAL NOT NULL,
        unit TEXT NOT NULL DEFAULT 'deg', target REAL, rest REAL, counted INTEGER NOT NULL CHECK (counted IN (0, 1)),
        faults TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX reps_session ON reps(session_id)",
    "CREATE INDEX sessions_started ON sessions(started_at)",
)


def _write_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statement in V1:
        conn.execute(statement)
    conn.execute("PRAGMA application_id = 1346589768")  # 0x50435448, "PCTH"
    conn.execute("PRAGMA user_version = 1")
    sessions_v1 = [  # (started_at, offset, local date, kind, exercise, counts)
        ("2025-03-01T08:00:00.000Z", 3600, "2025-03-01", "live", "side-leg-raise",
         '{"left": 2, "right": 1, "total": 3}'),
        ("2025-03-02T08:00:00.000Z", 3600, "2025-03-02", "analyze", "seated-knee-extension",
         '{"left": 0, "right": 1, "total": 1}'),
    ]
    for i, (started, offset, day, kind, exercise, counts) in enumerate(sessions_v1, start=1):
        conn.execute("INSERT INTO sessions (id, started_at, utc_offset_s, local_date, ended_at, kind, exercise, source,"
                     " posecount_version, counts) VALUES (?, ?, ?, ?, ?, ?, ?, 'clip.mp4', '0.1.0', ?)",
                     (i, started, offset, day, started, kind, exercise, counts))
    reps_v1 = [(1, 1, "left", 30.0, 1, '["trunk_lean"]'), (1, 2, "right", 25.0, 1, "[]"), (1, 3, "left", 33.0, 1, "[]"),
               (1, 4, "right", 12.0, 0, '["range_too_small"]'), (2, 1, "right", 158.0, 1, "[]")]
    conn.executemany("INSERT INTO reps (session_id, idx, side, start_s, peak_s, end_s, hold_s, peak, target, rest,"
                     " counted, faults) VALUES (?, ?, ?, 1.0, 2.0, 6.0, 2.5, ?, 20.0, 2.0, ?, ?)", reps_v1)
    conn.commit()
    conn.close()


def _layout(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    layout: dict[str, object] = {t: sorted((c[1], c[2]) for c in conn.execute(f"PRAGMA table_info({t})"))
                                 for t in tables}
    layout["indexes"] = sorted(n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
    conn.close()
    return layout


def test_a_file_of_the_previous_schema_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    old, fresh = tmp_path / "v1.sqlite3", tmp_path / "fresh.sqlite3"
    _write_v1(old)
    with History.open(old) as h:
        assert h.schema_version == SCHEMA_VERSION == 2
        got = sessions(h, reps=True)
        sid = h.start_session("live", "side-leg-raise")  # and it takes new sessions
        h.add_rep(sid, rep(1))
        h.finish_session(sid)
        h.rate(got[0].session_id, pain=3)
    History.open(fresh).close()
    assert _layout(old) == _layout(fresh), "a migrated file has the same tables, columns and indexes as a new one"
    first, second = got
    assert (first.exercise, first.kind, first.counts) == ("side-leg-raise", "live", {"left": 2, "right": 1, "total": 3})
    assert [r.index for r in first.reps or []] == [1, 2, 3, 4] and first.faults == {"range_too_small": 1,
                                                                                    "trunk_lean": 1}
    assert first.legs["left"].best_peak == 33.0 and first.started_at.isoformat() == "2025-03-01T09:00:00+01:00"
    assert (second.exercise, second.counts["right"]) == ("seated-knee-extension", 1)
    _, again = read_sessions(old)  # opening again: nothing to migrate, nothing lost
    assert [s.session_id for s in again] == [1, 2, 3] and again[0].pain == 3


def test_a_migration_that_fails_leaves_the_file_at_its_version_with_its_data(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each migration is one transaction: one that fails at its last statement changes nothing."""
    import posecount.history.db as db_module

    old = tmp_path / "v1.sqlite3"
    _write_v1(old)
    broken = (db_module.MIGRATIONS[0], (*db_module.MIGRATIONS[1], "CREATE TABLE sets (x)"))
    monkeypatch.setattr(db_module, "MIGRATIONS", broken)
    with pytest.raises(HistoryError, match="already exists"):
        History.open(old)
    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('sets', 'test_results')").fetchone()[0] == 0
    assert "set_id" not in [c[1] for c in conn.execute("PRAGMA table_info(reps)")]
    assert conn.execute("SELECT count(*) FROM reps").fetchone()[0] == 5
    conn.close()
    monkeypatch.undo()
    with History.open(old) as h:  # and the real migration still runs
        assert h.schema_version == SCHEMA_VERSION


# -- files that must not be touched -----------------------------------------------------------------------------------
def _damaged_history(path: Path) -> None:
    with History.open(path) as h:
        for day in range(20):
            sid = h.start_session("live", "side-leg-raise", started_at=datetime(2025, 5, 1 + day, 9, tzinfo=BERLIN))
            h.add_reps(sid, [rep(i, "left" if i % 2 else "right") for i in range(1, 60)])
            h.finish_session(sid)
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2:] = bytes((i * 7 + 3) % 256 for i in range(len(data) - page * 2))  # every table page but the first
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("what", ["garbage", "damaged", "foreign", "newer"])
def test_a_file_that_is_not_a_usable_history_is_one_line_and_left_byte_identical(tmp_path: Path, what: str) -> None:
    db = tmp_path / "history.sqlite3"
    if what == "garbage":
        db.write_bytes(b"this is not a database\n" + bytes(range(256)) * 64)
    elif what == "damaged":
        _damaged_history(db)
    else:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE notes (text TEXT)")
        if what == "newer":
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
    before = db.read_bytes()
    listed = posecount("history", "--db", str(db))
    assert str(db) in one_error_line(listed)
    stored = posecount(*analyze_args(FAULTY, tmp_path / "out", "--db", str(db)))
    line = one_error_line(stored)
    assert f"the results are written in {tmp_path / 'out'}/, but not stored in the history" in line
    assert str(db) in line and {"garbage": "not a database", "damaged": "damaged", "foreign": "another program",
                                "newer": "newer posecount"}[what] in line
    assert "Standing side leg raise: left 2, right 1" in stored.stdout  # the run itself went through
    assert (tmp_path / "out" / "report.json").is_file() and (tmp_path / "out" / "reps.csv").is_file()
    assert db.read_bytes() == before
    with pytest.raises(HistoryError):
        History.open(db)
    assert db.read_bytes() == before


def test_an_unwritable_location_is_one_line_and_the_results_are_still_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    for db in (blocker / "history.sqlite3", tmp_path):  # under a file; a directory
        r = posecount(*analyze_args(SHORT_HOLDS, tmp_path / "out", "--db", str(db)))
        line = one_error_line(r)
        assert "but not stored in the history" in line and str(db) in line
        assert (tmp_path / "out" / "report.json").is_file()
        assert "Traceback" not in r.stderr
    assert blocker.read_text() == "not a directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    r = posecount(*analyze_args(SHORT_HOLDS, tmp_path / "out", "--db", str(locked / "history.sqlite3")))
    assert "but not stored in the history" in one_error_line(r)


# -- time zones and clock changes -------------------------------------------------------------------------------------
#: Around Berlin's clock changes of 2025: (wall-clock time, fold, expected UTC, expected offset).
BERLIN_TIMES = [
    (datetime(2025, 3, 29, 23, 30), 0, "2025-03-29T22:30:00.000Z", "+01:00"),
    (datetime(2025, 3, 30, 0, 30), 0, "2025-03-29T23:30:00.000Z", "+01:00"),  # a local day ahead of UTC's
    (datetime(2025, 3, 30, 1, 59), 0, "2025-03-30T00:59:00.000Z", "+01:00"),
    (datetime(2025, 3, 30, 3, 1), 0, "2025-03-30T01:01:00.000Z", "+02:00"),  # 2 minutes later: clocks went forward
    (datetime(2025, 10, 26, 2, 30), 0, "2025-10-26T00:30:00.000Z", "+02:00"),  # 02:30 summer time
    (datetime(2025, 10, 26, 2, 30), 1, "2025-10-26T01:30:00.000Z", "+01:00"),  # 02:30 again, winter time
]


def test_sessions_around_clock_changes_keep_their_order_and_local_dates(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with History.open(db) as h:
        for i in (3, 0, 5, 1, 4, 2):  # stored out of order
            wall, fold, _, _ = BERLIN_TIMES[i]
            sid = h.start_session("live", "side-leg-raise", source=f"s{i}",
                                  started_at=wall.replace(tzinfo=BERLIN, fold=fold))
            h.add_rep(sid, rep(1))
            h.finish_session(sid)
        got = sessions(h)
        assert [s.source for s in got] == [f"s{i}" for i in range(6)]
        for s, (wall, _, utc, offset) in zip(got, BERLIN_TIMES, strict=True):
            assert s.started_at.replace(tzinfo=None) == wall and s.started_at.isoformat().endswith(offset)
            assert s.started_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") == utc
        assert [s.source for s in sessions(h, since=date(2025, 3, 30), until=date(2025, 3, 30))] == ["s1", "s2", "s3"]
        assert [(d.day.isoformat(), d.sessions) for d in daily(h)] == [
            ("2025-03-29", 1), ("2025-03-30", 3), ("2025-10-26", 2)]

    # The listing is the same whatever the zone of the person reading it (the offsets are stored).
    listings = [posecount("history", "--json", "--db", str(db), env={"TZ": tz})
                for tz in ("Europe/Berlin", "America/New_York", "Asia/Tokyo")]
    assert all(r.returncode == 0 for r in listings), [r.stderr for r in listings]
    assert listings[0].stdout == listings[1].stdout == listings[2].stdout
    rows = json.loads(listings[0].stdout)["sessions"]
    assert [r["local_time"] for r in rows] == [w.strftime("%Y-%m-%dT%H:%M:%S") + o for w, _, _, o in BERLIN_TIMES]
    assert [r["local_date"] for r in rows] == ["2025-03-29"] + ["2025-03-30"] * 3 + ["2025-10-26"] * 2


NAIVE_TIMES = """
import sys
from datetime import datetime
from posecount.history import History
with History.open(sys.argv[1]) as h:
    for when in (datetime(2025, 10, 26, 2, 30, fold=0), datetime(2025, 10, 26, 2, 30, fold=1), None):
        h.finish_session(h.start_session("analyze", "side-leg-raise", started_at=when))
"""


def test_the_local_zone_of_the_machine_is_stored_with_each_session(tmp_path: Path) -> None:
    """Naive times and "now" are the machine's local time (TZ), stored as UTC and that moment's offset."""
    db = tmp_path / "history.sqlite3"
    r = subprocess.run([sys.executable, "-c", NAIVE_TIMES, str(db)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "TZ": "Europe/Berlin"})
    assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT started_at, utc_offset_s, local_date FROM sessions ORDER BY id").fetchall()
    conn.close()
    assert rows[:2] == [("2025-10-26T00:30:00.000Z", 7200, "2025-10-26"), ("2025-10-26T01:30:00.000Z", 3600,
                                                                             "2025-10-26")]
    now_utc = datetime.fromisoformat(rows[2][0])
    assert abs((datetime.now(UTC) - now_utc).total_seconds()) < 120
    berlin_now = now_utc.astimezone(BERLIN)
    assert rows[2][1:] == (round(berlin_now.utcoffset().total_seconds()), berlin_now.date().isoformat())  # type: ignore[union-attr]


# -- the commands ----------------------------------------------------------------------------------------------------
def test_history_json_and_csv_give_back_the_numbers_of_a_real_analyze_run(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    ran = posecount(*analyze_args(FAULTY, tmp_path / "out", "--db", str(db)))
    assert ran.returncode == 0, ran.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sum(len(r["faults"]) for r in report["reps"]) >= 3, "a clip with faults, some reps with two"

    listed = posecount("history", "--json", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    (s,) = json.loads(listed.stdout)["sessions"]
    assert (s["kind"], s["exercise"], s["source"], s["finished"]) == ("analyze", "side-leg-raise", f"{FAULTY}.mp4",
                                                                      True)
    assert s["counts"] == report["counts"] and s["reps"] == report["reps"]
    assert s["results_dir"] == str((tmp_path / "out").resolve()) and s["warnings"] == report["warnings"]
    assert s["faults"] == dict(Counter(f for r in report["reps"] for f in r["faults"]))
    for side in ("left", "right"):
        mine = [r for r in report["reps"] if r["side"] == side]
        leg = s["legs"][side]
        assert leg["attempts"] == len(mine) and leg["counted"] == report["counts"][side]
        assert leg["mean_hold_s"] == pytest.approx(mean(r["hold_s"] for r in mine), abs=0.01)
        assert leg["mean_peak"] == pytest.approx(mean(r["peak_angle_deg"] for r in mine), abs=0.1)
        assert leg["best_peak"] == max(r["peak_angle_deg"] for r in mine)
        assert leg["faults"] == sum(len(r["faults"]) for r in mine)
    local = datetime.fromisoformat(s["local_time"])
    assert abs((datetime.now().astimezone() - local).total_seconds()) < 300

    table = posecount("history", "--csv", "--db", str(db))
    assert table.returncode == 0, table.stderr
    (row,) = list(csv.DictReader(io.StringIO(table.stdout)))
    assert (row["counted_left"], row["counted_right"], row["counted_total"], row["counted_both"]) == (
        str(report["counts"]["left"]), str(report["counts"]["right"]), str(report["counts"]["total"]), "")
    for side in ("left", "right"):
        assert float(row[f"mean_hold_s_{side}"]) == s["legs"][side]["mean_hold_s"]
        assert float(row[f"best_peak_{side}"]) == s["legs"][side]["best_peak"]
    assert int(row["fault_count"]) == sum(len(r["faults"]) for r in report["reps"])
    assert row["local_time"] == s["local_time"] and row["finished"] == "true"

    shown = posecount("history", "--db", str(db))
    assert shown.returncode == 0 and "side-leg-raise" in shown.stdout
    counted = {side: sum(r["counted"] for r in report["reps"] if r["side"] == side) for side in ("left", "right")}
    attempts = {side: sum(r["side"] == side for r in report["reps"]) for side in ("left", "right")}
    assert f"L {counted['left']} of {attempts['left']}" in shown.stdout
    assert f"R {counted['right']} of {attempts['right']}" in shown.stdout


def test_no_history_writes_nothing_and_db_and_the_environment_choose_the_file(tmp_path: Path) -> None:
    chosen, from_env = tmp_path / "chosen.sqlite3", tmp_path / "env.sqlite3"
    env = {"POSECOUNT_DB": str(from_env)}
    r = posecount(*analyze_args(SHORT_HOLDS, tmp_path / "a", "--no-history", "--db", str(chosen)), env=env)
    assert r.returncode == 0, r.stderr
    assert not chosen.exists() and not from_env.exists()
    r = posecount(*analyze_args(SHORT_HOLDS, tmp_path / "b", "--db", str(chosen)), env=env)
    assert r.returncode == 0, r.stderr
    assert chosen.is_file() and not from_env.exists()
    r = posecount(*analyze_args(SHORT_HOLDS, tmp_path / "c"), env=env)
    assert r.returncode == 0, r.stderr
    assert [len(read_sessions(p)[1]) for p in (chosen, from_env)] == [1, 1]
    empty = posecount("history", "--db", str(tmp_path / "none.sqlite3"))
    assert empty.returncode == 0 and "no sessions" in empty.stdout
    assert not (tmp_path / "none.sqlite3").exists(), "reading a history does not create one"


def test_the_default_file_is_in_the_users_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECOUNT_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "data" / "posecount" / "history.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "posecount" / "history.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "POSECOUNT_DB"} | {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    r = subprocess.run([*command(), *analyze_args(SHORT_HOLDS, tmp_path / "out")], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert len(read_sessions(tmp_path / "xdg" / "posecount" / "history.sqlite3")[1]) == 1


def test_a_function_test_is_stored_with_its_result(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    clip = "ske_clean_facing_right"
    r = posecount("test", "chair-stand-30s", str(SAMPLES / f"{clip}.mp4"), "--age", "70", "--sex", "female",
                  "--no-video", "--landmarks", str(COMMITTED_LANDMARKS / f"{clip}.npz"), "--out", str(tmp_path / "out"),
                  "--db", str(db))
    assert r.returncode == 0, r.stderr
    test = json.loads((tmp_path / "out" / "report.json").read_text())["test"]
    (s,) = json.loads(posecount("history", "--json", "--db", str(db)).stdout)["sessions"]
    assert (s["kind"], s["exercise"], s["test"]) == ("test", "sit-to-stand", test)
    assert s["counts"] == {"left": 0, "right": 0, "both": 0, "total": 0}
    with History.open(db) as h:
        row = h.conn.execute("SELECT protocol, score, below_norm, norm_threshold FROM test_results").fetchone()
    assert row == ("chair-stand-30s", 0, 1, 10.0)
    shown = posecount("history", "--db", str(db)).stdout
    assert "chair-stand-30s" in shown and "below norm" in shown


def test_a_live_session_with_exercises_switched_is_one_session_with_a_set_each(
        tmp_path: Path, reports: dict[str, Report], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The live command's hook (the camera and the model replaced): report.json's exercise and the segment
    before Tab are stored as one session."""
    import posecount.cli as cli
    import posecount.live as live
    from posecount.live import EndReason, LiveResult, LiveStats, Segment

    first, last = reports[FAULTY], reports[SHORT_HOLDS]
    seen: list[object] = []

    def fake_session(options: live.LiveOptions) -> LiveResult:
        """What LiveLoop does with the history as it runs (tests/test_live.py checks the loop calls these)."""
        seen.append(options)
        assert options.history is not None
        for rep in first.reps:
            options.history.rep(rep)
        options.history.switched(first.reps, options.spec, at_s=20.0)
        for rep in last.reps:
            options.history.rep(rep)
        return LiveResult(last, LiveStats(), EndReason.QUIT, [Segment(first, 0.0, 20.0)])

    monkeypatch.setattr(live, "run_live_session", fake_session)
    monkeypatch.setattr(cli, "_pose_options", lambda *args: None)
    db = tmp_path / "history.sqlite3"
    monkeypatch.setattr(sys, "argv", ["posecount", "live", "-e", "side-leg-raise", "--headless", "--out",
                                      str(tmp_path), "--db", str(db)])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code in (0, None), capsys.readouterr().err
    assert len(seen) == 1
    _, got = read_sessions(db, reps=True)
    assert len(got) == 1, "the two parts are the same exercise here: one summary"
    (s,) = got
    assert s.kind == "live" and s.attempts == len(first.reps) + len(last.reps)
    assert s.counts["left"] == first.counts["left"] + last.counts["left"]
    with History.open(db) as h:
        sets = h.conn.execute("SELECT number, exercise FROM sets ORDER BY number").fetchall()
        (stored,) = h.conn.execute("SELECT counts FROM sessions").fetchone()
    assert sets == [(1, "side-leg-raise"), (2, "side-leg-raise")]
    assert json.loads(stored)["total"] == first.counts["total"] + last.counts["total"]


def test_a_live_session_written_as_it_goes_ends_as_its_report(tmp_path: Path, reports: dict[str, Report]) -> None:
    """What the live loop would call (SessionWriter): every finished attempt is readable at once; Tab starts a
    set; r drops the count of the exercise on screen; the end adds the attempt it closed."""
    db, spec = tmp_path / "history.sqlite3", get_exercise("side-leg-raise")
    first, last = reports[SHORT_HOLDS], reports[FAULTY]
    writer = SessionWriter.start(db, "live", spec, "camera:0", tmp_path)
    for r in first.reps[:-1]:
        writer.rep(r)
    _, so_far = read_sessions(db, reps=True)  # another process reading mid-session
    assert so_far[0].reps == first.reps[:-1] and not so_far[0].finished
    writer.switched(first.reps, spec, at_s=40.0)  # the switch closed the last attempt
    writer.rep(last.reps[0])
    writer.reset()  # a false start: the count starts over
    for r in last.reps[:-1]:
        writer.rep(r)
    sid = writer.finish(last)
    _, (s,) = read_sessions(db, reps=True)
    assert s.session_id == sid and s.finished and s.reps == first.reps + last.reps
    assert s.counts == {k: first.counts[k] + last.counts[k] for k in ("left", "right", "total")}
    with History.open(db) as h:
        sets = h.conn.execute("SELECT number, exercise, ended_s FROM sets ORDER BY number").fetchall()
    assert sets == [(1, "side-leg-raise", 40.0), (2, "side-leg-raise", None)]


def test_a_routines_attempts_between_its_sets_are_kept_in_no_set(tmp_path: Path, reports: dict[str, Report]) -> None:
    """A routine written as it goes (what the live loop calls): a set per leg, from routine_set to end_set where
    its leg ended. An attempt finished while no set is open (before the first set-up check passed, in the rest,
    at the questions) is stored in the session but in no set: no set, leg or day counts it, and the next set
    leaves the one before ending where its leg did."""
    db, spec = tmp_path / "history.sqlite3", get_exercise("side-leg-raise")
    writer = SessionWriter.start(db, "routine", spec, "camera:0", tmp_path)
    writer.rep(rep(1, "left"))  # before the set-up check passed
    writer.routine_set(spec, side="left", target_reps=1, at_s=2.5)
    writer.rep(rep(2, "left"))
    writer.end_set(at_s=8.3)
    writer.rep(rep(3, "left"))  # during the rest
    writer.rep(rep(4, "right"))
    writer.routine_set(spec, side="right", target_reps=1, at_s=18.3)
    writer.rep(rep(5, "right"))
    writer.end_set(at_s=25.0)
    writer.rep(rep(6, "left"))  # at the questions
    sid = writer.finish(reports[FAULTY])
    with History.open(db) as h:
        stored = h.conn.execute("SELECT reps.idx, sets.number FROM reps LEFT JOIN sets ON sets.id = reps.set_id"
                                " WHERE reps.session_id = ? ORDER BY reps.idx", (sid,)).fetchall()
        sets = h.conn.execute("SELECT number, side, started_s, ended_s FROM sets ORDER BY number").fetchall()
        days = {d.side: d.leg for d in daily(h, "side-leg-raise")}
    assert stored == [(1, None), (2, 1), (3, None), (4, None), (5, 2), (6, None)], "every attempt, in its set or none"
    assert sets == [(1, "left", 2.5, 8.3), (2, "right", 18.3, 25.0)], "each set ends where its leg did"
    _, (s,) = read_sessions(db, reps=True)
    assert s.reps == [rep(2, "left"), rep(5, "right")]
    assert (s.legs["left"].attempts, s.legs["right"].attempts) == (1, 1)
    assert s.counts == {"left": 1, "right": 1, "total": 2}
    assert (days["left"].attempts, days["right"].attempts) == (1, 1)


def test_a_live_session_goes_on_when_the_history_cannot_be_written(tmp_path: Path, reports: dict[str, Report]) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"garbage" * 500)
    writer = SessionWriter.start(db, "live", get_exercise("side-leg-raise"), "camera:0", tmp_path / "out")
    for r in reports[FAULTY].reps:
        writer.rep(r)
    with pytest.raises(HistoryError, match=r"results are written in .*/out/, but not stored in the history: .*not a"):
        writer.finish(reports[FAULTY])
    assert db.read_bytes() == b"garbage" * 500


def test_a_finished_run_is_stored_whole_and_the_queries_for_progress_answer(tmp_path: Path,
                                                                            reports: dict[str, Report]) -> None:
    db = tmp_path / "history.sqlite3"
    first, second = reports[FAULTY], reports[SHORT_HOLDS]
    with History.open(db) as h:
        day1 = h.record_report(first, "analyze", started_at=datetime(2025, 6, 1, 9, tzinfo=BERLIN),
                               results_dir=tmp_path)
        h.record_report(second, "analyze", started_at=datetime(2025, 6, 2, 9, tzinfo=BERLIN))
        h.record_report(first, "analyze", started_at=datetime(2025, 6, 2, 18, tzinfo=BERLIN))
        days = daily(h, "side-leg-raise")
        faults = fault_counts(h, since=date(2025, 6, 2))
        with pytest.raises(ValueError, match="kind"):
            h.start_session("gym", "side-leg-raise")  # type: ignore[arg-type]
    assert day1 == 1
    by = {(d.day.isoformat(), d.side): d for d in days}
    assert sorted(by) == [("2025-06-01", "left"), ("2025-06-01", "right"), ("2025-06-02", "left"),
                          ("2025-06-02", "right")]
    for side in ("left", "right"):
        one = [r for r in first.reps if r.side == side]
        both = one + [r for r in second.reps if r.side == side]
        d1, d2 = by[("2025-06-01", side)], by[("2025-06-02", side)]
        assert (d1.sessions, d1.leg.attempts, d1.leg.counted) == (1, len(one), sum(r.counted for r in one))
        assert d1.leg.best_peak == max(r.peak for r in one)
        assert d1.leg.mean_hold_s == pytest.approx(mean(r.hold_s for r in one))
        assert (d2.sessions, d2.leg.attempts) == (2, len(both))
        assert d2.leg.mean_peak == pytest.approx(mean(r.peak for r in both))
        assert d2.leg.faults_per_rep == pytest.approx(sum(len(r.faults) for r in both) / len(both))
    expected = Counter((r.side, f) for r in [*second.reps, *first.reps] for f in r.faults)
    assert {(side, code): n for _, side, code, n in faults} == expected


def test_bad_dates_and_both_formats_are_usage_errors(tmp_path: Path) -> None:
    r = posecount("history", "--since", "2025-13-01", "--db", str(tmp_path / "h.sqlite3"))
    assert r.returncode == 2 and "--since '2025-13-01' is not a date (YYYY-MM-DD)" in one_error_line(r)
    r = posecount("history", "--json", "--csv", "--db", str(tmp_path / "h.sqlite3"))
    assert r.returncode == 2 and "choose one of --json and --csv" in r.stderr


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(1.5)
conn.execute("COMMIT")
"""


def test_a_writer_waits_for_another_instead_of_failing(tmp_path: Path) -> None:
    """Another process holding the write lock for a moment delays a write; it does not fail it."""
    db = tmp_path / "history.sqlite3"
    History.open(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    t = time.monotonic()
    with History.open(db) as h:
        sid = h.start_session("live", "side-leg-raise")
    waited = time.monotonic() - t
    assert holder.wait(30) == 0
    assert sid == 1 and 0.5 < waited < 20.0


def test_no_test_writes_to_the_real_history() -> None:
    assert os.environ.get("POSECOUNT_DB"), "conftest.py points every run at a temporary file"
    assert Path(os.environ["POSECOUNT_DB"]).resolve() != (Path.home() / ".local/share/posecount/history.sqlite3")
    assert default_db_path() == Path(os.environ["POSECOUNT_DB"])


def test_opening_waits_while_another_process_creates_the_file(tmp_path: Path) -> None:
    """SQLite refuses a switch to WAL at once, without the busy timeout, while another connection writes a
    fresh file (measured: "database is locked" after 0.0 s). History.open waits instead, as for any write."""
    import sqlite3

    db = tmp_path / "history.sqlite3"
    other = sqlite3.connect(db, timeout=30, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE scratch(x)")
    opener = subprocess.Popen([sys.executable, "-c", "import sys\nfrom posecount.history import History\n"
                               "with History.open(sys.argv[1]) as h: print('opened')", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    other.execute("ROLLBACK")
    other.close()
    out, err = opener.communicate(timeout=60)
    assert opener.returncode == 0 and out.strip() == "opened", err
