"""``posecount live``: the loop with a null or fake window, dropped frames on every sample, and the real window.

Four layers, fastest first:

* Unit tests of the window protocol, the key map and the loop's control flow (lost source, Ctrl-C, a
  source that never delivers, small frames enlarged), with the real :class:`~posecount.pipeline.Session`
  and no model.
* The loop over the clean side-leg-raise sample, replaying its committed MediaPipe recording
  (``samples/landmarks``, no model), with keys fed through a fake window: counts equal analyze's on the
  same frames, pause/reset/mute/Tab do what they say. Frames carry one reused stand-in image of the clip's
  size, except where the pixels are looked at (the pause banner): there the video is decoded.
* The loop on EVERY sample's committed recording with frames dropped on purpose, the way the live feed
  drops them (:class:`~posecount.sources.LatestFrame` skips what arrives while the model is busy): none,
  every 2nd, every 3rd, bursts, a stall inside each hold. Counts, verdicts and sides must equal analyze's
  on the whole clip and the truth; hold times, and the live hold ring, must agree within a tolerance
  derived from the gaps. Deterministic and in-process: this replaced real-time ``live --headless`` runs
  whose counts depended on how many frames a busy machine happened to skip. (They found that the old
  engine's speed estimate assumed evenly spaced frames, so a gap cut or split holds; the hold model in
  exercises/hold.py works on the frames' own timestamps, and every case passes.)
* ``posecount live`` as a subprocess: exit codes and one-line errors (a camera that cannot be opened, no
  display, a truncated file), and in a real OpenCV window on an Xvfb server this module starts itself
  (``gui``; the model runs live). Screenshots come from Xvfb's own frame buffer, keys and the window's close
  button are X events sent through libX11. GUI tests never sleep for a fixed time: they wait for a
  condition (the window drawn, the overlay's colours on screen, the banner, a log line) with a generous
  deadline, so a slow machine makes them slower, not red. (One thing waiting cannot fix: on a busy machine
  the Qt inside OpenCV sometimes loses its window's MapNotify and never paints; see LiveProcess.drawn.)

Debian packages: ``xvfb`` (which brings libx11-6, used here through ctypes). Nothing else: the screenshot
is Xvfb's ``-fbdir`` frame buffer (an XWD file) read with numpy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, ClassVar, TypeVar

import cv2
import numpy as np
import pytest
from conftest import committed_landmarks

from posecount.display import KEY_ESC, KEY_SPACE, KEY_TAB, WINDOW_TITLE, NullWindow
from posecount.errors import InputError
from posecount.exercises import builtin_exercises, get_exercise
from posecount.exercises.engine import RepCounter, RepRecord
from posecount.exercises.spec import ExerciseSpec, Side
from posecount.live import (
    SKIPPED_WARN_FRACTION,
    Action,
    EndReason,
    LiveLoop,
    LiveResult,
    LiveStats,
    action_for_key,
    save_live_result,
)
from posecount.pipeline import replay_track
from posecount.pose import Pose
from posecount.recording import PoseTrack
from posecount.report import Report
from posecount.sources import Frame, SourceInfo, VideoFileSource
from posecount.speech import Speaker

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CLEAN = SAMPLES / "slr_clean_alternating.mp4"  # 640x480 @ 30, 36.1 s; reps L 1.5-8.0, R 9.8-16.5, L, R
#: Every sample (both exercises, 720p at 24 fps, portrait at 60 fps, nobody there...): the truth files' stems.
SAMPLE_NAMES = sorted(p.name.removesuffix(".truth.json") for p in SAMPLES.glob("*.truth.json"))

T = TypeVar("T")


def _truth_of(name: str) -> dict[str, object]:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text())  # type: ignore[no-any-return]


def _truth(clip: Path) -> dict[str, int]:
    return _truth_of(clip.stem)["counts"]  # type: ignore[return-value]


def _need(clip: Path) -> Path:
    if not clip.exists():
        pytest.skip(f"sample {clip.name} not generated yet (python -m posecount.synth samples)")
    return clip


def _posecount(*args: str) -> list[str]:
    return [sys.executable, "-m", "posecount", *args]


# == unit: keys, window protocol, control flow (no model) ================================================
@pytest.mark.parametrize(("key", "action"), [
    (ord("q"), Action.QUIT), (ord("Q"), Action.QUIT), (KEY_ESC, Action.QUIT), (KEY_SPACE, Action.PAUSE),
    (ord("r"), Action.RESET), (ord("m"), Action.MUTE), (KEY_TAB, Action.SWITCH), (ord("x"), None), (None, None),
])
def test_key_map(key: int | None, action: Action | None) -> None:
    assert action_for_key(key) == action


def test_null_window_protocol() -> None:
    window = NullWindow(keys=[ord("a"), None, KEY_SPACE])
    assert window.is_open()
    assert [window.poll_key(), window.poll_key(), window.poll_key(), window.poll_key()] == [97, None, 32, None]
    image = np.zeros((4, 4, 3), np.uint8)
    window.show(image)
    window.show(image)
    assert window.frames == 2 and window.last is image
    window.close()
    assert not window.is_open()


class ScheduledWindow(NullWindow):
    """A fake window: ``keys[n]`` is 'pressed' right after the n-th frame (1-based) is shown;
    ``close_after`` frames, the user closes it."""

    def __init__(self, keys: dict[int, int] | None = None, close_after: int | None = None) -> None:
        super().__init__()
        self.schedule = dict(keys or {})
        self.close_after = close_after
        self.shown: list[np.ndarray] = []
        self.keep: set[int] = set()

    def show(self, image: np.ndarray) -> None:
        super().show(image)
        if self.frames in self.keep:
            self.shown.append(image)

    def poll_key(self, wait_ms: int = 1) -> int | None:
        return self.schedule.pop(self.frames, None)

    def is_open(self) -> bool:
        return not (self.closed or (self.close_after is not None and self.frames >= self.close_after))


class ListFeed:
    """Frames from an iterator; after it ends, ``error`` is set to ``fail_with`` (if any).

    Frames whose index is in ``skip`` are never handed out, only counted in ``dropped``: exactly what
    :class:`~posecount.sources.LatestFrame` does with frames that arrive while the model is still busy.
    """

    def __init__(self, frames: Iterator[Frame], info: SourceInfo, fail_with: Exception | None = None,
                 interrupt_after: int | None = None, skip: Container[int] = ()) -> None:
        self._frames = frames
        self.info = info
        self.error: Exception | None = None
        self.dropped = 0
        self._fail_with = fail_with
        self._interrupt_after = interrupt_after
        self._skip = skip
        self.got = 0

    def get(self) -> Frame | None:
        if self._interrupt_after is not None and self.got >= self._interrupt_after:
            raise KeyboardInterrupt
        for frame in self._frames:
            if frame.index in self._skip:
                self.dropped += 1
                continue
            self.got += 1
            return frame
        self.error = self._fail_with
        return None

    def close(self) -> None:
        pass


def _synthetic_frames(n: int, fps: float = 30.0) -> Iterator[Frame]:
    for i in range(n):
        image = np.full((240, 320, 3), 90 + (i % 50), np.uint8)
        yield Frame(image=image, index=i, timestamp_ms=round(i * 1000 / fps))


INFO_320 = SourceInfo(path="test", fps=30.0, frames=0, width=320, height=240)


def _no_person(image: np.ndarray, timestamp_ms: int) -> Pose | None:
    return None


def test_lost_camera_mid_session_keeps_the_session_and_warns(tmp_path: Path) -> None:
    feed = ListFeed(_synthetic_frames(90), INFO_320, fail_with=InputError("camera:0: no frame for 5 s"))
    window = NullWindow()
    loop = LiveLoop(get_exercise("side-leg-raise"), feed, _no_person, window, None, source_label="camera:0",
                    live_source=True)
    result = loop.run()
    assert result.end_reason == EndReason.SOURCE_LOST
    assert result.stats.frames_processed == 90 and window.frames == 90
    lost = [w for w in result.report.warnings if "stopped delivering frames" in w]
    assert lost and "3.0 s" in lost[0] and "no frame for 5 s" in lost[0]
    save_live_result(result, tmp_path)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["source"]["path"] == "camera:0" and saved["source"]["frames"] == 90
    assert any("stopped delivering frames" in w for w in saved["warnings"])
    assert any("no person was found" in w for w in saved["warnings"])


def test_duration_follows_the_frames_timestamps_not_the_nominal_rate() -> None:
    """A browser recording says 30 fps but delivered 90 frames over 6 s (a frame every 66.7 ms on average):
    the live report's duration is the 6 s the frames span, not 90 / 30 = 3 s."""
    frames = (Frame(np.full((240, 320, 3), 90, np.uint8), i, round(i * 6000 / 89)) for i in range(90))
    info = replace(INFO_320, frames=90)
    result = LiveLoop(get_exercise("side-leg-raise"), ListFeed(frames, info), _no_person, NullWindow(), None,
                      source_label="browser.webm").run()
    assert result.report.source.duration_s == pytest.approx(6.0 + 1 / 30, abs=1e-3)


