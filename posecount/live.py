"""``posecount live``: coaching in a window from a camera, or from a file or stream played in real time.

The loop, each turn::

    frame = feed.get()                    # the newest frame only (LatestFrame): no queue behind the model
    pose = estimator.estimate(frame)      # skipped while paused
    result = session.step(...)            # pipeline.Session: the same code analyze runs, so the same counts
    window.show(draw_overlay(...))        # mirrored for display only; left/right stay the person's own
    key = window.poll_key()               # q/Esc quit, space pause, r reset, m mute, Tab next exercise
    routine.update(...)                   # with --routine: the stage, the set's count, the rest countdown

It ends on q/Esc, on closing the window, on Ctrl-C, when a ``--source`` ends, or when the camera or
stream stops delivering frames; then ``report.json`` (the same format as analyze) goes into ``--out``.
A camera that cannot be opened at all is an :class:`InputError` (one line, non-zero exit); one that is
lost mid-session ends the session normally, with what was counted so far and a warning.

Keys ``r`` and Tab:

* ``r`` (reset) starts the count over: the report holds only what came after the last reset, and its
  warnings say when the reset happened and how many attempts it discarded.
* Tab switches to the next built-in exercise. ``report.json`` is the report of the exercise on screen at
  the end; every earlier exercise segment that had at least one attempt is saved beside it as
  ``report-segment-N-EXERCISE.json`` (the same format), and report.json's warnings list them.

A routine (``--routine FILE.toml`` or ``seed``; :mod:`posecount.routine`) is walked through as the frames
come: its set-up check before each exercise, each leg's count toward the set, the rest countdown, the next
exercise, and at the end the pain and effort questions. Its clock is the session's own (the frames'
timestamps, paused time left out). Keys change meaning with it:

* Tab or Enter: on to the next stage (past the set-up check, the rest of this leg's reps, the rest, a
  question); ``r`` starts this leg's count over; q/Esc ends the routine early and asks the questions now
  (q again closes at once).
* The answers: 0-9, and T for 10. Any other key is not an answer (the prompt says so) and is ignored.

A function test (``--test NAME``; :mod:`posecount.testrun`) runs on the frames' own clock: the set-up (in view;
for a chair test, seated), a spoken countdown ("3", "2", "1", "go"), then the 30 s clock, the stopwatch to the
fifth stand, or a stopwatch per stance; once over, it is scored with ``posecount test``'s own code ("go" given),
shown, said, and put in report.json's ``test``. With a recorded ``--source``, "go" falls on the clip's own
clock, so a replay scores the same every time. Space and Tab do nothing during a test; ``r`` starts it again.

Every exercise of a routine is a report segment of its own (``report-segment-N-EXERCISE.json``, as with
Tab); ``routine.json`` beside report.json records each set per leg and the answers; the history stores the
session as kind ``routine``, one set per leg of each set, with its pain and effort.

``--source`` given several times is a playlist: the files play one after another, each a report segment
of its own (its clock starts again). With a routine, each set-up (a new exercise, or the chair turned for
the other leg of a seated exercise) starts on the next file, if the one playing already served a set-up;
so a playlist holds one file per set-up: ``slr.mp4 ske_left.mp4 ske_right.mp4`` for one set of the seed.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from posecount.atomic import atomic_open, ensure_writable_dir
from posecount.display import KEY_ESC, KEY_SPACE, KEY_TAB, NullWindow, OpenCVWindow, Window
from posecount.errors import InputError
from posecount.exercises import builtin_exercises
from posecount.exercises.engine import EventKind, Phase, RepEvent, RepRecord
from posecount.exercises.protocols import ProtocolSpec, Sex
from posecount.exercises.spec import SIDES, ExerciseSpec
from posecount.feedback import Message
from posecount.overlay import OverlayState, RoutineBanner, TestPanel, draw_overlay, draw_pose, draw_routine, draw_test
from posecount.pipeline import FrameResult, Session
from posecount.pose import Pose, PoseEstimator, PoseOptions
from posecount.recording import PoseTrack
from posecount.report import Report, provenance
from posecount.routine import EventKind as RoutineEventKind
from posecount.routine import Routine, RoutineEvent, RoutineRun, Stage, routine_specs
from posecount.sources import (
    CameraSource,
    Frame,
    LatestFrame,
    PacedSource,
    SourceInfo,
    VideoFileSource,
    open_source,
)
from posecount.speech import Speaker, default_voice
from posecount.testrun import COUNTDOWN_S, LiveStance, TestEvent, TestEventKind, TestRecorder, TestRun
from posecount.testrun import Stage as TestStage

log = logging.getLogger(__name__)

#: Frames skipped (the model was still busy when a newer one came) above this fraction earn a warning.
SKIPPED_WARN_FRACTION = 0.10
#: A camera delivering less than this fraction of the fps it reports earns a warning.
CAMERA_SLOW_FRACTION = 0.7
#: How long a closing notice ("Camera lost") stays on screen before the window closes.
NOTICE_S = 2.0
#: Measured fps is averaged over this many displayed frames.
FPS_WINDOW_FRAMES = 30
#: Latency and timing figures cover at most this many recent frames (5 min at 30 fps).
STATS_FRAMES = 9000
#: When the source ends while a routine asks its questions, the window waits this long for the answers.
ANSWER_WAIT_S = 300.0
#: Enter, as OpenCV's back-ends report it (carriage return; some give line feed).
KEY_ENTER = 13
#: A function test's result stays on screen this long before the window closes (any key closes it sooner).
RESULT_S = 6.0


class Action(StrEnum):
    QUIT = "quit"
    PAUSE = "pause"
    RESET = "reset"
    MUTE = "mute"
    SWITCH = "switch"
    NEXT = "next"  # a routine's next stage (Tab does the same in a routine)


KEY_ACTIONS: dict[int, Action] = {
    ord("q"): Action.QUIT, ord("Q"): Action.QUIT, KEY_ESC: Action.QUIT,
    KEY_SPACE: Action.PAUSE,
    ord("r"): Action.RESET, ord("R"): Action.RESET,
    ord("m"): Action.MUTE, ord("M"): Action.MUTE,
    KEY_TAB: Action.SWITCH,
    KEY_ENTER: Action.NEXT, 10: Action.NEXT,
}


def action_for_key(key: int | None) -> Action | None:
    return None if key is None else KEY_ACTIONS.get(key)


class EndReason(StrEnum):
    QUIT = "quit"
    WINDOW_CLOSED = "window closed"
    INTERRUPTED = "interrupted"
    SOURCE_ENDED = "source ended"
    SOURCE_LOST = "source lost"
    ROUTINE_DONE = "routine finished"
    TEST_DONE = "test finished"


@dataclass(frozen=True)
class LiveTest:
    """A function test to run live (``--test NAME``): the protocol, the person (for the norms) and the countdown
    from being in position to "go"."""

    protocol: ProtocolSpec
    age: int | None = None
    sex: Sex | None = None
    countdown_s: float = COUNTDOWN_S


@dataclass(frozen=True)
class LiveOptions:
    """What ``posecount live`` was asked to do. ``source`` (a file or URL) wins over ``camera``."""

    spec: ExerciseSpec
    pose: PoseOptions | None  # None: every frame's pose is replayed from ``landmarks``
    out_dir: Path
    camera: int = 0
    source: str | None = None
    resolution_wh: tuple[int, int] | None = (1280, 720)
    fps: float | None = 30.0
    mute: bool = False
    mirror: bool = True
    headless: bool = False
    stall_timeout_s: float = 5.0  # no frame for this long: the camera or stream is lost
    speed: float = 1.0  # playback speed of a --source file (1.0 = real time)
    display_min_height_px: int = 720  # smaller frames are enlarged for display, so the text stays legible
    #: what Tab cycles through, each with the person's own targets (default: the built-in exercises as filed)
    exercises: tuple[ExerciseSpec, ...] = ()
    #: the session in the history, written as it goes (None: --no-history)
    history: RepSink | None = None
    #: files played after ``source``, one after another (a playlist: one per set-up of a routine)
    playlist: tuple[str, ...] = ()
    #: a routine to walk through (``spec`` is then its first exercise)
    routine: Routine | None = None
    #: recordings made by ``posecount pose`` to replay instead of running the model: a .npz for one source,
    #: or a directory holding NAME.npz for each source NAME.*
    landmarks: Path | None = None
    answer_wait_s: float = ANSWER_WAIT_S
    #: a function test to run (``spec`` is then the exercise it counts: ``protocol_exercise``)
    test: LiveTest | None = None


class RepSink(Protocol):
    """Where finished attempts go as the session runs (posecount.history.SessionWriter): a crash loses
    nothing counted."""

    def rep(self, rep: RepRecord) -> None: ...

    def switched(self, finished: Sequence[RepRecord], spec: ExerciseSpec, at_s: float) -> None: ...

    def reset(self) -> None: ...


class RoutineSink(RepSink, Protocol):
    """A history that also takes a routine's sets and the person's answers (SessionWriter)."""

    def routine_set(self, spec: ExerciseSpec, *, side: str, target_reps: int, at_s: float,
                    settings: dict[str, object] | None = None) -> None: ...

    def rate(self, *, pain: int | None = None, effort: int | None = None) -> None: ...

    def end_set(self, *, at_s: float) -> None: ...


class FrameFeed(Protocol):
    """What the loop reads frames from (:class:`posecount.sources.LatestFrame` or a test double)."""

    info: SourceInfo
    error: Exception | None
    dropped: int

    def get(self) -> Frame | None: ...

    def close(self) -> None: ...


EstimateFn = Callable[[np.ndarray, int], Pose | None]


@dataclass
class OpenedSource:
    """One source, open: its frames, its label for the report, whether it is live, and how its poses come."""

    feed: FrameFeed
    label: str
    live: bool
    estimate: EstimateFn
    arrivals: ArrivalStamps | None = None


class SourceQueue(Protocol):
    """The files still to play after the one playing (:class:`Playlist`, or a test double)."""

    @property
    def remaining(self) -> int: ...

    def next(self) -> OpenedSource | None:
        """Open the next file (closing the one before); None when there is none."""
        ...


@dataclass
class LiveStats:
    """How the loop kept up. Latency is from a frame's capture to its display."""

    frames_captured: int = 0  # what the source delivered
    frames_processed: int = 0  # what went through the model and the session
    frames_shown: int = 0
    frames_skipped: int = 0  # delivered while the model was busy with an earlier one, never seen
    elapsed_s: float = 0.0
    display_fps: float = math.nan  # over the whole session
    # The last STATS_FRAMES frames' timings (bounded: a session may run for hours).
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_FRAMES))
    wait_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_FRAMES))  # capture → picked up
    model_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_FRAMES))
    max_gap_ms: float = 0.0  # the longest stretch of source time between two processed frames

    def summary(self) -> dict[str, float]:
        def pct(values: deque[float], q: float) -> float:
            return float(np.percentile(values, q)) if values else math.nan

        return {
            "display_fps": self.display_fps, "frames_captured": self.frames_captured,
            "frames_processed": self.frames_processed, "frames_skipped": self.frames_skipped,
            "latency_ms_p50": pct(self.latency_ms, 50), "latency_ms_p95": pct(self.latency_ms, 95),
            "wait_ms_p50": pct(self.wait_ms, 50), "wait_ms_p95": pct(self.wait_ms, 95),
            "model_ms_p50": pct(self.model_ms, 50), "max_gap_ms": self.max_gap_ms,
        }


