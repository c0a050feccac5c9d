"""``posecount live``: the loop with a null or fake window, the real window under Xvfb, and live vs analyze.

Three layers:

* Unit tests of the window protocol, the key map and the loop's control flow (lost source, Ctrl-C, a
  source that never delivers), with the real :class:`~posecount.pipeline.Session` and no model.
* The loop over a real sample's frames and its recorded MediaPipe poses (recorded once per test session),
  with keys fed through a fake window: counts equal analyze's on the same frames, pause/reset/mute/Tab do
  what they say.
* ``posecount live`` as a subprocess: in a real OpenCV window on an Xvfb server this test starts itself
  (screenshot mid-rep from Xvfb's own frame buffer, keys and the window's close button sent as X events
  through libX11), headless against ``analyze`` on a subset of the samples, a truncated file, Ctrl-C and a
  camera that does not exist. Clips play in real time, so these take about three minutes.

Debian packages: ``xvfb`` (which brings libx11-6, used here through ctypes). Nothing else: the screenshot
is Xvfb's ``-fbdir`` frame buffer (an XWD file) read with numpy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest

from posecount.display import KEY_ESC, KEY_SPACE, KEY_TAB, WINDOW_TITLE, NullWindow
from posecount.errors import InputError
from posecount.exercises import get_exercise
from posecount.live import (
    Action,
    EndReason,
    LiveLoop,
    LiveStats,
    action_for_key,
    save_live_result,
)
from posecount.pose import Pose
from posecount.sources import Frame, SourceInfo, VideoFileSource
from posecount.speech import Speaker

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CLEAN = SAMPLES / "slr_clean_alternating.mp4"  # 640x480 @ 30, 36.1 s; reps L 1.5-8.0, R 9.8-16.5, L, R
#: live --headless vs analyze on every sample: both exercises, 720p at 24 fps, portrait at 60 fps (more than
#: the model keeps up with on two cores, so frames are skipped). The clips play in real time (~6 min in all).
AGREEMENT_CLIPS = sorted(p.name.removesuffix(".truth.json") for p in SAMPLES.glob("*.truth.json"))


def _truth(clip: Path) -> dict[str, int]:
    return json.loads(clip.with_suffix("").with_suffix(".truth.json").read_text())["counts"]


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
    """Frames from an iterator, none dropped; after it ends, ``error`` is set to ``fail_with`` (if any)."""

    def __init__(self, frames: Iterator[Frame], info: SourceInfo, fail_with: Exception | None = None,
                 interrupt_after: int | None = None) -> None:
        self._frames = frames
        self.info = info
        self.error: Exception | None = None
        self.dropped = 0
        self._fail_with = fail_with
        self._interrupt_after = interrupt_after
        self.got = 0

    def get(self) -> Frame | None:
        if self._interrupt_after is not None and self.got >= self._interrupt_after:
            raise KeyboardInterrupt
        frame = next(self._frames, None)
        if frame is None:
            self.error = self._fail_with
            return None
        self.got += 1
        return frame

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


# == the loop over a real sample and its recorded poses ==================================================
@dataclass
class Recorded:
    clip: Path
    info: SourceInfo
    poses: dict[int, Pose | None]  # by timestamp_ms

    def frames(self) -> Iterator[Frame]:
        with VideoFileSource(self.clip) as src:
            yield from src

    def estimate(self, image: np.ndarray, timestamp_ms: int) -> Pose | None:
        return self.poses[timestamp_ms]


@pytest.fixture(scope="session")
def recorded_clean(model_path: Path) -> Recorded:
    """MediaPipe's poses for every frame of the clean side-leg-raise sample (the real model, once)."""
    from posecount.pose import PoseEstimator, PoseOptions

    clip = _need(CLEAN)
    poses: dict[int, Pose | None] = {}
    with VideoFileSource(clip) as src, PoseEstimator(PoseOptions(model_path=model_path)) as est:
        info = src.info
        for frame in src:
            poses[frame.timestamp_ms] = est.estimate(frame.image, frame.timestamp_ms)
    return Recorded(clip, info, poses)


def _loop(rec: Recorded, window: NullWindow | None = None, speaker: Speaker | None = None,
          spec: str = "side-leg-raise") -> LiveLoop:
    return LiveLoop(get_exercise(spec), ListFeed(rec.frames(), rec.info), rec.estimate, window or NullWindow(),
                    speaker, source_label=str(rec.clip), mirror=True)


