"""Where the stages meet: the per-frame :class:`Session` (smoothing → features → counter → coach), and
the runs built on it: ``run_pose_extraction`` (posecount pose), ``run_analysis`` (posecount analyze).
``posecount.live`` drives the same Session from a camera, so live and offline count the same frames alike.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from posecount.atomic import atomic_open, atomic_path, output_dir
from posecount.exercises.engine import Phase, RepCounter, RepEvent, SideState
from posecount.exercises.protocols import ProtocolSpec, Sex
from posecount.exercises.spec import SIDES, TRACKS, ExerciseSpec, Track
from posecount.features import FeatureExtractor, Features, ViewSettings
from posecount.feedback import Coach, Message
from posecount.overlay import OverlayState, draw_overlay
from posecount.pose import Pose, PoseEstimator, PoseOptions
from posecount.recording import PoseRecorder, PoseTrack
from posecount.report import FramesCsv, Report, preload_timeline, provenance, write_timeline
from posecount.smoothing import PoseSmoother, SmoothingSettings
from posecount.sources import Frame, SourceInfo, VideoFileSource
from posecount.testrun import TestRecorder
from posecount.video import H264Writer

log = logging.getLogger(__name__)

ProgressFn = Callable[[int], None]

#: Recorded video is judged as filmed: a foot hanging below the picture is a leg at rest (partial framing;
#: see posecount.features). Live keeps the default, which asks the person to step back instead.
RECORDED_VIEW = ViewSettings(assume_rest_below_frame=True, count_behind_chair=True)


@dataclass(frozen=True)
class FrameResult:
    """Everything one frame produced, for the screen, the files and the tests."""

    index: int
    timestamp_ms: int
    pose: Pose | None
    features: Features
    events: list[RepEvent]
    message: Message | None


@dataclass
class _Tally:
    frames: int = 0
    pose_frames: int = 0
    view_bad_frames: int = 0
    view_issues: Counter[str] = field(default_factory=Counter)
    side_unseen_frames: dict[Track, int] = field(default_factory=lambda: {s: 0 for s in TRACKS})
    side_below_frames: dict[Track, int] = field(default_factory=lambda: {s: 0 for s in TRACKS})
    dropped: int = 0
    ended_unseen: int = 0


class Session:
    """One exercise session over a stream of (timestamp, pose) pairs. Pure: no camera, no window."""

    def __init__(self, spec: ExerciseSpec, frame_wh: tuple[int, int],
                 smoothing: SmoothingSettings | None = None, view: ViewSettings | None = None) -> None:
        self.spec = spec
        self.frame_wh = frame_wh
        self.smoother = PoseSmoother(smoothing, frame_height_px=frame_wh[1])
        self.extractor = FeatureExtractor(spec, frame_wh, view)
        self.counter = RepCounter(spec)
        self.coach = Coach(spec)
        self.tally = _Tally()
        self.last_ms = 0

    def step(self, index: int, timestamp_ms: int, raw_pose: Pose | None) -> FrameResult:
        pose = self.smoother(raw_pose, timestamp_ms)
        features = self.extractor(pose, timestamp_ms)
        events = self.counter.update(features.frame)
        message = self.coach.update(timestamp_ms, events, self.counter.states, features.view_ok,
                                    features.view_issue)
        self._tally(features, events)
        self.last_ms = timestamp_ms
        return FrameResult(index, timestamp_ms, pose, features, events, message)

    def finish(self) -> list[RepEvent]:
        return self.counter.finish(self.last_ms)

    def reset(self) -> None:
        self.smoother.reset()
        self.counter.reset()
        self.coach.reset()

    @property
    def states(self) -> dict[Track, SideState]:
        return self.counter.states

    def focus_side(self, working_side: Track | None = None) -> Track:
        """The track the screen's gauge and hold ring are about: the whole body; else the leg moving, else
        the working (near) leg, else the one with fewer reps (the next to lift). Its own lines are shown
        (rest, personal target)."""
        tracks = self.counter.tracks
        moving = [s for s in tracks if self.counter.states[s].phase != Phase.REST]
        if moving:
            return moving[0]
        if working_side is not None and working_side in tracks:
            return working_side
        return min(tracks, key=lambda s: self.counter.states[s].counted)

    def overlay_state(self, result: FrameResult, fps: float | None = None,
                      flags: tuple[str, ...] = ()) -> OverlayState:
        msg = result.message
        side = self.focus_side(result.features.working_side)
        return OverlayState(
            title=self.spec.title, drive_label=self.spec.drive.display_name,
            sides=self.counter.states, start_line=self.counter.start_line(side),
            target_line=self.counter.target_line(side), unit=self.spec.drive.unit, sign=self.spec.drive.sign,
            min_hold_s=self.spec.min_hold_s(side), goal_per_side=self.spec.goal_per_side,
            working_side=result.features.working_side, message=msg.text if msg else None,
            message_tone=msg.tone.value if msg else "step", view_ok=result.features.view_ok, fps=fps, flags=flags,
            view_issue=result.features.view_issue if not result.features.view_ok else None)

    def _tally(self, features: Features, events: list[RepEvent]) -> None:
        t = self.tally
        t.frames += 1
        if features.pose_found:
            t.pose_frames += 1
            if not features.view_ok:
                t.view_bad_frames += 1
                if features.view_issue:
                    t.view_issues[features.view_issue] += 1
            else:
                for track in self._tracked(features):
                    if track in features.below_frame:
                        t.side_below_frames[track] += 1
                    elif not math.isfinite(self._drive_value(features, track)):
                        t.side_unseen_frames[track] += 1
        t.dropped += sum(1 for e in events if e.kind.value == "attempt_dropped")
        t.ended_unseen += sum(1 for e in events if e.rep is not None and e.rep.ended_unseen)

    def _tracked(self, features: Features) -> tuple[Track, ...]:
        if self.spec.track_kind == "near_leg":
            return (features.working_side,) if features.working_side else ()
        return self.spec.tracks

    def _drive_value(self, features: Features, track: Track) -> float:
        f = features.frame
        source = f.body if track == "both" else f.sides[track]
        return float(source.get(self.spec.drive.feature, math.nan))

    def warnings(self, fps: float) -> list[str]:
        t = self.tally
        out: list[str] = []
        if t.frames and t.pose_frames == 0:
            out.append("no person was found in the video")
        elif t.frames and t.pose_frames < 0.5 * t.frames:
            out.append(f"a person was found in only {100 * t.pose_frames / t.frames:.0f}% of the frames")
        if t.pose_frames and t.view_bad_frames > 0.2 * t.pose_frames:
            issue = t.view_issues.most_common(1)[0][0] if t.view_issues else "view not suitable"
            out.append(f"the view did not suit {self.spec.name} in {100 * t.view_bad_frames / t.pose_frames:.0f}% "
                       f"of the frames with a person (most often: {issue}); those frames were not counted")
        for side, n in t.side_unseen_frames.items():
            if n > 0.1 * max(1, t.pose_frames):
                what = "the legs were" if side == "both" else f"the {side} leg was"
                out.append(f"{what} not visible for {n / fps:.1f} s; no reps were counted meanwhile")
        for side, n in t.side_below_frames.items():
            if n:
                out.append(f"the {side} foot was below the bottom of the picture for {n / fps:.1f} s; the leg was "
                           "taken to be at rest there, and its attempts are timed from when the foot came into view")
        if t.dropped:
            out.append(f"{t.dropped} attempt(s) dropped because the leg went out of sight")
        if t.ended_unseen:
            out.append(f"{t.ended_unseen} attempt(s) went out of sight on the way down (behind the chair?) and were "
                       "taken to be back at rest there")
        return out


# -- posecount pose -------------------------------------------------------------------------------------
def options_for(specs: Iterable[ExerciseSpec], options: PoseOptions) -> PoseOptions:
    """The landmarker options for counting ``specs``: the silhouette (at ~2 ms a frame), the legs' motion
    and the knees' motion (~1-3 ms each) are asked for when one of them reads it, and kept if ``options``
    already ask for it."""
    specs = list(specs)
    return replace(options, silhouette=options.silhouette or any(spec.needs_silhouette for spec in specs),
                   leg_motion=options.leg_motion or any(spec.needs_leg_motion for spec in specs),
                   knee_motion=options.knee_motion or any(spec.needs_knee_motion for spec in specs))


def estimate_poses(frames: Iterable[Frame], options: PoseOptions) -> Iterator[tuple[Frame, Pose | None]]:
    """Run the landmarker over frames (closing it however the loop ends), one frame ahead of the caller.

    The model runs on a worker thread (MediaPipe releases the GIL while it infers): while it works on frame
    n + 1, the caller counts frame n and the next frame is decoded, so that work is not added to the
    model's. One worker, so the frames reach the model one at a time and in order, as VIDEO mode needs.
    """
    with PoseEstimator(options) as estimator, ThreadPoolExecutor(1, thread_name_prefix="posecount-model") as model:
        # Left early, the pool's exit waits for the frame in the model before the landmarker is closed.
        ahead: tuple[Frame, Future[Pose | None]] | None = None
        for frame in frames:
            running = (frame, model.submit(estimator.estimate, frame.image, frame.timestamp_ms))
            if ahead is not None:
                yield ahead[0], ahead[1].result()
            ahead = running
        if ahead is not None:
            yield ahead[0], ahead[1].result()


def record_track(video: Path, options: PoseOptions, on_start: Callable[[SourceInfo], None] | None = None,
                 on_frame: ProgressFn | None = None, until_s: float | None = None) -> PoseTrack:
    """Run the model over every frame of ``video`` (``until_s``: only the frames shown before then): its
    :class:`PoseTrack` (nothing written)."""
    with VideoFileSource(video) as source:
        if on_start:
            on_start(source.info)
        recorder = PoseRecorder(source.info, silhouette=options.silhouette, leg_motion=options.leg_motion,
                                knee_motion=options.knee_motion)
        frames: Iterable[Frame] = source
        if until_s is not None:
            frames = itertools.takewhile(lambda frame: frame.timestamp_ms < until_s * 1000, source)
        for frame, pose in estimate_poses(frames, options):
            recorder.add(frame.index, frame.timestamp_ms, pose)
            if on_frame:
                on_frame(frame.index + 1)
    return recorder.track()


def run_pose_extraction(video: Path, out_dir: Path, options: PoseOptions,
                        on_start: Callable[[SourceInfo], None] | None = None,
                        on_frame: ProgressFn | None = None) -> PoseTrack:
    """Landmarks of every frame → ``out_dir/landmarks.npz`` and ``landmarks.csv``, with the silhouette's
    foot directions, the legs' and the knees' motion, so that the recording replays every exercise."""
    with output_dir(Path(out_dir)) as out:  # a bad video leaves no empty directory behind
        everything = replace(options, silhouette=True, leg_motion=True, knee_motion=True)
        track = record_track(video, everything, on_start, on_frame)
        track.save_npz(out / "landmarks.npz")
        track.save_csv(out / "landmarks.csv")
    return track


# -- posecount analyze ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunctionTestRequest:
    """A function test to score while analysing (``posecount test``): the protocol and the person."""

    protocol: ProtocolSpec
    start_s: float | None = None  # "go", seconds of the video (None: the first movement)
    age: int | None = None
    sex: Sex | None = None


def run_analysis(video: Path, spec: ExerciseSpec, out_dir: Path, options: PoseOptions | None,
                 write_video: bool = True, landmarks: PoseTrack | None = None,
                 smoothing: SmoothingSettings | None = None,
                 on_start: Callable[[SourceInfo], None] | None = None,
                 on_frame: ProgressFn | None = None, test: FunctionTestRequest | None = None) -> Report:
    """Analyse one video into ``out_dir`` (report.json, reps.csv, frames.csv, timeline.png, annotated.mp4).

    With ``landmarks`` (a recording of this video) the model is not run: that is the replay path. With
    ``test``, the function test is scored from the reps and the whole-body drive, into report.json's ``test``
    (a stances test, the balance test, from the feet: :mod:`posecount.exercises.balance`).
    Nothing is left half-written: outputs go to temporary names and are renamed at the end.
    """
    recorder = TestRecorder(test.protocol) if test is not None else None
    preload_timeline()  # matplotlib imported while the frames are analysed, not after them
    # Every output goes to a temporary name; leaving the stack renames them all (last in, first out: the
    # video writer is released before its file is renamed), or on any error removes them all, and the
    # output directory too if this run created it.
    with contextlib.ExitStack() as stack:
        out_dir = stack.enter_context(output_dir(Path(out_dir)))
        # A replay with no annotated video needs the frames' times, not their pictures (a phone's HDR frame
        # costs ~35 ms to convert)
        source = stack.enter_context(VideoFileSource(video, images=write_video or landmarks is None))
        info = source.info
        if on_start:
            on_start(info)
        session = Session(spec, (info.width, info.height), smoothing, RECORDED_VIEW)
        frames_csv = FramesCsv(stack.enter_context(atomic_open(out_dir / "frames.csv", "w", newline="",
                                                               encoding="utf-8")), spec)
        writer = None
        if write_video:  # H.264 on the source's own timestamps: plays in browsers, in sync with VFR sources
            writer = stack.enter_context(H264Writer(stack.enter_context(atomic_path(out_dir / "annotated.mp4")),
                                                    (info.width, info.height), info.fps))
        if landmarks is not None:
            poses = _replay(source, landmarks)
        else:
            if options is None:
                raise ValueError("run_analysis needs pose options or landmarks")
            poses = estimate_poses(source, options_for([spec], options))
        pairs = stack.enter_context(contextlib.closing(poses))  # closes the landmarker however the loop ends
        frames_read = 0
        for frame, raw_pose in pairs:
            result = session.step(frame.index, frame.timestamp_ms, raw_pose)
            frames_read += 1
            if recorder is not None:
                recorder.add(result.timestamp_ms / 1000.0, session.counter.states[spec.tracks[0]].value,
                             result.pose, raw_pose)
            _add_frame_row(frames_csv, session, result)
            if writer is not None:
                writer.write(draw_overlay(frame.image, result.pose, session.overlay_state(result)), frame.timestamp_ms)
            if on_frame:
                on_frame(frames_read)
        session.finish()
    info = source.info  # now with the frames decoded and the duration by their timestamps
    # Frame counts become seconds at the mean rate actually decoded (a variable-frame-rate file's nominal
    # rate can be far off); for a constant-rate file this is its fps.
    mean_fps = frames_read / info.duration_s if info.measured_duration_s and frames_read else info.fps
    reps = session.counter.reps
    made_with, settings = provenance(spec, options.model_path if landmarks is None and options else None,
                                     "replayed from a landmarks recording" if landmarks is not None else None)
    scored = None
    if test is not None and recorder is not None:
        scored = recorder.score(session.counter, spec.tracks[0], test.start_s, age=test.age, sex=test.sex)
    warnings = session.warnings(mean_fps)
    if landmarks is not None and landmarks.foot_axis_deg is None and spec.needs_silhouette:
        warnings.append(_NO_SILHOUETTE)
    report = Report(exercise=spec.name, source=_relative_info(info, video), frames_read=frames_read, reps=reps,
                    tracks=spec.tracks, unit=spec.drive.unit, test=scored,
                    pose_detected_fraction=session.tally.pose_frames / max(1, session.tally.frames),
                    warnings=warnings, made_with=made_with, settings=settings)
    write_timeline(out_dir / "timeline.png", spec, frames_csv, reps)
    report.write_reps_csv(out_dir / "reps.csv")
    report.write_json(out_dir / "report.json")  # last: its presence means the run completed
    return report


#: A replayed recording made without the silhouette cannot give what the spec reads from it.
_NO_SILHOUETTE = ("the landmarks recording has no silhouette (made before `posecount pose` kept it), so the "
                  "foot's angle was not measured and its form rule not judged; record it again to judge it")


def _replay(source: Iterable[Frame], track: PoseTrack) -> Iterator[tuple[Frame, Pose | None]]:
    by_index = {int(f): i for i, f in enumerate(track.frame)}
    for frame in source:
        i = by_index.get(frame.index)
        yield frame, (track.pose(i) if i is not None else None)


def replay_track(track: PoseTrack, spec: ExerciseSpec, smoothing: SmoothingSettings | None = None
                 ) -> tuple[Session, list[FrameResult]]:
    """Run the whole engine from recorded landmarks alone (no video, no model): for tests and tuning."""
    session = Session(spec, (track.source.width, track.source.height), smoothing, RECORDED_VIEW)
    results = [session.step(index, ts, pose) for index, ts, pose in track]
    session.finish()
    return session, results


def _add_frame_row(frames_csv: FramesCsv, session: Session, result: FrameResult) -> None:
    f = result.features.frame
    values = []
    for name in frames_csv.angle_names:
        feature, _, side = name.rpartition("_")
        if side in SIDES:
            values.append(float(f.sides[side].get(feature, math.nan)))  # type: ignore[index]
        else:
            values.append(float(f.body.get(name, math.nan)))
    frames_csv.add(result.index, result.timestamp_ms / 1000.0, result.features.pose_found, result.features.view_ok,
                   values, [session.states[s].phase.value for s in session.spec.tracks])


def _relative_info(info: SourceInfo, video: Path) -> SourceInfo:
    return replace(info, path=Path(video).name)


__all__ = [
    "FrameResult",
    "FunctionTestRequest",
    "Session",
    "estimate_poses",
    "options_for",
    "record_track",
    "replay_track",
    "run_analysis",
    "run_pose_extraction",
]
