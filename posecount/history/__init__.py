"""The session history: every `analyze`, `posecount test` and `live` run, in one local SQLite file.

Where: ``--db PATH``, else ``$POSECOUNT_DB``, else ``history.sqlite3`` in the user's data directory
(``$XDG_DATA_HOME/posecount``, by default ``~/.local/share/posecount``). ``--no-history`` stores nothing.

- :mod:`~posecount.history.schema`: the tables, as a list of migrations (``PRAGMA user_version``);
- :mod:`~posecount.history.db`: :class:`History`: opening safely (WAL, busy timeout, a damaged or foreign
  file refused and left as it is), writing a session as it goes or a finished run at once;
- :mod:`~posecount.history.writer`: :class:`SessionWriter`, a live session written as it goes;
- :mod:`~posecount.history.queries`: sessions for `posecount history`; per day and per leg for progress
  and the physiotherapist's report;
- :mod:`~posecount.history.export`: the table, CSV and JSON of `posecount history`.

Times are stored in UTC with the local offset of the moment (see :func:`~posecount.history.db.timestamp`),
so the order stays right across time zones and clock changes and each session keeps the date it was lived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from posecount.history.db import DB_ENV, History, HistoryError, Kind, default_db_path, timestamp
from posecount.history.queries import DayLeg, LegSummary, SessionSummary, daily, fault_counts, sessions
from posecount.history.writer import SessionWriter

if TYPE_CHECKING:
    from posecount.report import Report


class RunRecorder:
    """The commands' hook: made when a run starts (it notes the time), :meth:`record` when its results are
    written. ``db``: the file (None: :func:`default_db_path`); ``enabled`` False (``--no-history``): nothing."""

    def __init__(self, db: Path | None = None, enabled: bool = True) -> None:
        self.db = db
        self.enabled = enabled
        self.started_at = datetime.now().astimezone()

    def record(self, report: Report, kind: Kind, results_dir: Path, segments: Sequence[Report] = ()) -> int | None:
        """Store the finished run; returns its session id (None when disabled). A history that cannot be
        written is a one-line :class:`HistoryError` that says the run's own results are safe in ``results_dir``."""
        if not self.enabled:
            return None
        try:
            with History.open(self.db) as history:
                return history.record_report(report, kind, started_at=self.started_at, results_dir=results_dir,
                                             segments=segments)
        except HistoryError as exc:
            raise HistoryError(f"the results are written in {results_dir}/, but not stored in the history: {exc}"
                               ) from exc


def read_sessions(db: Path | None = None, exercise: str | None = None, since: date | None = None,
                  until: date | None = None, reps: bool = False) -> tuple[Path, list[SessionSummary]]:
    """(the file, its sessions); a history not made yet has none (and is not created by reading it)."""
    path = Path(db).expanduser() if db is not None else default_db_path()
    if not path.exists():
        return path, []
    with History.open(path) as history:
        return path, sessions(history, exercise, since, until, reps=reps)


__all__ = ["DB_ENV", "DayLeg", "History", "HistoryError", "LegSummary", "RunRecorder", "SessionSummary",
           "SessionWriter", "daily", "default_db_path", "fault_counts", "read_sessions", "sessions", "timestamp"]
