"""``posecount live``: coaching in a window from a camera, or from a file or stream played in real time.

The loop, each turn::

    frame = feed.get()                    # the newest frame only (LatestFrame): no queue behind the model
    pose = estimator.estimate(frame)      # skipped while paused
    result = session.step(...)            # pipeline.Session: the same code analyze runs, so the same counts
    window.show(draw_overlay(...))        # mirrored for display only; left/right stay the person's own
    key = window.poll_key()               # q/Esc quit, space pause, r reset, m mute, Tab next exercise

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
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from posecount.atomic import ensure_writable_dir
from posecount.display import KEY_ESC, KEY_SPACE, KEY_TAB, NullWindow, OpenCVWindow, Window
from posecount.errors import InputError
from posecount.exercises import builtin_exercises
from posecount.exercises.engine import EventKind, Phase, RepRecord
from posecount.exercises.spec import SIDES, ExerciseSpec
from posecount.feedback import Message
from posecount.overlay import OverlayState, draw_overlay
from posecount.pipeline import FrameResult, Session
from posecount.pose import Pose, PoseEstimator, PoseOptions
from posecount.report import Report, provenance
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


class Action(StrEnum):
    QUIT = "quit"
    PAUSE = "pause"
    RESET = "reset"
    MUTE = "mute"
    SWITCH = "switch"


KEY_ACTIONS: dict[int, Action] = {
    ord("q"): Action.QUIT, ord("Q"): Action.QUIT, KEY_ESC: Action.QUIT,
    KEY_SPACE: Action.PAUSE,
    ord("r"): Action.RESET, ord("R"): Action.RESET,
    ord("m"): Action.MUTE, ord("M"): Action.MUTE,
    KEY_TAB: Action.SWITCH,
}


def action_for_key(key: int | None) -> Action | None:
    return None if key is None else KEY_ACTIONS.get(key)


class EndReason(StrEnum):
    QUIT = "quit"
    WINDOW_CLOSED = "window closed"
    INTERRUPTED = "interrupted"
    SOURCE_ENDED = "source ended"
    SOURCE_LOST = "source lost"


@dataclass(frozen=True)
class LiveOptions:
    """What ``posecount live`` was asked to do. ``source`` (a file or URL) wins over ``camera``."""

    spec: ExerciseSpec
    pose: PoseOptions
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


class RepSink(Protocol):
    """Where finished attempts go as the session runs (posecount.history.SessionWriter): a crash loses
    nothing counted."""

    def rep(self, rep: RepRecord) -> None: ...

    def switched(self, finished: Sequence[RepRecord], spec: ExerciseSpec, at_s: float) -> None: ...

    def reset(self) -> None: ...


class FrameFeed(Protocol):
    """What the loop reads frames from (:class:`posecount.sources.LatestFrame` or a test double)."""

    info: SourceInfo
    error: Exception | None
    dropped: int

    def get(self) -> Frame | None: ...

    def close(self) -> None: ...


EstimateFn = Callable[[np.ndarray, int], Pose | None]


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
    """

    def __init__(self, spec: ExerciseSpec, feed: FrameFeed, estimate: EstimateFn, window: Window,
                 speaker: Speaker | None, *, source_label: str, mirror: bool = True, live_source: bool = False,
                 arrivals: ArrivalStamps | None = None, draw: bool = True, display_min_height_px: int = 720,
                 clock: Callable[[], float] = time.monotonic, model_path: Path | None = None,
                 exercises: Sequence[ExerciseSpec] = (), history: RepSink | None = None) -> None:
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

    # -- the loop ---------------------------------------------------------------------------------------
    def run(self) -> LiveResult:
        t0 = self.clock()
        reason = EndReason.SOURCE_ENDED
        try:
            while True:
                frame = self.feed.get()
                if frame is None:
                    reason = self._source_end()
                    break
                arrived = self._frame(frame)
                key = self.window.poll_key(1)  # also lets the window paint the frame
                if arrived is not None:
                    self.stats.latency_ms.append((self.clock() - arrived) * 1000.0)
                action = action_for_key(key)
                if action == Action.QUIT:
                    reason = EndReason.QUIT
                    break
                if action is not None:
                    self.apply(action)
                if not self.window.is_open():
                    reason = EndReason.WINDOW_CLOSED
                    break
        except KeyboardInterrupt:
            reason = EndReason.INTERRUPTED
            log.info("interrupted: ending the session")
        self.stats.elapsed_s = self.clock() - t0
        if self.stats.frames_shown > 1 and self.stats.elapsed_s > 0:
            self.stats.display_fps = self.stats.frames_shown / self.stats.elapsed_s
        self.stats.frames_skipped = self.feed.dropped
        self.stats.frames_captured = self._captured()
        if reason == EndReason.SOURCE_LOST and self.window.is_open():
            self._notice(self.notes[-1] if self.notes else "The camera was lost")
        return LiveResult(self.report(), self.stats, reason, list(self.segments))

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
        pose: Pose | None = None
        if not self.paused:
            t = time.perf_counter()
            raw = self.estimate(frame.image, frame.timestamp_ms)
            self.stats.model_ms.append((time.perf_counter() - t) * 1000.0)
            if self._result is not None:
                gap = frame.timestamp_ms - self._result.timestamp_ms
                self.stats.max_gap_ms = max(self.stats.max_gap_ms, float(gap))
            self._result = self.session.step(frame.index, frame.timestamp_ms, raw)
            self.stats.frames_processed += 1
            self._log_finished_reps(self._result)
            pose = self._result.pose
            self._speak(self._result.message)
        self.window.show(self._compose(frame.image, pose, self.overlay_state()))
        now = self.clock()
        self._shown_at.append(now)
        self.stats.frames_shown += 1
        return arrived

    def _log_finished_reps(self, result: FrameResult) -> None:
        """One INFO line per finished attempt (for --verbose timelines, and what GUI tests wait for)."""
        for event in result.events:
            if event.kind == EventKind.REP_FINISHED and event.rep is not None and self.session is not None:
                if self.history is not None:
                    self.history.rep(event.rep)
                rep, c = event.rep, self.session.counter.counts
                verdict = "counted" if rep.counted else "not counted (" + ", ".join(rep.faults) + ")"
                log.info("rep finished: %s leg at %.1f s, %s, hold %.1f s; so far left %d, right %d counted",
                         rep.side, rep.end_s, verdict, rep.hold_s, c["left"], c["right"])

    def _compose(self, image: np.ndarray, pose: Pose | None, state: OverlayState) -> np.ndarray:
        """The screen: the frame (enlarged if small) with the overlay; or the bare frame when not drawing."""
        if not self.draw:
            return image
        k = self.display_scale
        if k > 1.0:
            image = cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
            if pose is not None:
                pose = replace(pose, image_xy=pose.image_xy * np.float32(k))
        return draw_overlay(image, pose, state, mirror=self.mirror)

    # -- keys -------------------------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        """Act on a key (anything but quit, which ends :meth:`run`)."""
        if action == Action.PAUSE:
            self.paused = not self.paused
            log.info("paused" if self.paused else "resumed")
        elif action == Action.MUTE:
            self.muted = not self.muted
            if self.speaker is not None:
                self.speaker.muted = self.muted
            log.info("muted" if self.muted else "unmuted")
        elif action == Action.RESET and self.session is not None:
            attempts = len(self.session.counter.reps)
            at_s = self._now_s()
            self.session.reset()
            if self.history is not None:
                self.history.reset()
            self._result = None
            self._segment_start_ms = self._last_frame.timestamp_ms if self._last_frame else None
            self.notes.append(f"the count was reset at {at_s:.1f} s; the {attempts} attempt(s) before that are "
                              "not in this report")
            log.info("reset at %.1f s", at_s)
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
        return replace(state, hint=self._hint(state), banner=banner)

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

    # -- the report -------------------------------------------------------------------------------------
    def _captured(self) -> int:
        if self.arrivals is not None:
            return self.arrivals.count
        return self._last_frame.index + 1 if self._last_frame is not None else 0

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
        made_with, settings = provenance(spec, self.model_path)
        return Report(exercise=spec.name, source=info, frames_read=self._captured(), tracks=spec.tracks,
                      unit=spec.drive.unit,
                      reps=list(session.counter.reps), pose_detected_fraction=t.pose_frames / max(1, t.frames),
                      warnings=session.warnings(processing_fps), made_with=made_with, settings=settings)

    def report(self) -> Report:
        """The report of the exercise on screen now (call after :meth:`run`)."""
        if self.session is None:
            raise InputError(f"{self.source_label}: no frame received")
        self.session.finish()
        report = self._build_report(self.session, self.spec)
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