def test_camera_ending_without_error_is_still_lost_but_a_file_just_ends() -> None:
    spec = get_exercise("side-leg-raise")
    cam = LiveLoop(spec, ListFeed(_synthetic_frames(10), INFO_320), _no_person, NullWindow(), None,
                   source_label="camera:1", live_source=True).run()
    assert cam.end_reason == EndReason.SOURCE_LOST
    file = LiveLoop(spec, ListFeed(_synthetic_frames(10), INFO_320), _no_person, NullWindow(), None,
                    source_label="clip.mp4", live_source=False).run()
    assert file.end_reason == EndReason.SOURCE_ENDED and not any("stopped" in w for w in file.report.warnings)


def test_source_that_never_delivers_is_an_input_error() -> None:
    feed = ListFeed(iter([]), INFO_320, fail_with=InputError("camera:3: no frame received"))
    loop = LiveLoop(get_exercise("side-leg-raise"), feed, _no_person, NullWindow(), None, source_label="camera:3",
                    live_source=True)
    with pytest.raises(InputError, match="camera:3: no frame received"):
        loop.run()


def test_ctrl_c_ends_the_session_cleanly() -> None:
    feed = ListFeed(_synthetic_frames(100), INFO_320, interrupt_after=40)
    result = LiveLoop(get_exercise("side-leg-raise"), feed, _no_person, NullWindow(), None,
                      source_label="camera:0", live_source=True).run()
    assert result.end_reason == EndReason.INTERRUPTED
    assert result.stats.frames_processed == 40 and result.report.to_dict()["source"]["frames"] == 40


def test_quit_and_window_close() -> None:
    spec = get_exercise("side-leg-raise")
    quit_ = LiveLoop(spec, ListFeed(_synthetic_frames(100), INFO_320), _no_person,
                     ScheduledWindow({25: ord("q")}), None, source_label="x", live_source=True).run()
    assert quit_.end_reason == EndReason.QUIT and quit_.stats.frames_processed == 25
    esc = LiveLoop(spec, ListFeed(_synthetic_frames(100), INFO_320), _no_person,
                   ScheduledWindow({7: KEY_ESC}), None, source_label="x", live_source=True).run()
    assert esc.end_reason == EndReason.QUIT and esc.stats.frames_processed == 7
    closed = LiveLoop(spec, ListFeed(_synthetic_frames(100), INFO_320), _no_person,
                      ScheduledWindow(close_after=30), None, source_label="x", live_source=True).run()
    assert closed.end_reason == EndReason.WINDOW_CLOSED and closed.stats.frames_processed == 30


def test_small_frames_are_enlarged_for_display_and_mirrored() -> None:
    frames = [Frame(np.tile(np.linspace(0, 255, 320, dtype=np.uint8)[None, :, None], (240, 1, 3)), i, i * 33)
              for i in range(3)]
    window = NullWindow()
    LiveLoop(get_exercise("side-leg-raise"), ListFeed(iter(frames), INFO_320), _no_person, window, None,
             source_label="x", mirror=True).run()
    assert window.last is not None and window.last.shape == (720, 960, 3)
    row = window.last[400, 100:400, 0].astype(int)
    assert (np.diff(row) <= 0).all() and row[0] > row[-1], "mirrored: brightness falls left to right"



# == the loop over the clean sample and its committed recording (no model) ===============================
@dataclass
class Recorded:
    """A sample's committed MediaPipe recording, served to the loop as the model would serve it."""

    clip: Path
    info: SourceInfo
    track: PoseTrack
    poses: dict[int, Pose | None]  # by timestamp_ms

    def frames(self) -> Iterator[Frame]:
        """The decoded video (for tests that look at the pixels)."""
        with VideoFileSource(self.clip) as src:
            yield from src

    def stand_in_frames(self) -> Iterator[Frame]:
        """The recording's frames (index, timestamp) all carrying one read-only dummy image of the clip's
        size: for tests that do not look at the pixels (the poses come from the recording anyway)."""
        yield from _stand_in_frames(self.track)

    def estimate(self, image: np.ndarray, timestamp_ms: int) -> Pose | None:
        return self.poses[timestamp_ms]


def _stand_in_frames(track: PoseTrack) -> Iterator[Frame]:
    image = np.full((track.source.height, track.source.width, 3), 128, np.uint8)
    image.flags.writeable = False  # shared by every frame: nothing may draw into it
    for index, timestamp_ms in zip(track.frame, track.timestamp_ms, strict=True):
        yield Frame(image=image, index=int(index), timestamp_ms=int(timestamp_ms))


def _recorded(name: str) -> Recorded:
    track = committed_landmarks(name)
    clip = SAMPLES / f"{name}.mp4"
    return Recorded(clip, replace(track.source, path=str(clip)), track, {ts: pose for _, ts, pose in track})


@pytest.fixture(scope="module")
def recorded_clean() -> Recorded:
    """The clean side-leg-raise sample's committed recording (MediaPipe's poses for every frame)."""
    return _recorded(CLEAN.stem)


def _loop(rec: Recorded, window: NullWindow | None = None, speaker: Speaker | None = None,
          spec: str = "side-leg-raise", pixels: bool = False) -> LiveLoop:
    frames = rec.frames() if pixels else rec.stand_in_frames()
    return LiveLoop(get_exercise(spec), ListFeed(frames, rec.info), rec.estimate, window or NullWindow(),
                    speaker, source_label=str(rec.clip), mirror=True)


def _reps(report: Report) -> list[dict[str, object]]:
    return report.to_dict()["reps"]  # type: ignore[return-value]


@pytest.mark.slow  # analyze decodes the video and draws timeline.png; the loop draws all 1083 frames: ~5-7 s
def test_live_loop_counts_exactly_like_analyze_on_the_same_frames(recorded_clean: Recorded, tmp_path: Path) -> None:
    from posecount.pipeline import run_analysis

    analyzed = run_analysis(_need(CLEAN), get_exercise("side-leg-raise"), tmp_path / "an", None, write_video=False,
                            landmarks=recorded_clean.track)
    window = NullWindow()
    result = _loop(recorded_clean, window).run()
    assert result.end_reason == EndReason.SOURCE_ENDED
    assert _reps(result.report) == _reps(analyzed)
    assert result.report.counts == analyzed.counts == _truth(CLEAN)
    assert result.report.to_dict()["source"]["frames"] == analyzed.to_dict()["source"]["frames"]  # type: ignore[index]
    assert window.frames == result.stats.frames_processed == analyzed.frames_read


