"""Writing a live session into the history as it goes, so that a crash loses nothing counted.

:class:`SessionWriter` is what the live loop calls: :meth:`~SessionWriter.rep` for every finished attempt
(each is on disk when it returns), :meth:`~SessionWriter.switched` when Tab changes the exercise,
:meth:`~SessionWriter.reset` when ``r`` starts the count over, and :meth:`~SessionWriter.finish` with the
session's report at the end.

A routine (``live --routine``, kind ``routine``) is stored as one set per leg of each of its sets
(:meth:`~SessionWriter.routine_set`: the exercise, the leg, the reps asked for) and the person's pain and
effort (:meth:`~SessionWriter.rate`); each set ends where its own leg ended (:meth:`~SessionWriter.end_set`,
which the live loop calls once the leg is over: a rest after it is in no set). An attempt finished while no
set is open (before the first set-up check passed, during a rest or a later set-up check, at the questions:
the routine does not count it) is stored in the session with no set, so nothing is lost and no set, exercise
or leg is credited with it. The live loop hands its reps over with indices unique in the session (its
exercises and files each start a new count), and stores at the end the attempt the end closed.

The history must never cost the person their session: a write that fails is logged once, the session goes
on, and :meth:`~SessionWriter.finish` raises the one-line :class:`HistoryError` after the session's own
results are written (as :class:`~posecount.history.RunRecorder` does for a finished run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from posecount.history.db import History, HistoryError, Kind

if TYPE_CHECKING:
    from posecount.exercises.engine import RepRecord
    from posecount.exercises.spec import ExerciseSpec
    from posecount.report import Report

log = logging.getLogger(__name__)


class SessionWriter:
    """A session in the history, written as it goes. Start it with :meth:`start` when the session starts."""

    def __init__(self, history: History | None, session_id: int | None, results_dir: Path,
                 error: HistoryError | None = None, kind: Kind = "live") -> None:
        self.history = history
        self.session_id = session_id
        self.results_dir = results_dir
        self.error = error  # the first failure; finish() raises it
        self.sets = 1
        self.kind = kind
        self._routine_sets = 0  # routine sets written (the first takes over the session's first set)
        self._in_set = kind != "routine"  # reps go into the current set (a routine's: from routine_set to end_set)

    @classmethod
    def start(cls, db: Path | None, kind: Kind, spec: ExerciseSpec, source: str | None, results_dir: Path,
              started_at: datetime | None = None) -> SessionWriter:
        """Open the history and start the session (its first set: ``spec``). Never raises: a history that
        cannot be opened or written is reported by :meth:`finish`."""
        try:
            history = History.open(db)
            try:
                sid = history.start_session(kind, spec.name, source=source, started_at=started_at,
                                            results_dir=results_dir, tracks=spec.tracks)
            except HistoryError:
                history.close()
                raise
        except HistoryError as exc:
            log.warning("the history cannot be written (%s); the session is counted and saved as usual", exc)
            return cls(None, None, results_dir, exc, kind=kind)
        return cls(history, sid, results_dir, kind=kind)

    def _write(self, action: Callable[[History, int], None]) -> None:
        if self.history is None or self.session_id is None or self.error is not None:
            return
        try:
            action(self.history, self.session_id)
        except HistoryError as exc:
            log.warning("the history cannot be written (%s); the session goes on", exc)
            self.error = exc

    def rep(self, rep: RepRecord) -> None:
        """A finished attempt (a ``REP_FINISHED`` event's rep): on disk when this returns. In a routine, into the
        set open now (between :meth:`routine_set` and :meth:`end_set`), else into no set."""
        in_set = self._in_set
        self._write(lambda h, sid: h.add_rep(sid, rep, in_set=in_set))

    def switched(self, finished: Sequence[RepRecord], spec: ExerciseSpec, at_s: float) -> None:
        """Tab: ``finished`` are the reps of the exercise left (its last attempt, closed by the switch, is
        new); ``spec`` the exercise now on screen, from ``at_s`` seconds of the source."""
        def write(h: History, sid: int) -> None:
            h.add_reps(sid, finished, missing_only=True)
            h.start_set(sid, spec.name, started_s=at_s, tracks=spec.tracks)
            self.sets += 1

        self._write(write)

    def reset(self) -> None:
        """``r``: the exercise on screen starts its count over (its reps so far leave the history, as they
        leave the report)."""
        def write(h: History, sid: int) -> None:
            h.discard_reps(sid)

        self._write(write)

    def routine_set(self, spec: ExerciseSpec, *, side: str, target_reps: int, at_s: float,
                    settings: Mapping[str, object] | None = None) -> None:
        """A routine's next set, for one leg (``side``: left, right, or both for a whole-body exercise) and
        ``target_reps`` reps, from ``at_s`` (seconds of the session); the reps added from now on go into it,
        until :meth:`end_set`. The first one takes over the session's first set, which :meth:`start` made and
        no rep has used (attempts before it are in no set). A set still open (no :meth:`end_set`) ends here."""
        def write(h: History, sid: int) -> None:
            if self._routine_sets == 0:
                with h.errors("start a set"), h._transaction() as c:
                    c.execute("UPDATE sets SET exercise = ?, tracks = ?, side = ?, target_reps = ?, started_s = ?,"
                              " settings = ? WHERE session_id = ? AND number = 1",
                              (spec.name, json.dumps(list(spec.tracks)), side, target_reps, at_s,
                               None if settings is None else json.dumps(settings, ensure_ascii=False), sid))
            else:
                h.start_set(sid, spec.name, side=side, target_reps=target_reps, started_s=at_s, tracks=spec.tracks,
                            settings=settings)
                self.sets += 1
            self._routine_sets += 1

        self._in_set = True
        self._write(write)

    def end_set(self, *, at_s: float) -> None:
        """The current set ends at ``at_s`` (seconds of the session: where its leg ended, or where the session
        stopped for a leg never ended) unless it has an end already; the reps added from now on, until the
        next :meth:`routine_set`, go into no set."""
        self._in_set = False

        def write(h: History, sid: int) -> None:
            with h.errors("end a set"), h._transaction() as c:
                c.execute("UPDATE sets SET ended_s = coalesce(ended_s, ?) WHERE session_id = ? AND number = "
                          "(SELECT max(number) FROM sets WHERE session_id = ?)", (at_s, sid, sid))

        self._write(write)

    def rate(self, *, pain: int | None = None, effort: int | None = None) -> None:
        """The person's pain and effort for the session (0-10 each; None leaves one as it is): on disk when this
        returns."""
        self._write(lambda h, sid: h.rate(sid, pain=pain, effort=effort))

    def finish(self, report: Report) -> int | None:
        """The session is over and its results are written: store what the end closed, the counts, warnings
        and length; returns the session's id. Raises the first failure, if any, as one line.

        A routine's counts are its stored reps' (all its exercises); its reps are all stored already."""
        routine = self.kind == "routine"

        def write(h: History, sid: int) -> None:
            if not routine:
                h.add_reps(sid, report.reps, missing_only=True)
            h.finish_session(sid, report=report,
                             counts=h.counts_from_reps(sid) if self.sets > 1 or routine else None)

        self._write(write)
        if self.history is not None:
            self.history.close()
        if self.error is not None:
            raise HistoryError(f"the results are written in {self.results_dir}/, but not stored in the history: "
                               f"{self.error}") from self.error
        return self.session_id
