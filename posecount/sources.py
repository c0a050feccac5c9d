"""Frame sources: video files, cameras and stream URLs behind one interface.

Every :class:`Frame` carries its index and a timestamp in milliseconds. For files the timestamp is the
video's own (its presentation time), never the wall clock, so analysis is reproducible and independent of
how fast the machine is. Cameras and live streams have no trustworthy clock of their own, so there the
timestamp is the monotonic time since the source was opened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from posecount.errors import InputError

log = logging.getLogger(__name__)

#: Decoding may stop this many frames short of the container's frame count before we call a file truncated
#: (container counts are estimates for some formats; a truly truncated file loses far more).
TRUNCATION_SLACK_FRAMES = 3
TRUNCATION_SLACK_FRACTION = 0.05


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame. ``image`` is (H, W, 3) uint8 BGR; ``timestamp_ms`` strictly increases."""

    image: np.ndarray
    index: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source says about itself. ``frames`` is 0 when unknown (cameras, streams)."""

    path: str
    fps: float
    frames: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


class FrameSource(Protocol):
    """Anything that yields frames. Use as a context manager so the device or file is released."""

    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(self, *exc: object) -> None: ...


class _CaptureSource:
    """Shared machinery around ``cv2.VideoCapture``."""

    info: SourceInfo

    def __init__(self, capture: cv2.VideoCapture, name: str) -> None:
        self._cap = capture
        self._name = name
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 30.0
        self.info = SourceInfo(
            path=name,
            fps=fps,
            frames=max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0),
            width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
            height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
        )

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> _CaptureSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoFileSource(_CaptureSource):
    """A video file. Timestamps come from the container; unreadable or truncated files raise InputError."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a video file")
        try:
            with open(path, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
        if not head:
            raise InputError(f"{path}: empty file")
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise InputError(f"{path}: not a readable video (unknown format or damaged file)")
        super().__init__(cap, str(path))
        self.path = path
        if self.info.width <= 0 or self.info.height <= 0:
            self.close()
            raise InputError(f"{path}: not a readable video (no image stream)")

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        last_ms = -1
        step_ms = 1000.0 / self.info.fps
        while True:
            ok, image = self._cap.read()
            if not ok or image is None:
                break
            pos_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
            # The container's presentation time; some demuxers report 0 or repeat it at the end, so fall
            # back to the nominal frame period to keep timestamps strictly increasing.
            ts = round(pos_ms) if np.isfinite(pos_ms) and pos_ms > 0 else round(index * step_ms)
            if ts <= last_ms:
                ts = last_ms + max(1, round(step_ms))
            last_ms = ts
            yield Frame(image=_as_bgr(image), index=index, timestamp_ms=ts)
            index += 1
        if index == 0:
            raise InputError(f"{self.path}: no frame could be decoded (empty or damaged video)")
        expected = self.info.frames
        if expected and index < expected - max(TRUNCATION_SLACK_FRAMES, TRUNCATION_SLACK_FRACTION * expected):
            raise InputError(
                f"{self.path}: video is truncated or damaged (decoded {index} of {expected} frames)")


class CameraSource(_CaptureSource):
    """A local camera. Requested resolution and fps are read back into ``info``."""

    def __init__(self, index: int = 0, resolution_wh: tuple[int, int] | None = None,
                 fps: float | None = None) -> None:
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise InputError(f"camera {index}: cannot be opened (no camera, or it is in use)")
        if resolution_wh:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, resolution_wh[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution_wh[1])
        if fps:
            cap.set(cv2.CAP_PROP_FPS, fps)
        super().__init__(cap, f"camera:{index}")
        self.live = True

    def __iter__(self) -> Iterator[Frame]:
        yield from _wall_clock_frames(self._cap, self._name)


class StreamSource(_CaptureSource):
    """A network stream (rtsp://, http://...). Timestamps are the monotonic time since opening."""

    def __init__(self, url: str) -> None:
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise InputError(f"{url}: cannot open stream")
        super().__init__(cap, url)
        self.live = True

    def __iter__(self) -> Iterator[Frame]:
        yield from _wall_clock_frames(self._cap, self._name)


def _wall_clock_frames(cap: cv2.VideoCapture, name: str) -> Iterator[Frame]:
    t0 = time.monotonic()
    index = 0
    last_ms = -1
    while True:
        ok, image = cap.read()
        if not ok or image is None:
            if index == 0:
                raise InputError(f"{name}: no frame received")
            log.warning("%s: stopped delivering frames after %d frames", name, index)
            return
        ts = int((time.monotonic() - t0) * 1000)
        if ts <= last_ms:
            ts = last_ms + 1
        last_ms = ts
        yield Frame(image=_as_bgr(image), index=index, timestamp_ms=ts)
        index += 1


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def open_source(spec: str | Path | int) -> _CaptureSource:
    """Open a camera (an int or a string of digits), a stream URL (``scheme://``) or a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    text = str(spec)
    if "://" in text and not text.startswith("file://"):
        return StreamSource(text)
    return VideoFileSource(text.removeprefix("file://"))


class PacedSource:
    """Plays a file source in real time, as a camera would deliver it (for ``live --source``).

    Frames keep the file's own timestamps, so live and offline analysis see the same times.
    """

    def __init__(self, source: _CaptureSource, speed: float = 1.0) -> None:
        self._source = source
        self.info = source.info
        self._speed = speed
        self.live = True

    def __iter__(self) -> Iterator[Frame]:
        t0: float | None = None
        for frame in self._source:
            now = time.monotonic()
            if t0 is None:
                t0 = now - frame.timestamp_ms / 1000.0 / self._speed
            delay = t0 + frame.timestamp_ms / 1000.0 / self._speed - now
            if delay > 0:
                time.sleep(delay)
            yield frame

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> PacedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LatestFrame:
    """Reads a live source on a background thread and keeps only the newest frame.

    A slow consumer therefore never builds a queue behind it: it always gets the freshest image, and
    ``dropped`` counts the frames it never saw. ``get`` returns None when the source has ended.
    """

    def __init__(self, source: FrameSource | PacedSource, stall_timeout_s: float = 5.0) -> None:
        self._source = source
        self.info = source.info
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._fresh = False
        self._ended = False
        self.error: Exception | None = None
        self.dropped = 0
        self.stall_timeout_s = stall_timeout_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="posecount-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for frame in self._source:
                if self._stop.is_set():
                    break
                with self._cond:
                    if self._fresh:
                        self.dropped += 1
                    self._frame, self._fresh = frame, True
                    self._cond.notify_all()
        except Exception as exc:  # handed to the consumer, which reports it and saves the session
            self.error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def get(self) -> Frame | None:
        """The newest frame not yet returned; waits for one. None at the end or after a stall."""
        with self._cond:
            deadline = time.monotonic() + self.stall_timeout_s
            while not self._fresh and not self._ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.error = InputError(f"{self.info.path}: no frame for {self.stall_timeout_s:.0f} s "
                                            "(camera lost or stream stalled)")
                    return None
                self._cond.wait(remaining)
            if not self._fresh:
                return None
            self._fresh = False
            return self._frame

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._source.close()