def test_pause_stops_counting_and_shows_the_banner(recorded_clean: Recorded) -> None:
    # Paused from 2.0 s to 12.0 s: the left rep (1.5-8.0 s) is cut, the right one (9.8-16.5 s) is missed
    # at its start; what is left counts the second pair only. The real frames: the banner is looked at.
    window = ScheduledWindow({60: KEY_SPACE, 360: KEY_SPACE})
    window.keep = {59, 200}
    loop = _loop(recorded_clean, window, pixels=True)
    result = loop.run()
    assert result.stats.frames_processed == window.frames - 300
    assert loop.session is not None and loop.session.tally.frames == result.stats.frames_processed
    assert result.report.counts["total"] < _truth(CLEAN)["total"]
    running, paused = window.shown
    centre = (slice(330, 390), slice(100, 700))
    assert paused[centre].mean() < running[centre].mean() - 30, "the paused banner darkens the middle"


def test_reset_starts_the_count_over(recorded_clean: Recorded) -> None:
    # After the first left rep (ends 8.0 s) and before the right one (starts 9.8 s).
    window = ScheduledWindow({270: ord("r")})
    result = _loop(recorded_clean, window).run()
    truth = _truth(CLEAN)
    assert result.report.counts == {"left": truth["left"] - 1, "right": truth["right"], "total": truth["total"] - 1}
    assert all(r["start_s"] > 9.0 for r in _reps(result.report))  # type: ignore[operator]
    assert any("reset at 9.0 s" in w and "1 attempt(s)" in w for w in result.report.warnings)


class RecordingVoice:
    name = "recording"

    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        pass


def test_mute_silences_the_coach(recorded_clean: Recorded) -> None:
    voice = RecordingVoice()
    with Speaker(lambda: voice, max_age_s=60.0) as speaker:
        window = ScheduledWindow({270: ord("m")})
        loop = _loop(recorded_clean, window, speaker)
        loop.run()
        speaker.wait_idle(5.0)
    spoken = list(speaker.spoken)
    assert spoken, "the first rep was coached aloud"
    assert "Well done" in spoken
    assert len(spoken) <= 4, "nothing after muting at 9 s (three reps and their cues follow)"
    assert speaker.muted and loop.flags() == ("muted",)


def test_tab_switches_exercise_and_keeps_the_earlier_segment(recorded_clean: Recorded, tmp_path: Path) -> None:
    window = ScheduledWindow({270: KEY_TAB})
    loop = _loop(recorded_clean, window)
    result = loop.run()
    names = list(builtin_exercises())
    assert result.report.exercise == names[(names.index("side-leg-raise") + 1) % len(names)]
    assert len(result.segments) == 1
    seg = result.segments[0]
    assert seg.report.exercise == "side-leg-raise" and seg.report.counts == {"left": 1, "right": 0, "total": 1}
    assert seg.end_s == pytest.approx(9.0, abs=0.05)
    assert result.report.counts["total"] == 0, f"standing leg raises are no {result.report.exercise}"
    save_live_result(result, tmp_path)
    seg_file = tmp_path / "report-segment-1-side-leg-raise.json"
    assert json.loads(seg_file.read_text())["counts"]["left"] == 1
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["exercise"] == result.report.exercise
    assert any(seg_file.name in w for w in saved["warnings"])


def test_tab_keeps_each_exercises_personal_targets_and_the_report_names_the_model(recorded_clean: Recorded,
                                                                                  tmp_path: Path) -> None:
    """Tab cycles through the exercises as prescribed (each with its own per-leg targets), and the report says
    which model file (and its SHA-256) made the landmarks."""
    from posecount.exercises import personalise
    from posecount.posecache import file_sha256

    slr = personalise(get_exercise("side-leg-raise"), {"left": 15.0}, {})
    ske = personalise(get_exercise("seated-knee-extension"), {"right": 160.0}, {"left": 2.5})
    model = tmp_path / "model.task"
    model.write_bytes(b"a model")
    loop = LiveLoop(slr, ListFeed(recorded_clean.stand_in_frames(), recorded_clean.info), recorded_clean.estimate,
                    ScheduledWindow({270: KEY_TAB}), None, source_label="camera:0", model_path=model,
                    exercises=(slr, ske))
    result = loop.run()
    (seg,) = result.segments
    assert seg.report.to_dict()["settings"]["per_side"]["left"]["target_deg"] == 15.0
    now = result.report.to_dict()
    assert now["exercise"] == "seated-knee-extension"
    assert now["settings"]["per_side"] == {"left": {"target_deg": 145.0, "min_hold_s": 2.5},
                                           "right": {"target_deg": 160.0, "min_hold_s": 1.0}}
    assert now["made_with"]["model"] == {"file": "model.task", "sha256": file_sha256(model)}


def test_the_loop_hands_each_finished_attempt_to_the_history_as_it_goes(recorded_clean: Recorded) -> None:
    """Every attempt reaches the history when it finishes (a crash later loses nothing counted); Tab and r
    are passed on too. The sink records the calls with the time of the frame being shown."""
    calls: list[tuple[str, object]] = []

    class Sink:
        def rep(self, rep: object) -> None:
            calls.append(("rep", rep))

        def switched(self, finished: object, spec: object, at_s: float) -> None:
            calls.append(("switched", (at_s, list(finished))))  # type: ignore[call-overload]

        def reset(self) -> None:
            calls.append(("reset", None))

    loop = LiveLoop(get_exercise("side-leg-raise"), ListFeed(recorded_clean.stand_in_frames(), recorded_clean.info),
                    recorded_clean.estimate, ScheduledWindow({200: ord("r"), 900: KEY_TAB}), None,
                    source_label="camera:0", history=Sink())
    result = loop.run()
    assert [c[0] for c in calls if c[0] != "rep"] == ["reset", "switched"]
    i = next(k for k, c in enumerate(calls) if c[0] == "switched")
    j = next(k for k, c in enumerate(calls) if c[0] == "reset")
    _, finished = calls[i][1]  # type: ignore[misc]
    between = [c[1] for c in calls[j + 1:i] if c[0] == "rep"]  # finished one by one between r and Tab
    segment = result.segments[0].report.reps
    assert between and finished == segment, "Tab hands over the exercise's attempts, the one it closed included"
    assert between == segment[:len(between)] and len(segment) - len(between) <= 1
    after = [c[1] for c in calls[i + 1:] if c[0] == "rep"]
    assert after == result.report.reps[:len(after)]


# == every sample, frames dropped the way the live feed drops them (no model) ============================
#: How the live feed loses frames. LatestFrame keeps only the newest frame, so whatever arrives while the model
#: is still busy is skipped: a steady overload skips every 2nd or every 3rd frame, load spikes skip bursts (6 of
#: every 20 frames), a hiccup (another program, swapping) is a stall. The first and the last frame are always
#: seen (LatestFrame hands the first one out at once, and keeps the last one until it is read).
DROPS = ("none", "every_2nd", "every_3rd", "bursts_6_of_20", "stall_in_holds")
#: The stall: no frame for this long, centred in every hold at least twice as long (with no such hold: mid-clip).
STALL_S = 0.5
#: Timestamps are whole milliseconds: two times that would be equal may differ by a millisecond at each end.
ROUNDING_S = 0.002
#: Gaps this close to either end of a hold can move that end: the hold model (exercises/hold.py) judges
#: "held" with a 5-sample median and a slope over 0.6 s centred on the frame, which reach about this far.
NEAR_END_S = 0.37  # half the 0.6 s window, plus the 2 frames either side of the median