def _reps(report: object) -> list[dict[str, object]]:
    return report.to_dict()["reps"]  # type: ignore[attr-defined, no-any-return]


@pytest.mark.model
def test_live_loop_counts_exactly_like_analyze_on_the_same_frames(recorded_clean: Recorded, tmp_path: Path) -> None:
    from posecount.pipeline import run_analysis
    from posecount.recording import PoseRecorder

    recorder = PoseRecorder(recorded_clean.info)
    for frame in recorded_clean.frames():
        recorder.add(frame.index, frame.timestamp_ms, recorded_clean.poses[frame.timestamp_ms])
    analyzed = run_analysis(CLEAN, get_exercise("side-leg-raise"), tmp_path / "an", None, write_video=False,
                            landmarks=recorder.track())
    window = NullWindow()
    result = _loop(recorded_clean, window).run()
    assert result.end_reason == EndReason.SOURCE_ENDED
    assert _reps(result.report) == _reps(analyzed)
    assert result.report.counts == analyzed.counts == _truth(CLEAN)
    assert result.report.to_dict()["source"]["frames"] == analyzed.to_dict()["source"]["frames"]  # type: ignore[index]
    assert window.frames == result.stats.frames_processed == analyzed.frames_read


@pytest.mark.model
def test_pause_stops_counting_and_shows_the_banner(recorded_clean: Recorded) -> None:
    # Paused from 2.0 s to 12.0 s: the left rep (1.5-8.0 s) is cut, the right one (9.8-16.5 s) is missed
    # at its start; what is left counts the second pair only.
    window = ScheduledWindow({60: KEY_SPACE, 360: KEY_SPACE})
    window.keep = {59, 200}
    loop = _loop(recorded_clean, window)
    result = loop.run()
    assert result.stats.frames_processed == window.frames - 300
    assert loop.session is not None and loop.session.tally.frames == result.stats.frames_processed
    assert result.report.counts["total"] < _truth(CLEAN)["total"]
    running, paused = window.shown
    centre = (slice(330, 390), slice(100, 700))
    assert paused[centre].mean() < running[centre].mean() - 30, "the paused banner darkens the middle"


@pytest.mark.model
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


@pytest.mark.model
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


@pytest.mark.model
def test_tab_switches_exercise_and_keeps_the_earlier_segment(recorded_clean: Recorded, tmp_path: Path) -> None:
    window = ScheduledWindow({270: KEY_TAB})
    loop = _loop(recorded_clean, window)
    result = loop.run()
    assert result.report.exercise == "seated-knee-extension"
    assert len(result.segments) == 1
    seg = result.segments[0]
    assert seg.report.exercise == "side-leg-raise" and seg.report.counts == {"left": 1, "right": 0, "total": 1}
    assert seg.end_s == pytest.approx(9.0, abs=0.05)
    assert result.report.counts["total"] == 0, "standing leg raises are no seated knee extensions"
    save_live_result(result, tmp_path)
    seg_file = tmp_path / "report-segment-1-side-leg-raise.json"
    assert json.loads(seg_file.read_text())["counts"]["left"] == 1
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["exercise"] == "seated-knee-extension"
    assert any(seg_file.name in w for w in saved["warnings"])


