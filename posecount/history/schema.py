"""The history database's schema, as a list of migrations.

``PRAGMA user_version`` is the number of migrations a file has had. Each migration runs in one ``BEGIN
IMMEDIATE`` transaction together with its version bump, so a file is always at one version or the next,
never in between, and two processes opening an old file at once migrate it once (the second sees the new
version when it gets the lock). ``PRAGMA application_id`` marks the file as ours, so another program's
SQLite file is refused rather than written into.

Never edit a migration that has shipped: add the next one. A file from a newer posecount (a version
above ``SCHEMA_VERSION``) is refused, not touched.

The tables (version 2)::

    sessions      one run: an analyze, a `posecount test`, a live session (later: a routine)
      id, started_at (UTC, ISO 8601 '2025-03-30T07:15:00.000Z'), utc_offset_s (the local offset then:
      local time = UTC + offset), local_date ('YYYY-MM-DD' in that local time: what "a day" means),
      ended_at (UTC; NULL while running, or if the process died), kind, exercise (the first one),
      source, results_dir, posecount_version, counts (JSON: counted reps per side at the end, as in
      report.json), warnings (JSON list), duration_s, pose_detected_fraction, pain, effort (0-10 or NULL)
    sets          a stretch of one exercise in a session: the whole of an analyze run; each exercise of a
                  live session switched with Tab; a routine's sets
      id, session_id, number (1, 2, ...), exercise, tracks (JSON: ["left", "right"] or ["both"]),
      side (the leg the set is for, if one), target_reps, started_s, ended_s (a routine's set: where its
      leg began and ended; a rest after it is in no set), settings (JSON: report.json's settings:
      thresholds, personal targets and holds)
    reps          every attempt, as the engine's RepRecord
      id, session_id, set_id (NULL: in no set, e.g. a routine's attempt during a rest or a set-up check;
      the queries reach reps through their sets, so such an attempt counts for no set, exercise or leg),
      idx (the rep's index), side (left | right | both), start_s, peak_s, end_s,
      hold_s, lower_s, peak, unit (deg | ratio), target, rest, counted (0 | 1), faults (JSON list of codes)
    test_results  a function test's outcome (report.json's test object), one per test session
      session_id, protocol, kind, score, time_s, completed, voided_by, age, sex, norm_threshold,
      below_norm, verdict, result (JSON: the whole test object)
"""

from __future__ import annotations

#: "PCTH" (posecount history), in the file's header.
APPLICATION_ID = 0x50435448

#: Each migration: the statements that take a file from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: sessions and their reps.
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            utc_offset_s INTEGER NOT NULL,
            local_date TEXT NOT NULL,
            ended_at TEXT,
            kind TEXT NOT NULL,
            exercise TEXT NOT NULL,
            source TEXT,
            results_dir TEXT,
            posecount_version TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}',
            warnings TEXT NOT NULL DEFAULT '[]',
            duration_s REAL,
            pose_detected_fraction REAL
        )""",
        """CREATE TABLE reps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('left', 'right', 'both')),
            start_s REAL NOT NULL,
            peak_s REAL NOT NULL,
            end_s REAL NOT NULL,
            hold_s REAL NOT NULL,
            lower_s REAL,
            peak REAL NOT NULL,
            unit TEXT NOT NULL DEFAULT 'deg',
            target REAL,
            rest REAL,
            counted INTEGER NOT NULL CHECK (counted IN (0, 1)),
            faults TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX reps_session ON reps(session_id)",
        "CREATE INDEX sessions_started ON sessions(started_at)",
    ),
    # 2: sets (Tab in live, a routine's sets), function-test results, pain and effort, and the indexes the
    # per-day queries use. Every version-1 session becomes one set holding all its reps.
    (
        """CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            tracks TEXT,
            side TEXT CHECK (side IN ('left', 'right', 'both')),
            target_reps INTEGER,
            started_s REAL,
            ended_s REAL,
            settings TEXT,
            UNIQUE (session_id, number)
        )""",
        "INSERT INTO sets (session_id, number, exercise) SELECT id, 1, exercise FROM sessions",
        "ALTER TABLE reps ADD COLUMN set_id INTEGER REFERENCES sets(id)",
        """UPDATE reps SET set_id = (SELECT sets.id FROM sets WHERE sets.session_id = reps.session_id
                                     AND sets.number = 1)""",
        "CREATE UNIQUE INDEX reps_set ON reps(set_id, idx)",
        "CREATE INDEX sets_exercise ON sets(exercise, session_id)",
        "CREATE INDEX sessions_local_date ON sessions(local_date)",
        "ALTER TABLE sessions ADD COLUMN pain INTEGER CHECK (pain BETWEEN 0 AND 10)",
        "ALTER TABLE sessions ADD COLUMN effort INTEGER CHECK (effort BETWEEN 0 AND 10)",
        """CREATE TABLE test_results (
            session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            protocol TEXT NOT NULL,
            kind TEXT NOT NULL,
            score INTEGER,
            time_s REAL,
            completed INTEGER NOT NULL,
            voided_by TEXT,
            age INTEGER,
            sex TEXT,
            norm_threshold REAL,
            below_norm INTEGER,
            verdict TEXT NOT NULL,
            result TEXT NOT NULL
        )""",
    ),
)

#: The version a file has once every migration ran.
SCHEMA_VERSION = len(MIGRATIONS)
