"""The live loop (:class:`LiveLoop`) and why it ended (:class:`EndReason`). Each turn::

    frame = feed.get()                    # the newest frame only (LatestFrame): no queue behind the model
    pose = estimate(frame)                # skipped while paused
    result = session.step(...)            # pipeline.Session: the same code analyze runs, so the same counts
    window.show(screen)                   # live.screen: mirrored for display only; left/right stay the person's own
    key = window.poll_key()               # live.keys: q/Esc quit, space pause, r reset, m mute, Tab next exercise
    routine.update(...)                   # with --routine: the stage, the set's count, the rest countdown

Around it: report segments (Tab, a playlist's next file, a routine's next exercise), the routine and the
function test on the frames' own clock, and the report of the exercise on screen at the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from posecount.display import NullWindow, Window
from posecount.errors import InputError
from posecount.exercises import builtin_exercises
from posecount.exercises.engine import EventKind, Phase, RepEvent, RepRecord
from posecount.exercises.spec import ExerciseSpec
from posecount.feedback import Message
from posecount.live import screen
from posecount.live.keys import Action, action_for_key
from posecount.live.options import LiveTest, RepSink, RoutineSink
from posecount.live.reporting import Segment, build_report, source_info
from posecount.live.sources import EstimateFn, FrameFeed, SourceQueue
from posecount.live.stats import ArrivalStamps, DisplayRate, LiveStats, keep_up_warnings
from posecount.overlay import OverlayState, RoutineBanner, TestPanel
from posecount.pipeline import FrameResult, Session
from posecount.pose import Pose
from posecount.report import Report
from posecount.routine import EventKind as RoutineEventKind
from posecount.routine import LegResult, Routine, RoutineEvent, RoutineRun, Stage, routine_specs
from posecount.sources import Frame, SourceInfo
from posecount.speech import Speaker
from posecount.testrun import LiveStance, TestEvent, TestEventKind, TestRecorder, TestRun
from posecount.testrun import Stage as TestStage

log = logging.getLogger("posecount.live")  # the live path's one logger (tests and --verbose read it by name)

#: How long a closing notice ("Camera lost") stays on screen before the window closes.
NOTICE_S = 2.0
#: A function test's result stays on screen this long before the window closes (any key closes it sooner).
RESULT_S = 6.0


class EndReason(StrEnum):
    QUIT = "quit"
    WINDOW_CLOSED = "window closed"
    INTERRUPTED = "interrupted"
    SOURCE_ENDED = "source ended"
    SOURCE_LOST = "source lost"
    ROUTINE_DONE = "routine finished"
    TEST_DONE = "test finished"


@dataclass
class LiveResult:
    report: Report  # the exercise on screen at the end
    stats: LiveStats
    end_reason: EndReason
    segments: list[Segment] = field(default_factory=list)  # earlier exercises (Tab), in order
    segment_files: list[Path] = field(default_factory=list)
    routine: dict[str, object] | None = None  # the routine as it went (RoutineRun.summary)


class LiveLoop:
    """The live session over any frame feed, estimator, window and speaker (all injectable for tests).

    ``run()`` returns the :class:`LiveResult`; it writes nothing (see :func:`run_live_session`).
    ``routine``: walk through it (``spec`` is then its first exercise's); ``sources``: the playlist's files
    after ``feed``; ``answer_wait_s``: how long the window stays up for the routine's questions once the
    source has ended (0: not at all, as headless); ``landmarks``: the recording replayed, for the report;
    ``test``: run this function test (``spec`` is the exercise it counts).
    """

    def __init__(self, spec: ExerciseSpec, feed: FrameFeed, estimate: EstimateFn, window: Window,
                 speaker: Speaker | None, *, source_label: str, mirror: bool = True, live_source: bool = False,
                 arrivals: ArrivalStamps | None = None, draw: bool = True, display_min_height_px: int = 720,
                 clock: Callable[[], float] = time.monotonic, model_path: Path | None = None,
                 exercises: Sequence[ExerciseSpec] = (), history: RepSink | None = None,
                 routine: Routine | None = None, sources: SourceQueue | None = None, answer_wait_s: float = 0.0,
                 landmarks: str | None = None, test: LiveTest | None = None) -> None:
        self.spec = spec
        self.feed = feed
        self.estimate = estimate
        self.window = window
        self.speaker = speaker
        self.source_label = source_label
        self.mirror = mirror
        self.live_source = live_source
        self.arrivals = arrivals
        self.draw = draw
        self.display_min_height_px = display_min_height_px
        self.display_scale = 1.0
        self.clock = clock
        self.model_path = model_path  # for the report's provenance (None: a test double estimates)
        self.history = history
        self.exercises = list(exercises) or list(builtin_exercises().values())
        self.session: Session | None = None
        self.paused = False
        self.muted = speaker.muted if speaker is not None else True
        self.stats = LiveStats()
        self.segments: list[Segment] = []
        self.notes: list[str] = []  # warnings of the live path itself (resets, lost camera...)
        self._result: FrameResult | None = None
        self._spoken: tuple[str, int] | None = None
        self._rate = DisplayRate()
        self._frame_wh: tuple[int, int] | None = None
        self._last_frame: Frame | None = None
        self._segment_start_ms: int | None = None
        self._session_start_ms: int | None = None  # when the current Session object began
        self.landmarks = landmarks  # the recording replayed instead of the model (for the report's provenance)
        # The playlist: the files after this one; figures of the files already played.
        self.sources = sources
        self._captured_before = 0
        self._dropped_before = 0
        self._file_last_index = -1
        # The routine, walked on the session's own clock (frame time, paused time left out).
        self.answer_wait_s = answer_wait_s  # how long the window waits for the answers once the source ended
        self.routine = RoutineRun(routine) if routine is not None else None
        self._routine_specs = routine_specs(routine) if routine is not None else ()
        if self._routine_specs:
            self.spec = self._routine_specs[0]
        self._routine_sink: RoutineSink | None = None
        if routine is not None and all(hasattr(history, a) for a in ("routine_set", "rate", "end_set")):
            self._routine_sink = history  # type: ignore[assignment]
        self._set_leg: LegResult | None = None  # the leg whose set the history has open (its reps go into it)
        self._active_s = 0.0
        self._prev_ts_ms: int | None = None
        self._rep_offset = 0  # attempts of earlier Sessions: a routine's reps keep indices unique in the history
        self._exercise_index = 0
        self._file_claimed = False  # the file playing has served a set-up (the next set-up takes the next file)
        self._pending_setup: tuple[int, bool] | None = None  # (exercise, jump to the next file), after the frame
        self._routine_started = False
        # A function test, on the frames' own clock.
        self.test = test
        self.test_run: TestRun | None = None
        self._test_recorder: TestRecorder | None = None
        self._stance: LiveStance | None = None
        if test is not None:
            self._new_test()

    # -- the loop ---------------------------------------------------------------------------------------
    def run(self) -> LiveResult:
        t0 = self.clock()
        reason = EndReason.SOURCE_ENDED
        try:
            while True:
                frame = self.feed.get()
                if frame is None:
                    if self._next_file():
                        continue
                    reason = self._source_end()
                    reason = self._await_answers() or reason
                    break
                arrived = self._frame(frame)
                key = self.window.poll_key(1)  # also lets the window paint the frame
                if arrived is not None:
                    self.stats.latency_ms.append((self.clock() - arrived) * 1000.0)
                end = self._on_key(key)
                if end is not None:
                    reason = end
                    break
                if not self.window.is_open():
                    reason = EndReason.WINDOW_CLOSED
                    break
                if self.routine is not None and self.routine.finished:
                    reason = EndReason.ROUTINE_DONE
                    self._hold_screen()
                    break
                if self.test_run is not None and self.test_run.done:
                    reason = EndReason.TEST_DONE
                    self._show_result()
                    break
                if self._pending_setup is not None:
                    self._apply_pending_setup()
        except KeyboardInterrupt:
            reason = EndReason.INTERRUPTED
            log.info("interrupted: ending the session")
        self.stats.elapsed_s = self.clock() - t0
        if self.stats.frames_shown > 1 and self.stats.elapsed_s > 0:
            self.stats.display_fps = self.stats.frames_shown / self.stats.elapsed_s
        self.stats.frames_skipped = self._dropped_before + self.feed.dropped
        self.stats.frames_captured = self._captured_before + self._captured()
        if reason == EndReason.SOURCE_LOST and self.window.is_open():
            self._notice(self.notes[-1] if self.notes else "The camera was lost")
        if self.test_run is not None and not self.test_run.done:
            self._end_test(reason)
            if self.test_run.done and reason in (EndReason.SOURCE_ENDED, EndReason.SOURCE_LOST):
                self._show_result()
        summary = None
        if self.routine is not None:
            self._store_final_reps()
            self._end_set(final=True)
            note = self.routine.unfinished_note()
            if note:
                self.notes.append(note)
            summary = self.routine.summary()
        return LiveResult(self.report(), self.stats, reason, list(self.segments), routine=summary)

    def _on_key(self, key: int | None) -> EndReason | None:
        """Act on a key; the end reason when it ends the session."""
        if key is None:
            return None
        action = action_for_key(key)
        run = self.routine
        if run is not None and run.asking:
            # The questions: 0-9 and T answer, Tab or Enter skip one, q/Esc closes; pause and mute still work.
            if action == Action.QUIT:
                return EndReason.QUIT
            if action in (Action.SWITCH, Action.NEXT):
                self._routine_events(run.skip(self._active_s))
            elif action in (Action.PAUSE, Action.MUTE):
                self.apply(action)
            else:
                self._routine_events(run.key(chr(key & 0xFF), self._active_s))
            return None
        if action == Action.QUIT:
            if run is not None and not run.finished and self.answer_wait_s > 0:
                log.info("routine: ended early by the person")
                self._routine_events(run.stop(self._active_s))
                return None
            return EndReason.QUIT
        if action is not None:
            self.apply(action)
        return None

    def _source_end(self) -> EndReason:
        error = self.feed.error
        if self._last_frame is None:
            # Nothing ever arrived: the source cannot be used at all.
            if isinstance(error, InputError):
                raise error
            raise InputError(f"{self.source_label}: no frame received" + (f" ({error})" if error else ""))
        if error is None and not self.live_source:
            return EndReason.SOURCE_ENDED
        at_s = self._last_frame.timestamp_ms / 1000.0
        what = "the camera" if self.source_label.startswith("camera:") else self.source_label
        cause = f" ({error})" if error else ""
        note = f"{what} stopped delivering frames at {at_s:.1f} s{cause}; the session up to then is saved"
        log.info(note)  # the CLI prints the report's warnings; this is for --verbose timelines
        self.notes.append(note)
        return EndReason.SOURCE_LOST

    def _frame(self, frame: Frame) -> float | None:
        """Process and show one frame; returns when it arrived from the source, if known."""
        picked = self.clock()
        if self.session is None:
            h, w = frame.image.shape[:2]
            self._frame_wh = (w, h)
            self.display_scale = max(1.0, self.display_min_height_px / h)
            self.session = Session(self.spec, self._frame_wh)
            self._session_start_ms = self._segment_start_ms = frame.timestamp_ms
        arrived = self.arrivals.stamps.get(frame.index) if self.arrivals is not None else None
        if arrived is not None:
            self.stats.wait_ms.append((picked - arrived) * 1000.0)
        self._last_frame = frame
        self._file_last_index = frame.index
        pose: Pose | None = None
        if self.paused:
            self._prev_ts_ms = None  # paused time is not the routine's
        else:
            if self._prev_ts_ms is not None:
                self._active_s += max(0, frame.timestamp_ms - self._prev_ts_ms) / 1000.0
            self._prev_ts_ms = frame.timestamp_ms
            t = time.perf_counter()
            raw = self.estimate(frame.image, frame.timestamp_ms)
            self.stats.model_ms.append((time.perf_counter() - t) * 1000.0)
            if self._result is not None:
                gap = frame.timestamp_ms - self._result.timestamp_ms
                self.stats.max_gap_ms = max(self.stats.max_gap_ms, float(gap))
            self._result = self.session.step(frame.index, frame.timestamp_ms, raw)
            self.stats.frames_processed += 1
            self._end_set()  # a leg that ended before this frame: its set takes none of this frame's reps
            self._log_finished_reps(self._result.events)
            routine_events = self._routine_step(self._result) if self.routine is not None else []
            pose = self._result.pose
            self._speak(self._test_coach(self._coach_message(self._result.message)))
            if self.test_run is not None:
                self._test_step(self._result, raw)
            if routine_events:
                self._routine_events(routine_events)
        self.window.show(self._compose(frame.image, pose, self.overlay_state()))
        now = self.clock()
        self._rate.shown(now)
        self.stats.frames_shown += 1
        return arrived

    def _log_finished_reps(self, events: Sequence[RepEvent]) -> None:
        """One INFO line per finished attempt (for --verbose timelines, and what GUI tests wait for)."""
        for event in events:
            if event.kind == EventKind.REP_FINISHED and event.rep is not None and self.session is not None:
                self._store_rep(event.rep)
                rep, c = event.rep, self.session.counter.counts
                verdict = "counted" if rep.counted else "not counted (" + ", ".join(rep.faults) + ")"
                if rep.side == "both":
                    log.info("rep finished: whole body at %.1f s, %s, hold %.1f s; so far %d counted", rep.end_s,
                             verdict, rep.hold_s, c.get("both", 0))
                    continue
                log.info("rep finished: %s leg at %.1f s, %s, hold %.1f s; so far left %d, right %d counted",
                         rep.side, rep.end_s, verdict, rep.hold_s, c["left"], c["right"])

    def _store_rep(self, rep: RepRecord) -> None:
        """A finished attempt into the history; in a routine with its index unique in the session (each of its
        exercises and files starts a new count)."""
        if self.history is None:
            return
        self.history.rep(replace(rep, index=self._rep_offset + rep.index) if self.routine is not None else rep)

    # -- keys -------------------------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        """Act on a key (anything but quit, which ends :meth:`run`)."""
        if self.test is not None and action in (Action.PAUSE, Action.SWITCH, Action.NEXT, Action.RESET):
            self._test_key(action)
        elif action == Action.PAUSE:
            self.paused = not self.paused
            log.info("paused" if self.paused else "resumed")
        elif action == Action.MUTE:
            self.muted = not self.muted
            if self.speaker is not None:
                self.speaker.muted = self.muted
            log.info("muted" if self.muted else "unmuted")
        elif action == Action.RESET and self.routine is not None and self.routine.stage != Stage.EXERCISE:
            log.info("r: nothing to count again now (%s)", self.routine.stage.value)
        elif action == Action.RESET and self.session is not None:
            attempts = len(self.session.counter.reps)
            if self.routine is not None:
                self._rep_offset += attempts
                self._routine_events(self.routine.restart_leg(self._active_s))
            at_s = self._now_s()
            self.session.reset()
            if self.history is not None:
                self.history.reset()
            self._result = None
            self._segment_start_ms = self._last_frame.timestamp_ms if self._last_frame else None
            self.notes.append(f"the count was reset at {at_s:.1f} s; the {attempts} attempt(s) before that are "
                              "not in this report")
            log.info("reset at %.1f s", at_s)
        elif action in (Action.SWITCH, Action.NEXT) and self.routine is not None:
            log.info("routine: on to the next stage (key)")
            self._routine_events(self.routine.skip(self._active_s))
        elif action == Action.SWITCH:
            self._switch()

    def _switch(self) -> None:
        names = [e.name for e in self.exercises]
        i = names.index(self.spec.name) if self.spec.name in names else -1
        new = self.exercises[(i + 1) % len(names)]
        if self.session is not None and self._frame_wh is not None:
            self.session.finish()
            if self.history is not None:
                self.history.switched(self.session.counter.reps, new, at_s=self._now_s())
            if self.session.counter.reps:
                start_s = (self._segment_start_ms or 0) / 1000.0
                self.segments.append(Segment(self._build_report(self.session, self.spec), start_s, self._now_s()))
            self.session = Session(new, self._frame_wh)
            self._segment_start_ms = self._last_frame.timestamp_ms if self._last_frame else None
            self._session_start_ms = self._segment_start_ms
        log.info("switched from %s to %s", self.spec.name, new.name)
        self.spec = new
        self._result = None
        self._spoken = None

    # -- the playlist -------------------------------------------------------------------------------------
    def _next_file(self) -> bool:
        """The current file ended: play the playlist's next one, if any. Its clock starts again, so the
        exercise goes on in a Session (and a report segment) of its own."""
        if self.sources is None or self.sources.remaining <= 0:
            return False
        if self.feed.error is not None and self._last_frame is not None:
            note = (f"{self.source_label} stopped delivering frames at {self._now_s():.1f} s ({self.feed.error}); "
                    "the next file played on")
            log.info(note)
            self.notes.append(note)
        self._end_segment()
        if not self._open_next_file():
            return False
        self._file_claimed = self.routine is not None and self.routine.stage == Stage.SETUP
        return True

    def _open_next_file(self) -> bool:
        if self.sources is None or self.sources.remaining <= 0:
            return False
        captured, dropped = self._captured(), self.feed.dropped
        opened = self.sources.next()
        if opened is None:
            return False
        self._captured_before += captured
        self._dropped_before += dropped
        self.feed, self.source_label, self.live_source = opened.feed, opened.label, opened.live
        self.estimate, self.arrivals = opened.estimate, opened.arrivals
        self._file_last_index = -1
        self._prev_ts_ms = None
        log.info("playing the next file: %s", self.source_label)
        return True

    def _end_segment(self) -> None:
        """Close the current Session as a report segment (if it saw attempts); the next frame starts another."""
        session = self.session
        if session is None:
            return
        finished = session.finish()
        at_s = self._now_s()
        if self.routine is not None:
            for event in finished:
                if event.kind == EventKind.REP_FINISHED and event.rep is not None:
                    self._store_rep(event.rep)
        elif self.history is not None:  # a playlist without a routine: each file a set of its own
            self.history.switched(session.counter.reps, self.spec, at_s=at_s)
        if session.counter.reps:
            start_s = (self._segment_start_ms or 0) / 1000.0
            self.segments.append(Segment(self._build_report(session, self.spec), start_s, at_s))
        self._rep_offset += len(session.counter.reps)
        self.session = None
        self._result = None
        self._spoken = None

    # -- the routine --------------------------------------------------------------------------------------
    @property
    def session_s(self) -> float:
        """Seconds of the session, paused time left out: the routine's clock (the frames' own timestamps)."""
        return self._active_s

    def _routine_step(self, result: FrameResult) -> list[RoutineEvent]:
        """The routine's part of a frame: finished attempts toward the set, the set-up check, the rest clock,
        the breathing cue. Returns its events (handled once the coach has spoken: the routine's line wins)."""
        run = self.routine
        assert run is not None and self.session is not None
        now = self._active_s
        events = [] if self._routine_started else run.start(now)
        self._routine_started = True
        for event in result.events:
            if event.kind == EventKind.REP_FINISHED and event.rep is not None:
                rep = event.rep
                events += run.rep(rep.side, rep.counted, rep.faults, now)
        state = self.session.states.get(run.step.leg)
        events += run.update(now, view_ok=result.features.view_ok, working_side=result.features.working_side,
                             phase=state.phase.value if state is not None else None)
        return events

    def _routine_events(self, events: Sequence[RoutineEvent]) -> None:
        """Say, log and store what the routine did."""
        assert self.routine is not None
        for event in events:
            log.info("routine: %s", event.text)
            if event.speak and self.speaker is not None:
                self.speaker.say(event.text)
            if event.kind == RoutineEventKind.SETUP and event.step is not None:
                self._setup_started(event.step.exercise)
            elif event.kind == RoutineEventKind.SET_STARTED and event.step is not None:
                self._set_started(event)
            elif event.kind == RoutineEventKind.ANSWER and event.value is not None and self._routine_sink is not None:
                if event.question == "pain":
                    self._routine_sink.rate(pain=event.value)
                else:
                    self._routine_sink.rate(effort=event.value)

    def _set_started(self, event: RoutineEvent) -> None:
        assert self.routine is not None and event.step is not None
        if self._routine_sink is None:
            return
        step = event.step
        self._end_set()  # the leg before: its set ends where the leg did (not where this one begins)
        ex, spec = self.routine.routine.exercises[step.exercise], self._routine_specs[step.exercise]
        settings: dict[str, object] = {"routine": self.routine.routine.name, "set": step.set, "sets": ex.sets,
                                       "reps_per_leg": ex.reps_per_leg, "rest_s": ex.rest_s}
        if step.leg != "both":
            settings |= {f"target_{spec.drive.unit}": spec.target(step.leg), "min_hold_s": spec.min_hold_s(step.leg)}
        self._routine_sink.routine_set(spec, side=step.leg, target_reps=ex.reps_per_leg,
                                       at_s=round(self._active_s, 3), settings=settings)
        self._set_leg = self.routine.legs[self.routine.plan.index(step)]

    def _setup_started(self, exercise: int) -> None:
        """A set-up began: a new exercise starts a Session (and report segment) of its own; a set-up starts on
        the playlist's next file when the one playing has served one already."""
        jump = self._file_claimed and self.sources is not None and self.sources.remaining > 0
        if exercise != self._exercise_index or jump:
            self._pending_setup = (exercise, jump)  # once the frame is shown
        else:
            self._file_claimed = True

    def _apply_pending_setup(self) -> None:
        assert self._pending_setup is not None
        exercise, jump = self._pending_setup
        self._pending_setup = None
        self._end_segment()
        self._exercise_index = exercise
        self.spec = self._routine_specs[exercise]
        self._file_claimed = True
        if jump and self._open_next_file():
            return  # the next file's first frame starts the Session
        if self._frame_wh is not None:  # the same source goes on: the new Session starts now
            self.session = Session(self.spec, self._frame_wh)
            self._segment_start_ms = self._session_start_ms = (
                self._last_frame.timestamp_ms if self._last_frame is not None else None)

    def _end_set(self, final: bool = False) -> None:
        """The history's open set ends where its leg did, once the leg is over (done, skipped or stopped);
        ``final``: the session is over, and a leg never ended ends now. Called before each frame's attempts
        are stored, so an attempt finished after its leg ended (during the rest, a set-up check, the
        questions: the routine does not count it either) is in no set; the attempt the end of a file, an
        exercise or the session closes goes into the set whose leg was at work until then, if one was."""
        leg = self._set_leg
        if leg is None or self._routine_sink is None or (leg.ended_s is None and not final):
            return
        self._set_leg = None
        self._routine_sink.end_set(at_s=round(self._active_s if leg.ended_s is None else leg.ended_s, 3))

    def _store_final_reps(self) -> None:
        """The attempt the end closed (a routine's reps are all stored by the loop, with their indices)."""
        if self.session is None:
            return
        for event in self.session.finish():
            if event.kind == EventKind.REP_FINISHED and event.rep is not None:
                self._store_rep(event.rep)

    def _await_answers(self) -> EndReason | None:
        """The source ended before the routine did: with a window to answer in, the questions come now (or go
        on), over the last frame, until answered, q, the window closes, or ``answer_wait_s`` passes."""
        run = self.routine
        if run is None or run.finished or self.answer_wait_s <= 0 or self._last_frame is None:
            return None
        if not run.asking:
            log.info("routine: the source ended before the routine did")
            self._routine_events(run.stop(self._active_s))
        deadline = self.clock() + self.answer_wait_s
        while run.asking and self.window.is_open() and self.clock() < deadline:
            self.window.show(self._screen(self._last_frame.image))
            self.stats.frames_shown += 1
            end = self._on_key(self.window.poll_key(50))
            if end is not None:
                return end
        if not self.window.is_open():
            return EndReason.WINDOW_CLOSED
        if run.finished:
            self._hold_screen()
        return None

    def _coach_message(self, message: Message | None) -> Message | None:
        """The coach's line, under a routine only while a leg is at work, and without "now the other leg" (the
        routine says when)."""
        if message is None or self.routine is None:
            return message
        if self.routine.stage != Stage.EXERCISE:
            return None
        m = self.spec.messages
        if message.text == f"{m.praise}. {m.other_leg}":
            return replace(message, text=m.praise)
        return message

    # -- the screen (composed by live.screen) and the voice -------------------------------------------------
    def _compose(self, image: np.ndarray, pose: Pose | None, state: OverlayState) -> np.ndarray:
        """The screen: the frame (enlarged if small) with the overlay; or the bare frame when not drawing."""
        if not self.draw:
            return image
        if self.test_run is not None:
            # The balance test counts no reps: its stopwatch alone, without the counts and the gauge.
            return screen.compose(image, pose, state, scale=self.display_scale, mirror=self.mirror,
                                  test=self._test_panel(), pose_only=self.test_run.protocol.kind == "stances")
        return screen.compose(image, pose, state, scale=self.display_scale, mirror=self.mirror,
                              routine=self._routine_banner(state))

    def _screen(self, image: np.ndarray) -> np.ndarray:
        """A frame shown outside the loop's turn: with the overlay while a Session runs, else the routine's
        layer alone."""
        if self.session is not None:
            return self._compose(image, None, self.overlay_state())
        if not self.draw:
            return image
        return screen.bare_screen(image, self._routine_banner(None), scale=self.display_scale, mirror=self.mirror)

    def _routine_banner(self, state: OverlayState | None) -> RoutineBanner | None:
        if self.routine is None:
            return None
        return screen.routine_banner(self.routine.view(self._active_s), state, self._result)

    def _test_panel(self) -> TestPanel:
        assert self.test_run is not None
        return screen.test_panel(self.test_run.view(self._now_s()), self._result)

    def fps(self) -> float | None:
        return self._rate.fps()

    def flags(self) -> tuple[str, ...]:
        return (("paused",) if self.paused else ()) + (("muted",) if self.muted else ())

    def overlay_state(self, banner: str | None = None) -> OverlayState:
        assert self.session is not None
        state = screen.coaching_state(self.session, self._result, self.spec, fps=self.fps(), flags=self.flags(),
                                      paused=self.paused, banner=banner)
        if self.routine is None:
            return state
        message = self._coach_message(self._result.message) if self._result is not None else None
        return screen.routine_state(state, self.routine.view(self._active_s), self.spec, message)

    def _speak(self, message: Message | None) -> None:
        if message is None or not message.speak or self.speaker is None:
            return
        key = (message.text, message.since_ms)
        if key == self._spoken:
            return
        self._spoken = key
        self.speaker.say(message.text)

    def _linger(self, image: np.ndarray, seconds: float) -> None:
        """Show ``image`` and keep it up for ``seconds`` while the window is open (any key closes it sooner)."""
        self.window.show(image)
        end = self.clock() + seconds
        while self.clock() < end and self.window.is_open():
            if self.window.poll_key(50) is not None:
                break

    def _notice(self, text: str) -> None:
        """Keep the last frame up with ``text`` for a moment (any key skips it)."""
        if self._last_frame is None or self.session is None or isinstance(self.window, NullWindow):
            return
        self._linger(self._compose(self._last_frame.image, None, self.overlay_state(banner=text)), NOTICE_S)

    def _hold_screen(self) -> None:
        """Keep the last frame up a moment (the routine's last words; any key skips it)."""
        if self._last_frame is None or isinstance(self.window, NullWindow) or not self.window.is_open():
            return
        self._linger(self._screen(self._last_frame.image), NOTICE_S)

    def _show_result(self) -> None:
        """Keep the test's result up for ``RESULT_S`` (any key closes it sooner)."""
        if self._last_frame is None or isinstance(self.window, NullWindow) or not self.window.is_open():
            return
        self._linger(self._compose(self._last_frame.image, None, self.overlay_state()), RESULT_S)

    # -- a function test (--test) -----------------------------------------------------------------------
    def _new_test(self) -> None:
        """A test run from its set-up: its clock, what its scorer reads, the live stance reading."""
        assert self.test is not None
        protocol = self.test.protocol
        self.test_run = TestRun(protocol, self.test.countdown_s)
        self._test_recorder = TestRecorder(protocol)
        self._stance = LiveStance(protocol.stances) if protocol.kind == "stances" else None

    def _test_step(self, result: FrameResult, raw: Pose | None) -> None:
        """The test's part of a frame: what its scorer reads, then its clock (go, stands, stances, the end)."""
        assert self.test_run is not None and self._test_recorder is not None and self.session is not None
        run, t_s = self.test_run, result.timestamp_ms / 1000.0
        track = self.spec.tracks[0]
        state = self.session.states[track]
        self._test_recorder.add(t_s, state.value, result.pose, raw)
        stance = self._stance.update(t_s, result.pose) if self._stance is not None else None
        void_faults = run.protocol.void_faults
        void = next((f for e in result.events if e.kind == EventKind.REP_FINISHED and e.rep is not None
                     for f in e.rep.faults if f in void_faults), None)
        at_rest = all(st.phase == Phase.REST for st in self.session.states.values())
        ready = result.features.view_ok and (self._stance is not None or state.phase == Phase.REST)
        self._test_events(run.update(
            t_s, ready=ready, at_rest=at_rest, void=void, stance=stance,
            stands_s=[e.timestamp_ms / 1000.0 for e in result.events if e.kind == EventKind.HOLD_COMPLETE]))

    def _test_events(self, events: Sequence[TestEvent]) -> None:
        """Log and say what the test did; score it when it asks."""
        for event in events:
            log.info("test: %s", event.text)
            if event.speak and self.speaker is not None:
                self.speaker.say(event.text)
            if event.kind == TestEventKind.SCORE:
                self._score_test()

    def _score_test(self) -> None:
        """Score the test as ``posecount test`` does, "go" given: the reps so far (an attempt still open is
        closed, as at the end of a video) and what the recorder collected."""
        assert self.test is not None and self.test_run is not None and self._test_recorder is not None
        assert self.session is not None and self.test_run.go_s is not None
        self._log_finished_reps(self.session.finish())
        result = self._test_recorder.score(self.session.counter, self.spec.tracks[0], self.test_run.go_s,
                                           self.test.age, self.test.sex)
        self._test_events(self.test_run.finish(result))
        log.info("test: %s", result.get("verdict"))

    def _end_test(self, reason: EndReason) -> None:
        """The session ended before the test did: scored on what was seen (with a note), or no result when
        go never came."""
        run = self.test_run
        assert run is not None
        now = self._now_s()
        running = run.stage == TestStage.RUNNING
        if self.session is None or not run.stop(now, reason.value):
            self.notes.append(f"the test did not start (the session ended, {reason.value}, at {now:.1f} s, before "
                              "'go'): there is no result")
            return
        if running:
            self.notes.append(f"the test was not finished: the session ended ({reason.value}) at {now:.1f} s, "
                              f"{now - (run.go_s or 0.0):.1f} s after go; the result is scored on what was seen")
        self._score_test()

    def _test_key(self, action: Action) -> None:
        """Keys during a test: r starts it again from the set-up; pause and Tab would break its timing."""
        if action != Action.RESET:
            log.info("%s: not during a test (r starts it again, q ends it)", action.value)
            return
        at_s = self._now_s()
        if self.session is not None:
            self.session.reset()
        if self.history is not None:
            self.history.reset()
        self._result = None
        self._segment_start_ms = self._last_frame.timestamp_ms if self._last_frame else None
        self._new_test()
        self.notes.append(f"the test was started again at {at_s:.1f} s (r); what came before is not in this report")
        log.info("test: started again at %.1f s", at_s)

    def _test_coach(self, message: Message | None) -> Message | None:
        """During a test the coach speaks only of faults: the test's own lines (the countdown, go) are the
        ones to hear."""
        if self.test_run is None or message is None or message.tone.value == "fault":
            return message
        return replace(message, speak=False)

    # -- the report -------------------------------------------------------------------------------------
    def _captured(self) -> int:
        """Frames the current file (or camera) delivered."""
        if self.arrivals is not None:
            return self.arrivals.count
        return self._file_last_index + 1

    def _now_s(self) -> float:
        return self._last_frame.timestamp_ms / 1000.0 if self._last_frame is not None else 0.0

    def _source_info(self) -> SourceInfo:
        return source_info(self.feed.info, self.source_label, self._frame_wh, self._last_frame)

    def _build_report(self, session: Session, spec: ExerciseSpec) -> Report:
        return build_report(session, spec, self._source_info(), frames_read=self._captured(),
                            session_start_ms=self._session_start_ms, model_path=self.model_path,
                            landmarks=self.landmarks)

    def report(self) -> Report:
        """The report of the exercise on screen now (call after :meth:`run`)."""
        if self.session is not None:
            self.session.finish()
            report = self._build_report(self.session, self.spec)
        elif self.segments:  # the last file ended a segment and no frame came after it
            report = self.segments.pop().report
        else:
            raise InputError(f"{self.source_label}: no frame received")
        report.warnings = (list(report.warnings) + keep_up_warnings(self.stats, self.source_label, report.source.fps)
                           + self.notes)
        if self.test_run is not None:
            report.test = self.test_run.result
        return report