def run_live_session(options: LiveOptions, window: Window | None = None, speaker: Speaker | None = None
                     ) -> LiveResult:
    """Open source, model, window and voice; run the loop; write ``report.json``; close everything."""
    out_dir = ensure_writable_dir(Path(options.out_dir))
    source, label, live = open_live_source(options)
    arrivals = ArrivalStamps(source)
    feed: LatestFrame | None = None
    estimator: PoseEstimator | None = None
    own_window = window is None
    own_speaker = speaker is None
    try:
        estimator = PoseEstimator(options.pose)
        if window is None:
            window = NullWindow() if options.headless else OpenCVWindow()
        if speaker is None:
            speaker = Speaker(default_voice, muted=options.mute)
        feed = LatestFrame(arrivals, stall_timeout_s=options.stall_timeout_s)
        loop = LiveLoop(options.spec, feed, estimator.estimate, window, speaker, source_label=label,
                        mirror=options.mirror, live_source=live, arrivals=arrivals, draw=not options.headless,
                        display_min_height_px=options.display_min_height_px, model_path=options.pose.model_path,
                        exercises=options.exercises, history=options.history)
        result = loop.run()
    finally:
        if feed is not None:
            feed.close()
        else:
            source.close()
        if estimator is not None:
            estimator.close()
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
    earlier exercise segment, each named in report.json's warnings. report.json is written last."""
    out_dir = Path(out_dir)
    for n, segment in enumerate(result.segments, start=1):
        path = out_dir / f"report-segment-{n}-{segment.report.exercise}.json"
        segment.report.write_json(path)
        result.segment_files.append(path)
        c = segment.report.counts
        result.report.warnings.append(
            f"the exercise was switched during the session: {segment.report.exercise} from {segment.start_s:.1f} "
            f"to {segment.end_s:.1f} s (left {c['left']}, right {c['right']} counted) is in {path.name}")
    result.report.write_json(out_dir / "report.json")


def run_live(options: LiveOptions) -> Report:
    """``posecount live``: the session's report (also written to ``options.out_dir/report.json``)."""
    return run_live_session(options).report


__all__ = ["Action", "ArrivalStamps", "EndReason", "LiveLoop", "LiveOptions", "LiveResult", "LiveStats", "Segment",
           "action_for_key", "open_live_source", "run_live", "run_live_session", "save_live_result"]