#: Holds that analyze itself splits at a landmark glitch: (sample, rep index) -> the glitch (s of the clip).
#: When frames inside the glitch are dropped, live may not see it and measures the whole hold (up to 0.8 s
#: longer), which no gap-based tolerance bounds; their hold times are not compared then (their verdicts are).
SPLIT_HOLDS: dict[tuple[str, int], tuple[float, float]] = {
    ("ske_trunk_lean", 1): (4.45, 4.95),  # analyze: held 2.6-4.4 s, a 0.5 s dip, held again 5.0-5.2 s
}


@dataclass(frozen=True)
class Analyzed:
    """analyze's verdicts on a whole sample, replayed from its committed recording."""

    rec: Recorded
    spec: ExerciseSpec
    reps: tuple[RepRecord, ...]
    counts: dict[str, int]
    truth: dict[str, int]


@functools.cache
def _analyzed(name: str) -> Analyzed:
    rec = _recorded(name)
    truth = _truth_of(name)
    spec = get_exercise(str(truth["exercise"]))
    session, _ = replay_track(rec.track, spec)
    return Analyzed(rec, spec, tuple(session.counter.reps), session.counter.counts, truth["counts"])  # type: ignore[arg-type]


def _dropped(pattern: str, a: Analyzed) -> frozenset[int]:
    """The indices of the frames the feed skips under ``pattern``."""
    index = a.rec.track.frame
    n = np.arange(index.size)
    t_s = a.rec.track.timestamp_ms / 1000.0
    if pattern == "none":
        drop = np.zeros(index.size, bool)
    elif pattern == "every_2nd":
        drop = n % 2 == 1
    elif pattern == "every_3rd":
        drop = n % 3 == 2
    elif pattern == "bursts_6_of_20":
        drop = n % 20 >= 14
    elif pattern == "stall_in_holds":
        middles = [r.peak_s + r.hold_s / 2 for r in a.reps if r.hold_s >= 2 * STALL_S] or [float(t_s[-1]) / 2]
        drop = np.any([np.abs(t_s - m) < STALL_S / 2 for m in middles], axis=0)
    else:
        raise ValueError(pattern)
    drop[[0, -1]] = False
    return frozenset(int(i) for i in index[drop])


class HoldWatch(NullWindow):
    """A null window that notes, for every frame shown, each side's live hold timer (what the hold ring shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: LiveLoop | None = None
        self.timeline: list[tuple[int, dict[Side, float]]] = []

    def show(self, image: np.ndarray) -> None:
        super().show(image)
        assert self.loop is not None and self.loop.session is not None
        session = self.loop.session
        self.timeline.append((session.last_ms, {side: st.hold_s for side, st in session.states.items()}))


@dataclass(frozen=True)
class DroppedRun:
    result: LiveResult
    dropped: frozenset[int]
    seen_ms: np.ndarray  # timestamps of the frames the loop got
    timeline: list[tuple[int, dict[Side, float]]]
    delay_ms: float  # the engine's look-ahead (RepCounter.delay_s)

    def ring(self, rep: RepRecord) -> tuple[float, int]:
        """The live hold timer's highest value on the rep's side during the rep, and when (ms). The timeline is
        by the newest frame's time, and the engine decides each frame ``delay_ms`` after it: the rep's last
        states are shown that much after it ended."""
        end_ms = rep.end_s * 1000 + self.delay_ms
        during = [(holds[rep.side], t) for t, holds in self.timeline if rep.start_s * 1000 <= t <= end_ms]
        return max(during, default=(0.0, 0))

    def gap_near_ms(self, *times_ms: float) -> float:
        """The longest interval between consecutive seen frames within NEAR_END_S of any of ``times_ms``."""
        a, b = self.seen_ms[:-1], self.seen_ms[1:]
        near = np.zeros(a.shape, bool)
        for t in times_ms:
            near |= (b >= t - NEAR_END_S * 1000) & (a <= t + NEAR_END_S * 1000)
        return float(max((b - a)[near], default=0.0))


@functools.cache
def _live_with_drops(name: str, pattern: str) -> DroppedRun:
    """The live loop over the sample's recording with the pattern's frames skipped by the feed. No window
    (like ``--headless``: nothing looks at the pixels), so the stand-in frames are not even drawn on."""
    a = _analyzed(name)
    dropped = _dropped(pattern, a)
    window = HoldWatch()
    loop = LiveLoop(a.spec, ListFeed(a.rec.stand_in_frames(), a.rec.info, skip=dropped), a.rec.estimate, window,
                    None, source_label=a.rec.info.path, draw=False)
    window.loop = loop
    result = loop.run()
    seen = a.rec.track.timestamp_ms[~np.isin(a.rec.track.frame, sorted(dropped))]
    return DroppedRun(result, dropped, seen, window.timeline, RepCounter(a.spec).delay_s * 1000)


DROP_CASES = [pytest.param(name, pattern, id=f"{name}-{pattern}") for pattern in DROPS for name in SAMPLE_NAMES]


@pytest.mark.parametrize(("name", "pattern"), DROP_CASES)
def test_live_counts_like_analyze_when_frames_are_dropped(name: str, pattern: str) -> None:
    a = _analyzed(name)
    run = _live_with_drops(name, pattern)
    report, stats = run.result.report, run.result.stats
    n = len(a.rec.track)
    # The loop saw exactly what the feed kept, and reports the skipping as it would live.
    assert run.result.end_reason == EndReason.SOURCE_ENDED
    assert stats.frames_skipped == len(run.dropped) and stats.frames_processed == n - len(run.dropped)
    assert report.frames_read == n
    assert stats.max_gap_ms == float(np.diff(run.seen_ms).max())
    warned = any("could not keep up" in w for w in report.warnings)
    assert warned == (len(run.dropped) > SKIPPED_WARN_FRACTION * n), report.warnings
    # The verdicts: the same attempts, sides, counted flags and faults as analyze on every frame; the truth.
    got = [(r.side, r.counted, r.faults) for r in report.reps]
    assert got == [(r.side, r.counted, r.faults) for r in a.reps], [r.to_dict() for r in report.reps]
    assert report.counts == a.counts == a.truth
    if pattern == "none":
        assert _reps(report) == [r.to_dict() for r in a.reps], "no frame dropped: exactly analyze's reps"


def _hold_tolerance_s(run: DroppedRun, rep: RepRecord, frame_ms: float) -> float:
    """How far live's ``hold_s`` may be from analyze's, derived from the gaps the drops left.

    ``hold_s`` is the time from the hold's first frame to its last plus one frame period (the median interval
    between the attempt's frames; engine ``_close``). With frames missing, either end of the hold may fall into
    a gap, so the first or last *seen* frame of the hold lies up to one gap minus one frame inside it: at most
    2·(gap − frame) shorter, gap meaning the longest one near the hold's ends. The period term grows to the
    median seen interval: at most that minus one frame longer. Plus one frame: the engine's filters (a 5-sample
    median, the One Euro filter) see other neighbours and may move the band's edge by a frame. Gaps in the
    middle of the hold do not count: a stall there must not change the hold by more than a frame.
    """
    end_ms = rep.peak_s * 1000 + rep.hold_s * 1000 - frame_ms
    gap = max(frame_ms, run.gap_near_ms(rep.peak_s * 1000, end_ms))
    inside = run.seen_ms[(run.seen_ms >= rep.start_s * 1000) & (run.seen_ms <= rep.end_s * 1000)]
    period = float(np.median(np.diff(inside))) if inside.size > 1 else frame_ms
    return (max(2 * (gap - frame_ms), period - frame_ms) + frame_ms + _slope_shift_ms(gap, frame_ms)
            + _fill_shift_ms(gap, frame_ms) + _descent_shift_ms(gap, frame_ms)) / 1000 + ROUNDING_S


def _slope_shift_ms(gap_ms: float, frame_ms: float) -> float:
    """The hold model reads "moving" from a slope over 0.6 s centred on each frame (exercises/hold.py). With a
    gap inside that window near the hold's end, the slope there is estimated from the frames on one side of
    it, which can move where a smooth lowering first reads as deliberate by up to half the gap."""
    return (gap_ms - frame_ms) / 2


def _descent_shift_ms(gap_ms: float, frame_ms: float) -> float:
    """A hold that ends on a lowering ends where the lowering began (exercises/hold.py): the earliest frame seen
    from which the leg came down fast enough on average. With frames missing near it, that frame, and the
    average measured from it, lie up to the gap minus one frame further along."""
    return gap_ms - frame_ms


def _fill_shift_ms(gap_ms: float, frame_ms: float) -> float:
    """The engine fills narrow dips of the drive (``dip_fill_s``, a closing: a max over a window, then a min
    over the same window). Where the leg crosses into or out of the hold, the min finds the first frame low
    enough on the far side of a gap: up to the gap minus one frame further along."""
    return gap_ms - frame_ms


def _ring_tolerance_s(run: DroppedRun, start_ms: float, end_ms: float, frame_ms: float) -> float:
    """The live hold timer runs from the first frame at the target to the last one still held: the same
    argument as for ``hold_s``, without the period term."""
    gap = max(frame_ms, run.gap_near_ms(start_ms, end_ms))
    return (2 * (gap - frame_ms) + frame_ms + _slope_shift_ms(gap, frame_ms) + _fill_shift_ms(gap, frame_ms)
            + _descent_shift_ms(gap, frame_ms)) / 1000 + ROUNDING_S


def _glitch_partly_unseen(name: str, rep: RepRecord, run: DroppedRun) -> bool:
    """Were frames dropped inside the landmark glitch that splits this rep's hold in analyze (SPLIT_HOLDS)?"""
    span = SPLIT_HOLDS.get((name, rep.index))
    if span is None:
        return False
    track = _analyzed(name).rec.track
    inside = track.frame[(track.timestamp_ms > span[0] * 1000) & (track.timestamp_ms < span[1] * 1000)]
    return any(int(i) in run.dropped for i in inside)