# == posecount live as a subprocess =====================================================================
@pytest.mark.model
@pytest.mark.parametrize("name", AGREEMENT_CLIPS)
def test_live_source_headless_counts_like_analyze(name: str, tmp_path: Path, model_path: Path) -> None:
    from posecount.pipeline import run_analysis
    from posecount.pose import PoseOptions

    clip = _need(SAMPLES / f"{name}.mp4")
    spec = json.loads(clip.with_suffix("").with_suffix(".truth.json").read_text())["exercise"]
    proc = subprocess.run(_posecount("live", "--source", str(clip), "-e", spec, "--out", str(tmp_path / "live"),
                                     "--headless", "--mute"), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    live = json.loads((tmp_path / "live" / "report.json").read_text())
    analyzed = run_analysis(clip, get_exercise(spec), tmp_path / "an", PoseOptions(model_path=model_path),
                            write_video=False)
    assert live["counts"] == analyzed.counts, (live["reps"], _reps(analyzed), live["warnings"])
    assert live["source"]["frames"] == analyzed.frames_read
    assert live["exercise"] == spec and live["source"]["path"] == str(clip)


@pytest.mark.model
def test_truncated_file_ends_the_session_with_a_warning(tmp_path: Path) -> None:
    clip = _need(CLEAN)
    full, cut = tmp_path / "full.avi", tmp_path / "cut.avi"
    cap = cv2.VideoCapture(str(clip))
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    for _ in range(240):
        ok, image = cap.read()
        assert ok
        writer.write(image)
    writer.release()
    cap.release()
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the stream breaks off after about 4 s of 8
    out = tmp_path / "out"
    proc = subprocess.run(_posecount("live", "--source", str(cut), "-e", "side-leg-raise", "--out", str(out),
                                     "--headless", "--mute"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert any("stopped delivering frames" in w and "truncated" in w for w in report["warnings"])
    assert "warning:" in proc.stderr and "stopped delivering frames" in proc.stderr
    assert 60 < report["source"]["frames"] < 240
    assert "Traceback" not in proc.stderr


def test_camera_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path, model_path: Path) -> None:
    proc = subprocess.run(_posecount("live", "--camera", "97", "-e", "side-leg-raise", "--out", str(tmp_path),
                                     "--headless"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    ours = [line for line in proc.stderr.splitlines() if line.startswith("posecount:")]
    assert ours == ["posecount: error: camera 97: cannot be opened (no camera, or it is in use)"]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "report.json").exists()


def test_no_display_is_a_one_line_error(tmp_path: Path, model_path: Path) -> None:
    clip = _need(CLEAN)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(_posecount("live", "--source", str(clip), "-e", "side-leg-raise", "--out", str(tmp_path)),
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0 and proc.returncode != -signal.SIGABRT
    assert "cannot open a window: no display" in proc.stderr and "--headless" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- a real window on Xvfb ------------------------------------------------------------------------------
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

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) on the screen."""
        root = ctypes.c_ulong()
        gx, gy = ctypes.c_int(), ctypes.c_int()
        w, h, border, depth = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        self.x.XGetGeometry(self.d, window, ctypes.byref(root), ctypes.byref(gx), ctypes.byref(gy), ctypes.byref(w),
                            ctypes.byref(h), ctypes.byref(border), ctypes.byref(depth))
        ax, ay, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        self.x.XTranslateCoordinates(self.d, window, self.root, 0, 0, ctypes.byref(ax), ctypes.byref(ay),
                                     ctypes.byref(child))
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


class _XEvent(ctypes.Union):
    _fields_ = [("key", X11._Key), ("client", X11._Client), ("pad", ctypes.c_long * 24)]


@dataclass
class LiveProcess:
    proc: subprocess.Popen[str]
    x: X11
    window: int
    opened_at: float

    def wait(self, timeout_s: float) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout_s)
        return self.proc.returncode, out, err


@pytest.fixture
def start_live(xvfb: XServer, model_path: Path) -> Iterator[object]:
    """Start ``posecount live`` on the Xvfb display and wait for its window."""
    started: list[LiveProcess] = []

    def start(*args: str) -> LiveProcess:
        env = {**os.environ, "DISPLAY": xvfb.display}
        proc = subprocess.Popen(_posecount("live", *args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        x = X11(xvfb.display)
        deadline = time.monotonic() + 60
        window = None
        while window is None and time.monotonic() < deadline and proc.poll() is None:
            window = x.find(WINDOW_TITLE)
            time.sleep(0.05)
        if window is None:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"no window titled {WINDOW_TITLE!r} appeared: {err[-2000:]}")
        live = LiveProcess(proc, x, window, time.monotonic())
        started.append(live)
        return live

    yield start
    for live in started:
        if live.proc.poll() is None:
            live.proc.kill()
            live.proc.communicate()
        live.x.close()


def _clip_frames(clip: Path, t0_s: float, t1_s: float) -> list[np.ndarray]:
    with VideoFileSource(clip) as src:
        return [f.image for f in src if t0_s * 1000 <= f.timestamp_ms <= t1_s * 1000]


def _near(img: np.ndarray, colour: tuple[int, int, int], tol: int) -> np.ndarray:
    return (np.abs(img.astype(np.int16) - np.array(colour, np.int16)) <= tol).all(axis=-1)


@pytest.mark.gui
@pytest.mark.model
def test_live_window_shows_the_overlay_and_counts_the_sample(start_live: object, xvfb: XServer,
                                                             tmp_path: Path) -> None:
    from posecount.overlay import ORANGE

    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")  # type: ignore[operator]
    # Mid-rep: the first rep (left leg) is held from 2.8 s to 5.8 s of the clip.
    time.sleep(max(0.0, live.opened_at + 4.2 - time.monotonic()))
    screen = xvfb.screenshot()
    x0, y0, w, h = live.x.geometry(live.window)
    assert live.x.name(live.window) == "posecount"
    assert (w, h) == (960, 720), "a 640x480 source is shown enlarged to 720 lines"
    shot = screen[y0:y0 + h, x0:x0 + w]
    cv2.imwrite(str(tmp_path / "screenshot.png"), shot)
    assert shot.std() > 20, "not blank"

    # Compare with the raw video around that moment, enlarged like the display.
    raw = [cv2.resize(f, (w, h)) for f in _clip_frames(clip, 3.0, 5.6)]
    picture = (slice(int(0.2 * h), int(0.75 * h)), slice(int(0.05 * w), int(0.55 * w)))  # no panel there
    mirrored = min(np.abs(shot[picture].astype(int) - f[:, ::-1][picture]).mean() for f in raw)
    unmirrored = min(np.abs(shot[picture].astype(int) - f[picture]).mean() for f in raw)
    assert mirrored < unmirrored, "the display is mirrored"
    top = slice(0, int(0.1 * h))
    assert all(shot[top].mean() < 0.6 * f[top].mean() for f in raw), "the top bar covers the raw picture"
    # The overlay's own colours: the working leg and its count in orange, the gauge's target band green.
    assert _near(shot, ORANGE, 40).sum() > 2000
    gauge = shot[int(0.2 * h):int(0.8 * h), int(0.85 * w):]
    assert _near(gauge, (80, 200, 80), 40).sum() > 1000
    ring = shot[int(0.15 * h):int(0.75 * h), int(0.7 * w):int(0.86 * w)]
    assert (_near(ring, ORANGE, 40) | _near(ring, (80, 200, 80), 40)).sum() > 500, "the hold ring beside the gauge"

    code, stdout, stderr = live.wait(120)
    assert code == 0, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == _truth(clip), (report["reps"], report["warnings"])
    c = report["counts"]
    assert f"left {c['left']}, right {c['right']}, total {c['total']} counted" in stdout


@pytest.mark.gui
@pytest.mark.model
def test_live_window_keys_then_q(start_live: object, xvfb: XServer, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")  # type: ignore[operator]
    x0, y0, w, h = live.x.geometry(live.window)
    band = (slice(y0 + int(0.44 * h), y0 + int(0.56 * h)), slice(x0 + int(0.1 * w), x0 + int(0.6 * w)))
    time.sleep(1.5)
    before = xvfb.screenshot()[band].mean()
    live.x.key(live.window, "space")
    time.sleep(1.0)
    paused = xvfb.screenshot()[band].mean()
    assert paused < before - 30, "space pauses: the paused banner darkens the middle"
    live.x.key(live.window, "space")
    time.sleep(1.0)
    assert xvfb.screenshot()[band].mean() > paused + 30, "space again resumes"
    live.x.key(live.window, "q")
    code, _, stderr = live.wait(30)
    assert code == 0, stderr
    assert time.monotonic() - live.opened_at < 20, "q ended the session long before the clip's end"
    report = json.loads((out / "report.json").read_text())
    assert report["source"]["frames"] < 600


@pytest.mark.gui
@pytest.mark.model
def test_closing_the_window_ends_the_session(start_live: object, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")  # type: ignore[operator]
    time.sleep(1.5)
    live.x.close_window(live.window)
    code, _, stderr = live.wait(30)
    assert code == 0, stderr
    assert time.monotonic() - live.opened_at < 15
    assert json.loads((out / "report.json").read_text())["exercise"] == "side-leg-raise"


@pytest.mark.gui
@pytest.mark.model
def test_ctrl_c_saves_the_session(start_live: object, tmp_path: Path) -> None:
    clip = _need(CLEAN)
    out = tmp_path / "out"
    live = start_live("--source", str(clip), "-e", "side-leg-raise", "--out", str(out), "--mute")  # type: ignore[operator]
    time.sleep(9.0)  # past the first rep (1.5-8.0 s)
    live.proc.send_signal(signal.SIGINT)
    code, stdout, stderr = live.wait(30)
    assert code == 0, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["left"] == 1 and report["counts"]["right"] == 0
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

    from posecount import live
    from posecount.live import LiveOptions, open_live_source
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