@dataclass
class Segment:
    """An exercise segment ended by Tab: its own report, and when it ran (seconds of the source)."""

    report: Report
    start_s: float
    end_s: float


@dataclass
class LiveResult:
    report: Report  # the exercise on screen at the end
    stats: LiveStats
    end_reason: EndReason
    segments: list[Segment] = field(default_factory=list)  # earlier exercises (Tab), in order
    segment_files: list[Path] = field(default_factory=list)
    routine: dict[str, object] | None = None  # the routine as it went (RoutineRun.summary)


class ArrivalStamps:
    """Wraps a frame source and notes when each frame arrived (monotonic seconds), for latency figures.

    Keeps only the last ``keep`` stamps, so memory does not grow with the session.
    """

    def __init__(self, source: CameraSource | PacedSource | VideoFileSource, keep: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self.info = source.info
        self._keep = keep
        self._clock = clock
        self.stamps: OrderedDict[int, float] = OrderedDict()
        self.count = 0

    def __iter__(self) -> Iterator[Frame]:
        for frame in self._source:
            self.stamps[frame.index] = self._clock()
            self.count += 1
            while len(self.stamps) > self._keep:
                self.stamps.popitem(last=False)
            yield frame

    def close(self) -> None:
        self._source.close()


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
        self._shown_at: deque[float] = deque(maxlen=FPS_WINDOW_FRAMES)
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
            self._end_last_set()
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
        self._shown_at.append(now)
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

    def _compose(self, image: np.ndarray, pose: Pose | None, state: OverlayState) -> np.ndarray:
        """The screen: the frame (enlarged if small) with the overlay; or the bare frame when not drawing."""
        if not self.draw:
            return image
        k = self.display_scale
        if k > 1.0:
            image = cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
            if pose is not None:
                pose = replace(pose, image_xy=pose.image_xy * np.float32(k))
        if self.test_run is not None:
            # The balance test counts no reps: its stopwatch alone, without the counts and the gauge.
            if self.test_run.protocol.kind == "stances":
                return draw_test(draw_pose(image, pose, self.mirror), self._test_panel())
            return draw_test(draw_overlay(image, pose, state, mirror=self.mirror), self._test_panel())
        out = draw_overlay(image, pose, state, mirror=self.mirror)
        banner = self._routine_banner(state)
        return draw_routine(out, banner) if banner is not None else out

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
        ex, spec = self.routine.routine.exercises[step.exercise], self._routine_specs[step.exercise]
        settings: dict[str, object] = {"routine": self.routine.routine.name, "set": step.set, "sets": ex.sets,
                                       "reps_per_leg": ex.reps_per_leg, "rest_s": ex.rest_s}
        if step.leg != "both":
            settings |= {f"target_{spec.drive.unit}": spec.target(step.leg), "min_hold_s": spec.min_hold_s(step.leg)}
        self._routine_sink.routine_set(spec, side=step.leg, target_reps=ex.reps_per_leg,
                                       at_s=round(self._active_s, 3), settings=settings)

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

    def _end_last_set(self) -> None:
        """The history's last set ends where its leg did (each earlier one ended as the next began)."""
        assert self.routine is not None
        started = [leg for leg in self.routine.legs if leg.started_s is not None]
        if self._routine_sink is not None and started:
            ended_s = started[-1].ended_s
            self._routine_sink.end_set(at_s=round(self._active_s if ended_s is None else ended_s, 3))

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

    def _hold_screen(self) -> None:
        """Keep the last frame up a moment (the routine's last words; any key skips it)."""
        if self._last_frame is None or isinstance(self.window, NullWindow) or not self.window.is_open():
            return
        self.window.show(self._screen(self._last_frame.image))
        end = self.clock() + NOTICE_S
        while self.clock() < end and self.window.is_open():
            if self.window.poll_key(50) is not None:
                break

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

    def _routine_overlay(self, state: OverlayState) -> OverlayState:
        """The coaching screen under a routine: each leg's count toward this set's goal; the coaching line and
        the hint only while a leg is at work (what the set-up check wants goes into the routine's panel)."""
        assert self.routine is not None
        view = self.routine.view(self._active_s)
        sides = {track: replace(st, counted=view.counts.get(track, 0)) for track, st in state.sides.items()}
        if view.stage != Stage.EXERCISE:
            return replace(state, sides=sides, goal_per_side=view.goal, message=None, hint=None, view_issue=None)
        message = self._coach_message(self._result.message) if self._result is not None else None
        hint = self._lift_text(view.leg) if state.hint is not None and view.leg in SIDES else state.hint
        return replace(state, sides=sides, goal_per_side=view.goal, hint=hint,
                       message=message.text if message else None,
                       message_tone=message.tone.value if message else "step")

    def _routine_banner(self, state: OverlayState | None) -> RoutineBanner | None:
        if self.routine is None:
            return None
        view = self.routine.view(self._active_s)
        if state is not None and state.banner and view.stage != Stage.EXERCISE:
            return None  # paused, or a notice: that banner has the middle
        detail = view.detail
        features = self._result.features if self._result is not None else None
        if view.stage == Stage.SETUP and features is not None and not features.view_ok and features.view_issue:
            detail = features.view_issue
        return RoutineBanner(view.stage.value, view.heading, view.text, detail, view.fraction, view.choices)

    def _screen(self, image: np.ndarray) -> np.ndarray:
        """A frame shown outside the loop's turn: with the overlay while a Session runs, else the routine's
        layer alone."""
        if self.session is not None:
            return self._compose(image, None, self.overlay_state())
        if not self.draw:
            return image
        k = self.display_scale
        if k > 1.0:
            image = cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
        if self.mirror:
            image = cv2.flip(image, 1)
        banner = self._routine_banner(None)
        return draw_routine(image, banner) if banner is not None else image.copy()

    # -- what the screen and the voice get ---------------------------------------------------------------
    def fps(self) -> float | None:
        if len(self._shown_at) < 2:
            return None
        span = self._shown_at[-1] - self._shown_at[0]
        return (len(self._shown_at) - 1) / span if span > 0 else None

    def flags(self) -> tuple[str, ...]:
        return (("paused",) if self.paused else ()) + (("muted",) if self.muted else ())

    def overlay_state(self, banner: str | None = None) -> OverlayState:
        assert self.session is not None
        if self._result is not None:
            state = self.session.overlay_state(self._result, self.fps(), self.flags())
            features = self._result.features
            state = replace(state, view_issue=features.view_issue if not features.view_ok else None)
        else:
            label = self.spec.drive.feature.removesuffix("_deg").replace("_", " ")
            state = OverlayState(title=self.spec.title, drive_label=label,
                                 sides=self.session.states, start_line=self.spec.drive.start,
                                 target_line=self.spec.drive.target, min_hold_s=self.spec.drive.min_hold_s,
                                 unit=self.spec.drive.unit, sign=self.spec.drive.sign,
                                 goal_per_side=self.spec.goal_per_side, fps=self.fps(), flags=self.flags())
        if self.paused and banner is None:
            banner = "Paused - press space to continue"
        state = replace(state, hint=self._hint(state), banner=banner)
        return self._routine_overlay(state) if self.routine is not None else state

    def _hint(self, state: OverlayState) -> str | None:
        """What to do next while both legs rest: lift the leg with fewer reps (the near leg, side-on)."""
        if not state.view_ok or any(st.phase != Phase.REST for st in state.sides.values()):
            return None
        if self.spec.track_kind == "near_leg":
            side = state.working_side or "working"
        elif self.spec.track_kind == "whole_body":
            side = "both"
        else:
            side = min(SIDES, key=lambda s: state.sides[s].counted)
        return self._lift_text(side)

    def _lift_text(self, side: str | None) -> str:
        try:
            return self.spec.messages.lift.format(side=side, hold_s=self.spec.drive.min_hold_s)
        except (KeyError, IndexError, ValueError):
            return self.spec.messages.lift

    def _speak(self, message: Message | None) -> None:
        if message is None or not message.speak or self.speaker is None:
            return
        key = (message.text, message.since_ms)
        if key == self._spoken:
            return
        self._spoken = key
        self.speaker.say(message.text)

    def _notice(self, text: str) -> None:
        """Keep the last frame up with ``text`` for a moment (any key skips it)."""
        if self._last_frame is None or self.session is None or isinstance(self.window, NullWindow):
            return
        self.window.show(self._compose(self._last_frame.image, None, self.overlay_state(banner=text)))
        end = self.clock() + NOTICE_S
        while self.clock() < end and self.window.is_open():
            if self.window.poll_key(50) is not None:
                break

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

    def _test_panel(self) -> TestPanel:
        assert self.test_run is not None
        view = self.test_run.view(self._now_s())
        features = self._result.features if self._result is not None else None
        if view.stage == TestStage.SETUP and features is not None and not features.view_ok and features.view_issue:
            view = replace(view, detail=features.view_issue)
        return TestPanel(**asdict(view))

    def _show_result(self) -> None:
        """Keep the test's result up for ``RESULT_S`` (any key closes it sooner)."""
        if self._last_frame is None or isinstance(self.window, NullWindow) or not self.window.is_open():
            return
        self.window.show(self._compose(self._last_frame.image, None, self.overlay_state()))
        end = self.clock() + RESULT_S
        while self.clock() < end and self.window.is_open():
            if self.window.poll_key(50) is not None:
                break

    # -- the report -------------------------------------------------------------------------------------
    def _captured(self) -> int:
        """Frames the current file (or camera) delivered."""
        if self.arrivals is not None:
            return self.arrivals.count
        return self._file_last_index + 1

    def _now_s(self) -> float:
        return self._last_frame.timestamp_ms / 1000.0 if self._last_frame is not None else 0.0

    def _source_info(self) -> SourceInfo:
        info = self.feed.info
        w, h = self._frame_wh or (info.width, info.height)
        # The duration by the frames' own timestamps (a variable-frame-rate file, a camera that runs slow):
        # the last frame seen ends one nominal interval after its timestamp.
        end_s = (self._last_frame.timestamp_ms / 1000.0 + (1.0 / info.fps if info.fps > 0 else 0.0)
                 if self._last_frame is not None else None)
        return SourceInfo(path=self.source_label, fps=info.fps, frames=info.frames, width=w, height=h,
                          measured_duration_s=end_s)

    def _build_report(self, session: Session, spec: ExerciseSpec) -> Report:
        info = self._source_info()
        t = session.tally
        span_s = max(1e-3, (session.last_ms - (self._session_start_ms or 0)) / 1000.0)
        # The session saw only the frames the model kept up with: convert its frame counts at that rate.
        processing_fps = t.frames / span_s if t.frames > 1 else info.fps
        made_with, settings = provenance(spec, self.model_path, self.landmarks)
        return Report(exercise=spec.name, source=info, frames_read=self._captured(), tracks=spec.tracks,
                      unit=spec.drive.unit,
                      reps=list(session.counter.reps), pose_detected_fraction=t.pose_frames / max(1, t.frames),
                      warnings=session.warnings(processing_fps), made_with=made_with, settings=settings)

    def report(self) -> Report:
        """The report of the exercise on screen now (call after :meth:`run`)."""
        if self.session is not None:
            self.session.finish()
            report = self._build_report(self.session, self.spec)
        elif self.segments:  # the last file ended a segment and no frame came after it
            report = self.segments.pop().report
        else:
            raise InputError(f"{self.source_label}: no frame received")
        warnings = list(report.warnings)
        captured, skipped = self.stats.frames_captured, self.stats.frames_skipped
        if captured and skipped > SKIPPED_WARN_FRACTION * captured:
            warnings.append(f"the computer could not keep up: {skipped} of {captured} frames "
                            f"({100 * skipped / captured:.0f}%) were skipped; counts may differ from analyze")
        if self.source_label.startswith("camera:") and self.stats.elapsed_s > 5 and report.source.fps > 0:
            measured = captured / self.stats.elapsed_s
            if measured < CAMERA_SLOW_FRACTION * report.source.fps:
                warnings.append(f"the camera delivered {measured:.1f} fps, not the {report.source.fps:.0f} fps "
                                "it reported")
        warnings += self.notes
        report.warnings = warnings
        if self.test_run is not None:
            report.test = self.test_run.result
        return report


# -- opening everything ---------------------------------------------------------------------------------
def open_live_source(options: LiveOptions) -> tuple[CameraSource | PacedSource | VideoFileSource, str, bool]:
    """(source, label for the report, whether it is live). Files are paced to real time."""
    if options.source is None or options.source.isdigit():
        index = options.camera if options.source is None else int(options.source)
        cam = CameraSource(index, options.resolution_wh, options.fps)
        _log_camera(cam, options)
        return cam, f"camera:{index}", True
    src = open_source(options.source)
    if isinstance(src, VideoFileSource):
        return PacedSource(src, speed=options.speed), options.source, False
    return src, options.source, True  # type: ignore[return-value]


def _log_camera(cam: CameraSource, options: LiveOptions) -> None:
    info = cam.info
    got = f"{info.width}x{info.height} @ {info.fps:g} fps"
    if options.resolution_wh or options.fps:
        rw, rh = options.resolution_wh or (info.width, info.height)
        wanted = f"{rw}x{rh} @ {options.fps or info.fps:g} fps"
        if (rw, rh) != (info.width, info.height) or (options.fps and abs(options.fps - info.fps) > 0.5):
            log.warning("%s: asked for %s, the camera gives %s", info.path, wanted, got)
            return
    log.info("%s: %s", info.path, got)


class Playlist:
    """The files after the first ``--source``, opened one at a time as the loop asks; each opened closes the
    one before. ``current`` is the source playing (the first is opened by whoever made the playlist)."""

    def __init__(self, paths: Sequence[str], open_one: Callable[[str], OpenedSource]) -> None:
        self._paths = list(paths)
        self._open = open_one
        self.current: OpenedSource | None = None

    @property
    def remaining(self) -> int:
        return len(self._paths)

    def next(self) -> OpenedSource | None:
        if not self._paths:
            return None
        if self.current is not None:
            self.current.feed.close()
            self.current = None
        self.current = self._open(self._paths.pop(0))
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.feed.close()
            self.current = None


class _ModelClock:
    """The model's estimate across a playlist: MediaPipe needs timestamps that keep rising, and every file's
    start at 0 again, so each file is shifted past the one before it (with a second's gap, as at a cut)."""

    def __init__(self) -> None:
        self.estimator: PoseEstimator | None = None
        self._offset_ms = 0
        self._last_ms = -1

    def next_file(self) -> _ModelClock:
        if self._last_ms >= 0:
            self._offset_ms = self._last_ms + 1000
        return self

    def __call__(self, image: np.ndarray, timestamp_ms: int) -> Pose | None:
        assert self.estimator is not None
        t = int(timestamp_ms) + self._offset_ms
        self._last_ms = max(self._last_ms, t)
        return self.estimator.estimate(image, t)


def replay_estimate(track: PoseTrack) -> EstimateFn:
    """Poses from a recording (``posecount pose``) looked up by the frame's timestamp, instead of the model
    (a frame the recording does not have: no person)."""
    poses = {int(ts): pose for _, ts, pose in track}

    def estimate(image: np.ndarray, timestamp_ms: int) -> Pose | None:
        return poses.get(int(timestamp_ms))

    return estimate


def _recordings(options: LiveOptions) -> dict[str, PoseTrack]:
    """Check the playlist's files, and load the recordings to replay (by source), if any."""
    sources = ([options.source] if options.source is not None else []) + list(options.playlist)
    if options.playlist:
        for path in sources:
            if not Path(path).is_file():
                raise InputError(f"{path}: no such file (several --source play video files one after another)")
    if options.landmarks is None:
        return {}
    if options.source is None or options.source.isdigit() or "://" in options.source:
        raise InputError("--landmarks replays recordings of --source files, not of a camera or a stream")
    where = Path(options.landmarks)
    if where.is_dir():
        files = {s: where / f"{Path(s).stem}.npz" for s in sources}
    elif len(sources) == 1:
        files = {sources[0]: where}
    else:
        raise InputError(f"{where}: with several --source files, --landmarks is a directory with NAME.npz for each")
    for source, file in files.items():
        if not file.is_file():
            raise InputError(f"{file}: no recording of {source} (make one with `posecount pose {source} --out DIR`)")
    return {source: PoseTrack.load(file) for source, file in files.items()}


def _open_file(path: str, options: LiveOptions, estimate: EstimateFn) -> OpenedSource:
    """A playlist's file, played in real time like the first."""
    src = open_source(path)
    paced = PacedSource(src, speed=options.speed) if isinstance(src, VideoFileSource) else src
    arrivals = ArrivalStamps(paced)  # type: ignore[arg-type]
    feed = LatestFrame(arrivals, stall_timeout_s=options.stall_timeout_s)
    return OpenedSource(feed, path, not isinstance(src, VideoFileSource), estimate, arrivals)


def run_live_session(options: LiveOptions, window: Window | None = None, speaker: Speaker | None = None
                     ) -> LiveResult:
    """Open source, model, window and voice; run the loop; write ``report.json``; close everything."""
    out_dir = ensure_writable_dir(Path(options.out_dir))
    recordings = _recordings(options)
    source, label, live = open_live_source(options)
    arrivals = ArrivalStamps(source)
    model = _ModelClock()

    def estimate_for(path: str) -> EstimateFn:
        return replay_estimate(recordings[path]) if recordings else model.next_file()

    playlist = Playlist(options.playlist, lambda path: _open_file(path, options, estimate_for(path)))
    own_window = window is None
    own_speaker = speaker is None
    try:
        if not recordings:
            if options.pose is None:
                raise InputError("no pose model given, and no --landmarks to replay")
            model.estimator = PoseEstimator(options.pose)
        if window is None:
            window = NullWindow() if options.headless else OpenCVWindow()
        if speaker is None:
            speaker = Speaker(default_voice, muted=options.mute)
        first = OpenedSource(LatestFrame(arrivals, stall_timeout_s=options.stall_timeout_s), label, live,
                             estimate_for(label), arrivals)
        playlist.current = first
        loop = LiveLoop(options.spec, first.feed, first.estimate, window, speaker, source_label=label,
                        mirror=options.mirror, live_source=live, arrivals=arrivals, draw=not options.headless,
                        display_min_height_px=options.display_min_height_px,
                        model_path=options.pose.model_path if options.pose is not None and not recordings else None,
                        exercises=options.exercises, history=options.history, routine=options.routine,
                        sources=playlist, answer_wait_s=0.0 if options.headless else options.answer_wait_s,
                        landmarks=str(options.landmarks) if recordings else None, test=options.test)
        result = loop.run()
    finally:
        if playlist.current is not None:
            playlist.close()
        else:
            source.close()
        if model.estimator is not None:
            model.estimator.close()
        if own_window and window is not None:
            window.close()
        if own_speaker and speaker is not None:
            speaker.close()
    save_live_result(result, out_dir)
    s = result.stats.summary()
    log.info("live: %s after %.1f s; %.1f fps shown, %d of %d frames skipped (longest gap %.0f ms), "
             "capture-to-display %.0f ms (p95 %.0f)", result.end_reason, result.stats.elapsed_s, s["display_fps"],
             result.stats.frames_skipped, result.stats.frames_captured, s["max_gap_ms"], s["latency_ms_p50"],
             s["latency_ms_p95"])
    return result


def save_live_result(result: LiveResult, out_dir: Path) -> None:
    """``report.json`` (the exercise on screen at the end) and one ``report-segment-N-EXERCISE.json`` per
    earlier exercise segment, each named in report.json's warnings; with a routine, ``routine.json`` (its
    sets per leg and the answers). report.json is written last."""
    out_dir = Path(out_dir)
    for n, segment in enumerate(result.segments, start=1):
        path = out_dir / f"report-segment-{n}-{segment.report.exercise}.json"
        segment.report.write_json(path)
        result.segment_files.append(path)
        c = segment.report.counts
        what = ("an earlier part of the session" if result.routine is not None
                else "the exercise was switched during the session")
        result.report.warnings.append(
            f"{what}: {segment.report.exercise} from {segment.start_s:.1f} "
            f"to {segment.end_s:.1f} s (left {c['left']}, right {c['right']} counted) is in {path.name}")
    if result.routine is not None:
        with atomic_open(out_dir / "routine.json", "w", encoding="utf-8") as fh:
            json.dump(result.routine, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    result.report.write_json(out_dir / "report.json")


def run_live(options: LiveOptions) -> Report:
    """``posecount live``: the session's report (also written to ``options.out_dir/report.json``)."""
    return run_live_session(options).report


__all__ = ["Action", "ArrivalStamps", "EndReason", "LiveLoop", "LiveOptions", "LiveResult", "LiveStats", "LiveTest",
           "OpenedSource", "Playlist", "Segment", "SourceQueue", "action_for_key", "open_live_source",
           "replay_estimate", "run_live", "run_live_session", "save_live_result"]