@pytest.mark.parametrize(("name", "pattern"), DROP_CASES)
def test_live_hold_times_like_analyze_when_frames_are_dropped(name: str, pattern: str) -> None:
    """Each rep's hold (report) and the live hold timer (the ring) are as long as with every frame seen,
    within a tolerance from the gaps near the hold's ends; a gap in a hold does not restart it."""
    a = _analyzed(name)
    run, undropped = _live_with_drops(name, pattern), _live_with_drops(name, "none")
    live = run.result.report.reps
    assert [r.side for r in live] == [r.side for r in a.reps]
    frame_ms = 1000.0 / a.rec.info.fps
    problems: list[str] = []
    for rep, got in zip(a.reps, live, strict=True):
        ring, _ = run.ring(rep)
        if rep.counted and ring < a.spec.min_hold_s(rep.side):
            problems.append(f"rep {rep.index} ({rep.side}) counted, but the live hold ring stopped at {ring:.2f} s")
        if _glitch_partly_unseen(name, rep, run):
            continue
        tol = _hold_tolerance_s(run, rep, frame_ms)
        if abs(got.hold_s - rep.hold_s) > tol:
            problems.append(f"rep {rep.index} ({rep.side}): held {got.hold_s:.3f} s live, {rep.hold_s:.3f} s in "
                            f"analyze; tolerance {tol:.3f} s")
        ring0, peak_ms = undropped.ring(rep)
        tol = _ring_tolerance_s(run, peak_ms - ring0 * 1000, peak_ms, frame_ms)
        if abs(ring - ring0) > tol:
            problems.append(f"rep {rep.index} ({rep.side}): live hold ring reached {ring:.3f} s, {ring0:.3f} s with "
                            f"every frame; tolerance {tol:.3f} s")
    assert not problems, "\n".join(problems)


# == posecount live as a subprocess: exit codes and one-line errors =====================================
@pytest.mark.model
@pytest.mark.slow  # starting the CLI and the model takes most of its ~5 s
def test_truncated_file_ends_the_session_with_a_warning(tmp_path: Path) -> None:
    clip = _need(CLEAN)
    frames = 90  # 3 s of the clean sample; cut in half, about 1.5 s play in real time
    full, cut = tmp_path / "full.avi", tmp_path / "cut.avi"
    cap = cv2.VideoCapture(str(clip))
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    for _ in range(frames):
        ok, image = cap.read()
        assert ok
        writer.write(image)
    writer.release()
    cap.release()
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the stream breaks off about half way
    out = tmp_path / "out"
    proc = subprocess.run(_posecount("live", "--source", str(cut), "-e", "side-leg-raise", "--out", str(out),
                                     "--headless", "--mute"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert any("stopped delivering frames" in w and "truncated" in w for w in report["warnings"])
    assert "warning:" in proc.stderr and "stopped delivering frames" in proc.stderr
    assert frames // 4 < report["source"]["frames"] < frames
    assert "Traceback" not in proc.stderr


def test_camera_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path, model_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(_posecount("live", "--camera", "97", "-e", "side-leg-raise", "--out", str(out),
                                     "--headless"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    ours = [line for line in proc.stderr.splitlines() if line.startswith("posecount:")]
    assert ours == ["posecount: error: camera 97: cannot be opened (no camera, or it is in use)"]
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # not even the empty directory it would have written into


def test_no_display_is_a_one_line_error(tmp_path: Path, model_path: Path) -> None:
    clip = _need(CLEAN)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(_posecount("live", "--source", str(clip), "-e", "side-leg-raise", "--out", str(tmp_path)),
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0 and proc.returncode != -signal.SIGABRT
    assert "cannot open a window: no display" in proc.stderr and "--headless" in proc.stderr
    assert "Traceback" not in proc.stderr


# == a real window on Xvfb (gui: the model runs live in the subprocess) ==================================
@dataclass
class XServer:
    display: str
    framebuffer: Path

    def screenshot(self) -> np.ndarray:
        """The whole screen, (H, W, 3) uint8 BGR, from Xvfb's XWD frame buffer file."""
        return read_xwd(self.framebuffer.read_bytes())


def read_xwd(data: bytes) -> np.ndarray:
    """An XWD image (Xvfb -fbdir, 24/32-bit TrueColor) as BGR."""
    header = struct.unpack(">25I", data[:100])
    header_size, _version, _fmt, depth, width, height = header[:6]
    byte_order, bits_per_pixel, bytes_per_line, ncolors = header[7], header[11], header[12], header[19]
    assert depth == 24 and bits_per_pixel == 32, header
    offset = header_size + ncolors * 12
    pixels = np.frombuffer(data, np.uint8, count=height * bytes_per_line, offset=offset)
    pixels = pixels.reshape(height, bytes_per_line)[:, : width * 4].reshape(height, width, 4)
    return pixels[..., :3].copy() if byte_order == 0 else pixels[..., 1:][..., ::-1].copy()


@pytest.fixture(scope="module")
def xvfb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XServer]:
    """A private Xvfb server (its own free display number, chosen by Xvfb itself via -displayfd)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb)")
    fbdir = tmp_path_factory.mktemp("xvfb")
    read_fd, write_fd = os.pipe()
    command = [binary, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-fbdir", str(fbdir), "-nocursor",
               "-nolisten", "tcp"]
    proc = subprocess.Popen(command, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield XServer(f":{number}", fbdir / "Xvfb_screen0")
    finally:
        proc.terminate()
        proc.wait(10)


#: Xlib's default error handler prints and calls exit(1), which would end pytest itself when a window goes
#: away between listing and querying it (OpenCV's back-end makes and drops windows while starting). Ours
#: ignores the error; the call that failed returns a failure status, which the methods below check.
_XErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_ignore_x_errors = _XErrorHandler(lambda display, event: 0)


class X11:
    """The few libX11 calls the tests need: find a window by title, its geometry, send a key, close it."""

    def __init__(self, display: str) -> None:
        path = ctypes.util.find_library("X11")
        assert path, "libX11 not found (Debian: libx11-6, a dependency of xvfb)"
        x = ctypes.CDLL(path)
        vp, ul, ui, i = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_uint, ctypes.c_int
        x.XOpenDisplay.restype, x.XOpenDisplay.argtypes = vp, [ctypes.c_char_p]
        x.XDefaultRootWindow.restype, x.XDefaultRootWindow.argtypes = ul, [vp]
        x.XQueryTree.argtypes = [vp, ul, ctypes.POINTER(ul), ctypes.POINTER(ul), ctypes.POINTER(ctypes.POINTER(ul)),
                                 ctypes.POINTER(ui)]
        x.XFetchName.argtypes = [vp, ul, ctypes.POINTER(ctypes.c_char_p)]
        x.XFree.argtypes = [vp]
        x.XGetGeometry.argtypes = [vp, ul, ctypes.POINTER(ul), ctypes.POINTER(i), ctypes.POINTER(i),
                                   ctypes.POINTER(ui), ctypes.POINTER(ui), ctypes.POINTER(ui), ctypes.POINTER(ui)]
        x.XTranslateCoordinates.argtypes = [vp, ul, ul, i, i, ctypes.POINTER(i), ctypes.POINTER(i), ctypes.POINTER(ul)]
        x.XInternAtom.restype, x.XInternAtom.argtypes = ul, [vp, ctypes.c_char_p, i]
        x.XStringToKeysym.restype, x.XStringToKeysym.argtypes = ul, [ctypes.c_char_p]
        x.XKeysymToKeycode.restype, x.XKeysymToKeycode.argtypes = ctypes.c_ubyte, [vp, ul]
        x.XSendEvent.argtypes = [vp, ul, i, ctypes.c_long, vp]
        x.XFlush.argtypes = [vp]
        x.XSync.argtypes = [vp, i]
        x.XCloseDisplay.argtypes = [vp]
        x.XSetErrorHandler.restype, x.XSetErrorHandler.argtypes = vp, [_XErrorHandler]
        x.XSetErrorHandler(_ignore_x_errors)
        self.x = x
        self.d = x.XOpenDisplay(display.encode())
        assert self.d, f"cannot open X display {display}"
        self.root = x.XDefaultRootWindow(self.d)

    def close(self) -> None:
        self.x.XCloseDisplay(self.d)

    def _children(self, window: int) -> list[int]:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        n = ctypes.c_uint()
        if not self.x.XQueryTree(self.d, window, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(children),
                                 ctypes.byref(n)):
            return []
        out = [children[k] for k in range(n.value)]
        if children:
            self.x.XFree(children)
        return out

    def name(self, window: int) -> str | None:
        raw = ctypes.c_char_p()
        if not self.x.XFetchName(self.d, window, ctypes.byref(raw)) or not raw.value:
            return None
        value = raw.value.decode("utf-8", "replace")
        self.x.XFree(raw)
        return value

    def titled(self) -> dict[int, str]:
        """Every window with a name, the whole tree."""
        found: dict[int, str] = {}
        todo = [self.root]
        while todo:
            w = todo.pop()
            for child in self._children(w):
                name = self.name(child)
                if name is not None:
                    found[child] = name
                todo.append(child)
        return found

    def find(self, title: str) -> int | None:
        self.x.XSync(self.d, 0)
        return next((w for w, name in self.titled().items() if name == title), None)

    def geometry(self, window: int) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) on the screen; None if the window is gone."""
        root = ctypes.c_ulong()
        gx, gy = ctypes.c_int(), ctypes.c_int()
        w, h, border, depth = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        if not self.x.XGetGeometry(self.d, window, ctypes.byref(root), ctypes.byref(gx), ctypes.byref(gy),
                                   ctypes.byref(w), ctypes.byref(h), ctypes.byref(border), ctypes.byref(depth)):
            return None
        ax, ay, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        if not self.x.XTranslateCoordinates(self.d, window, self.root, 0, 0, ctypes.byref(ax), ctypes.byref(ay),
                                            ctypes.byref(child)):
            return None
        return ax.value, ay.value, w.value, h.value

    class _Key(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("root", ctypes.c_ulong),
                    ("subwindow", ctypes.c_ulong), ("time", ctypes.c_ulong), ("x", ctypes.c_int), ("y", ctypes.c_int),
                    ("x_root", ctypes.c_int), ("y_root", ctypes.c_int), ("state", ctypes.c_uint),
                    ("keycode", ctypes.c_uint), ("same_screen", ctypes.c_int)]

    class _Client(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]

    class _Map(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("event", ctypes.c_ulong), ("window", ctypes.c_ulong),
                    ("override_redirect", ctypes.c_int)]

    def key(self, window: int, keysym: str) -> None:
        """Press and release a key (X keysym name: "q", "space", "Tab", "Escape") in ``window``."""
        code = self.x.XKeysymToKeycode(self.d, self.x.XStringToKeysym(keysym.encode()))
        for kind, mask in ((2, 1 << 0), (3, 1 << 1)):  # KeyPress/KeyPressMask, KeyRelease/KeyReleaseMask
            ev = _XEvent()
            ev.key.type, ev.key.display, ev.key.window, ev.key.root = kind, self.d, window, self.root
            ev.key.keycode, ev.key.same_screen = code, 1
            self.x.XSendEvent(self.d, window, 1, mask, ctypes.byref(ev))
        self.x.XFlush(self.d)

    def close_window(self, window: int) -> None:
        """What a window manager does when the user clicks the close button: WM_DELETE_WINDOW."""
        ev = _XEvent()
        ev.client.type, ev.client.window, ev.client.format = 33, window, 32  # ClientMessage
        ev.client.message_type = self.x.XInternAtom(self.d, b"WM_PROTOCOLS", 0)
        ev.client.data[0] = self.x.XInternAtom(self.d, b"WM_DELETE_WINDOW", 0)
        self.x.XSendEvent(self.d, window, 0, 0, ctypes.byref(ev))
        self.x.XFlush(self.d)

    def map_notify(self, window: int) -> None:
        """Send ``window`` the MapNotify the X server sent when it was mapped (see LiveProcess.drawn)."""
        ev = _XEvent()
        ev.map.type, ev.map.display, ev.map.event, ev.map.window = 19, self.d, window, window  # MapNotify
        self.x.XSendEvent(self.d, window, 0, 1 << 17, ctypes.byref(ev))  # StructureNotifyMask
        self.x.XFlush(self.d)


class _XEvent(ctypes.Union):
    _fields_ = [("key", X11._Key), ("client", X11._Client), ("map", X11._Map), ("pad", ctypes.c_long * 24)]




#: How long a GUI test waits for anything (its window, a picture, a log line) before it gives up. Generous: on
#: a busy two-core machine the model may manage only a few frames a second, and starting takes seconds.
DEADLINE_S = 60.0
#: The first 9.5 s of the clean sample: the first left rep (1.5-8.0 s, held 2.8-5.8 s) and nothing of the
#: right one (it starts at 9.8 s). So the truth for this part is 1 left rep.
SHORT_S = 9.5
SHORT_TRUTH = {"left": 1, "right": 0, "total": 1}
#: A 640x480 source is shown enlarged to 720 lines (LiveOptions.display_min_height_px).
SHOWN_WH = (960, 720)
#: A mapped window still one flat colour after this long has lost its MapNotify (see LiveProcess.drawn).
QT_LOST_MAP_S = 3.0


@pytest.fixture(scope="module")
def short_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the first SHORT_S seconds of the clean sample, for the run that plays to the end."""
    path = tmp_path_factory.mktemp("clips") / "slr_clean_first_9s.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    written = 0
    with VideoFileSource(_need(CLEAN)) as src:
        for frame in src:
            if frame.timestamp_ms >= SHORT_S * 1000:
                break
            writer.write(frame.image)
            written += 1
    writer.release()
    with VideoFileSource(path) as check:
        assert check.info.frames == written == round(SHORT_S * 30)
    return path


def _drain(pipe: IO[str], lines: list[str]) -> None:
    for line in pipe:
        lines.append(line)


class LiveProcess:
    """``posecount --verbose live`` on the Xvfb display. Its stdout and stderr are read on threads, so neither
    pipe can fill up and block it; tests wait for conditions on the screen or in its log."""

    #: the window's size on screen once it shows the picture
    shown_wh: tuple[int, int] = SHOWN_WH

    def __init__(self, proc: subprocess.Popen[str], x: X11, xvfb: XServer) -> None:
        self.proc, self.x, self.xvfb = proc, x, xvfb
        self.window = 0
        self.seen: list[str] = []  # what the checks saw instead, for failure messages
        self._flat_since: float | None = None
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [threading.Thread(target=_drain, args=(pipe, lines), daemon=True)
                         for pipe, lines in ((proc.stdout, self._out), (proc.stderr, self._err))]
        for reader in self._readers:
            reader.start()

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def until(self, what: str, condition: Callable[[], T | None], timeout_s: float = DEADLINE_S) -> T:
        """Poll ``condition`` until it returns something (not None); fail after ``timeout_s``, or when the
        process has ended without it."""
        deadline = time.monotonic() + timeout_s
        self.seen = []
        while True:
            value = condition()
            if value is not None:
                return value
            if self.proc.poll() is not None:
                self._join(5.0)
                value = condition()
                if value is not None:
                    return value
                pytest.fail(f"posecount live ended (exit {self.proc.returncode}) before {what}; seen instead: "
                            f"{self.seen[-5:]}\n{self.stderr[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout_s:.0f} s; seen instead: {self.seen[-5:]}\n"
                            f"{self.stderr[-3000:]}")
            time.sleep(0.05)

    def logged(self, text: str) -> str | None:
        """The first line of its log (stderr) containing ``text``, if any yet."""
        return next((line for line in list(self._err) if text in line), None)

    def shot(self) -> np.ndarray:
        """What the window shows now (from Xvfb's frame buffer); empty if the window is gone."""
        geometry = self.x.geometry(self.window)
        if geometry is None:
            return np.zeros((0, 0, 3), np.uint8)
        x0, y0, w, h = geometry
        return self.xvfb.screenshot()[y0:y0 + h, x0:x0 + w]

    def drawn(self) -> bool | None:
        """True once the window titled WINDOW_TITLE is mapped at the display size and shows a picture (not one
        flat colour). Looks the window up each time: the back-end may replace it while starting.

        The Qt inside opencv-contrib-python sometimes loses the MapNotify of its window on a busy machine (a
        known opencv-python issue: a window that stays black). The X server has the window mapped and Qt gets
        keys, but it thinks the window is not mapped and never paints it, however long one waits. A window
        manager would map it again; here, after QT_LOST_MAP_S of a mapped, full-size, flat window, we send it
        that MapNotify again (with a warning), and it paints within a frame.
        """
        window = self.x.find(WINDOW_TITLE)
        if window is None:
            return self._saw("no window")
        self.window = window
        geometry = self.x.geometry(window)
        if geometry is None or geometry[2:] != self.shown_wh:
            self._flat_since = None
            return self._saw(f"window {window:#x} at {geometry}")
        shot = self.shot()
        if shot.std() > 20:
            return True
        now = time.monotonic()
        if self._flat_since is None:
            self._flat_since = now
        elif now - self._flat_since > QT_LOST_MAP_S:
            warnings.warn(f"the window stayed {shot.mean():.0f} (one flat colour) for {QT_LOST_MAP_S:g} s after "
                          "it was mapped: sent it MapNotify again (Qt lost it)", stacklevel=2)
            self.x.map_notify(window)
            self._flat_since = now
        return self._saw(f"window {window:#x} at {geometry}, one flat colour ({shot.mean():.0f})")

    def _saw(self, what: str) -> None:
        """Note what a check saw instead (for the failure message), each change once."""
        if not self.seen or self.seen[-1] != what:
            self.seen.append(what)

    def wait(self, timeout_s: float) -> tuple[int, str, str]:
        code = self.proc.wait(timeout_s)
        self._join(timeout_s)
        return code, "".join(self._out), self.stderr

    def _join(self, timeout_s: float) -> None:
        for reader in self._readers:
            reader.join(timeout_s)

    def close(self) -> None:
        """The end of a fixture: kill the process if it is still running, collect its output, let go of X."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(30)
        self.x.close()


StartLive = Callable[..., LiveProcess]
#: ``python -m posecount`` with Python's own Ctrl-C handling even where the test run ignores SIGINT: a job
#: started in the background ignores it, its children inherit that, and Python then installs no handler, so
#: Ctrl-C would not reach the CLI. A person at a terminal has the default; so does this.
_POSECOUNT_WITH_CTRL_C = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                          "runpy.run_module('posecount', run_name='__main__', alter_sys=True)")


@pytest.fixture
def start_live(xvfb: XServer, model_path: Path) -> Iterator[StartLive]:
    """Start ``posecount --verbose live ARGS`` on the Xvfb display; return once its window shows a picture."""
    started: list[LiveProcess] = []

    def start(*args: str) -> LiveProcess:
        env = {**os.environ, "DISPLAY": xvfb.display}
        proc = subprocess.Popen([sys.executable, "-c", _POSECOUNT_WITH_CTRL_C, "--verbose", "live", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        live = LiveProcess(proc, X11(xvfb.display), xvfb)
        started.append(live)
        live.until(f"picture in a {SHOWN_WH[0]}x{SHOWN_WH[1]} window titled {WINDOW_TITLE!r} (a 640x480 source "
                   "is shown enlarged to 720 lines)", live.drawn)
        return live

    yield start
    for live in started:
        live.close()


def _near(img: np.ndarray, colour: tuple[int, int, int], tol: int) -> np.ndarray:
    return (np.abs(img.astype(np.int16) - np.array(colour, np.int16)) <= tol).all(axis=-1)


def _report(out: Path) -> dict[str, object]:
    return json.loads((out / "report.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.gui
@pytest.mark.model
@pytest.mark.slow
def test_live_window_shows_the_overlay_and_counts_the_sample(start_live: StartLive, short_clean: Path,
                                                             tmp_path: Path) -> None:
    """The real-time smoke test: the shortened clean clip plays to its end in the window."""
    from posecount.overlay import GREEN, ORANGE

    out = tmp_path / "out"
    live = start_live("--source", str(short_clean), "-e", "side-leg-raise", "--out", str(out), "--mute")
    assert live.x.name(live.window) == "posecount"
    w, h = SHOWN_WH

    def overlay() -> np.ndarray | None:
        shot = live.shot()
        if shot.shape[:2] != (h, w):
            return None
        # The overlay's own colours: the working leg and its count in orange, the gauge's target band green,
        # and the hold ring beside the gauge (drawn while the leg is held: 2.8-5.8 s of the clip).
        gauge = shot[int(0.2 * h):int(0.8 * h), int(0.85 * w):]
        ring = shot[int(0.15 * h):int(0.75 * h), int(0.7 * w):int(0.86 * w)]
        ok = (_near(shot, ORANGE, 40).sum() > 2000 and _near(gauge, GREEN, 40).sum() > 1000
              and (_near(ring, ORANGE, 40) | _near(ring, GREEN, 40)).sum() > 500)
        return shot if ok else None

    shot = live.until("overlay during the first hold (orange leg, green target band, hold ring)", overlay)
    cv2.imwrite(str(tmp_path / "screenshot.png"), shot)
    assert shot.std() > 20, "not blank"

    code, stdout, stderr = live.wait(120)
    assert code == 0, stderr
    assert "live: source ended after" in stderr, "played to the end"
    report = _report(out)
    assert report["counts"] == SHORT_TRUTH, (report["reps"], report["warnings"])
    assert "rep finished: left leg" in stderr
    assert f"left {SHORT_TRUTH['left']}, right {SHORT_TRUTH['right']}, total {SHORT_TRUTH['total']} counted" in stdout

    # Compare with the video played around that moment (the attempt: 2.5-8.0 s), enlarged like the display.
    picture = (slice(int(0.2 * h), int(0.75 * h)), slice(int(0.05 * w), int(0.55 * w)))  # no panel there
    top = slice(0, int(0.1 * h))
    mirrored = unmirrored = np.inf
    compared = 0
    with VideoFileSource(short_clean) as src:
        for frame in src:
            if not 2500 <= frame.timestamp_ms <= 8000:
                continue
            raw = cv2.resize(frame.image, (w, h))
            mirrored = min(mirrored, np.abs(shot[picture].astype(int) - raw[:, ::-1][picture]).mean())
            unmirrored = min(unmirrored, np.abs(shot[picture].astype(int) - raw[picture]).mean())
            assert shot[top].mean() < 0.6 * raw[top].mean(), "the top bar covers the raw picture"
            compared += 1
    assert compared > 100
    assert mirrored < unmirrored, "the display is mirrored"


def _centre_banner(shot: np.ndarray) -> str | None:
    """Which centre banner is on screen, told by its full-width rule lines: "paused" (white) or "set-up"
    (orange, while the view check has not passed yet). None without one (or without a picture)."""
    from posecount.overlay import ORANGE, WHITE

    rows = shot[int(0.3 * shot.shape[0]):int(0.7 * shot.shape[0])]
    for name, colour in (("paused", WHITE), ("set-up", ORANGE)):
        if rows.size and (_near(rows, colour, 40).mean(axis=1) > 0.9).sum() >= 2:
            return name
    return None


@pytest.mark.gui
@pytest.mark.model
def test_live_window_keys_then_q(start_live: StartLive, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")
    w, h = SHOWN_WH
    band = (slice(int(0.44 * h), int(0.56 * h)), slice(int(0.1 * w), int(0.6 * w)))

    def middle(banner: str | None) -> float | None:
        """The middle's brightness, once the window shows a picture with ``banner`` (or with no banner).
        Judged on whole screenshots only: one taken while the window repaints can be all black."""
        shot = live.shot()
        if shot.shape[:2] != (h, w) or shot.std() <= 20 or _centre_banner(shot) != banner:
            return None
        return float(shot[band].mean())

    before = live.until("picture without a centre banner (the set-up check passed)", lambda: middle(None))
    live.x.key(live.window, "space")
    paused = live.until("paused banner after space", lambda: middle("paused"))
    assert paused < before - 30, "space pauses: the paused banner darkens the middle"
    live.x.key(live.window, "space")
    resumed = live.until("picture without the paused banner after space again", lambda: middle(None))
    assert resumed > paused + 30, "space again resumes"
    live.x.key(live.window, "q")
    code, _, stderr = live.wait(30)
    assert code == 0, stderr
    assert "INFO paused" in stderr and "INFO resumed" in stderr
    assert "live: quit after" in stderr, "q ended the session"
    assert _report(out)["source"]["frames"] < _truth_of(CLEAN.stem)["source"]["frames"], "before the clip's end"  # type: ignore[index]


@pytest.mark.gui
@pytest.mark.model
def test_closing_the_window_ends_the_session(start_live: StartLive, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")
    live.x.close_window(live.window)
    code, _, stderr = live.wait(30)
    assert code == 0, stderr
    assert "live: window closed after" in stderr, "closing the window ended the session"
    report = _report(out)
    assert report["exercise"] == "side-leg-raise"
    assert report["source"]["frames"] < _truth_of(CLEAN.stem)["source"]["frames"], "before the clip's end"  # type: ignore[index]


@pytest.mark.gui
@pytest.mark.model
@pytest.mark.slow
def test_ctrl_c_saves_the_session(start_live: StartLive, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")
    # Once the first rep (left, 1.5-8.0 s) is finished; the right one runs 9.8-16.5 s, so even a late
    # Ctrl-C leaves it unfinished, and unfinished attempts are never counted.
    line = live.until("log line: the first rep finished", lambda: live.logged("rep finished: left leg"))
    assert ", counted, hold" in line and "so far left 1, right 0 counted" in line, line
    live.proc.send_signal(signal.SIGINT)
    code, stdout, stderr = live.wait(30)
    assert code == 0, stderr
    assert "live: interrupted after" in stderr
    report = _report(out)
    assert report["counts"]["left"] == 1 and report["counts"]["right"] == 0  # type: ignore[index]
    assert "left 1, right 0" in stdout


def test_stats_summary_is_finite_when_empty() -> None:
    s = LiveStats().summary()
    assert s["frames_captured"] == 0 and np.isnan(s["latency_ms_p50"])


class FakeCamera:
    """Stands in for CameraSource: reports what a camera would read back."""

    opened: ClassVar[list[tuple[int, tuple[int, int] | None, float | None]]] = []

    def __init__(self, index: int, resolution_wh: tuple[int, int] | None = None, fps: float | None = None) -> None:
        FakeCamera.opened.append((index, resolution_wh, fps))
        self.info = SourceInfo(path=f"camera:{index}", fps=30.0, frames=0, width=640, height=480)

    def close(self) -> None:
        pass


def test_camera_requests_are_read_back_and_logged(monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from posecount.live import LiveOptions, open_live_source
    from posecount.live import sources as live  # where CameraSource is looked up
    from posecount.pose import PoseOptions

    monkeypatch.setattr(live, "CameraSource", FakeCamera)
    FakeCamera.opened.clear()
    base = dict(spec=get_exercise("side-leg-raise"), pose=PoseOptions(model_path=Path("unused")), out_dir=Path("."))
    with caplog.at_level(logging.INFO, logger="posecount.live"):
        source, label, is_live = open_live_source(LiveOptions(**base, camera=2, resolution_wh=(1280, 720), fps=30))
    assert FakeCamera.opened == [(2, (1280, 720), 30)]
    assert label == "camera:2" and is_live and source.info.width == 640
    assert "asked for 1280x720 @ 30 fps, the camera gives 640x480 @ 30 fps" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="posecount.live"):
        _, label, _ = open_live_source(LiveOptions(**base, source="1", resolution_wh=(640, 480), fps=30))
    assert label == "camera:1" and "camera:1: 640x480 @ 30 fps" in caplog.text
    _, label, is_live = open_live_source(LiveOptions(**base, source=str(_need(CLEAN))))
    assert label == str(CLEAN) and not is_live


def test_camera_report_says_camera_and_its_read_back_size() -> None:
    info = SourceInfo(path="camera:0", fps=30.0, frames=0, width=320, height=240)
    result = LiveLoop(get_exercise("side-leg-raise"), ListFeed(_synthetic_frames(30), info), _no_person,
                      ScheduledWindow({30: ord("q")}), None, source_label="camera:0", live_source=True).run()
    source = result.report.to_dict()["source"]
    assert source == {"path": "camera:0", "fps": 30.0, "frames": 30, "duration_s": 1.0, "width": 320, "height": 240}
