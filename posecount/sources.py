"""Frame sources: video files, cameras and stream URLs behind one interface.

Every :class:`Frame` carries its index and a timestamp in milliseconds. For files the timestamp is the
video's own (its presentation time), never the wall clock, so analysis is reproducible and independent of
how fast the machine is. Cameras and live streams have no trustworthy clock of their own, so there the
timestamp is the monotonic time since the source was opened.

Files are decoded with PyAV (:mod:`posecount.video`: real timestamps of variable-frame-rate files, rotation
applied, any container FFmpeg reads); cameras and streams with OpenCV.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from posecount.errors import InputError
from posecount.video import VideoReader

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame. ``image`` is (H, W, 3) uint8 BGR; ``timestamp_ms`` strictly increases."""

    image: np.ndarray
    index: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source says about itself: ``fps`` frames/s, ``width`` and ``height`` in displayed pixels.

    ``frames`` is 0 when unknown (cameras, streams). For a file it is what the container states until the
    file has been decoded to its end, then the number of frames decoded; ``measured_duration_s`` is then the
    end of the last frame by the video's own timestamps (seconds from its start), right for variable frame
    rates; None until then, and for cameras and streams.
    """

    path: str
    fps: float
    frames: int
    width: int
    height: int
    measured_duration_s: float | None = None

    @property
    def duration_s(self) -> float:
        """Seconds: measured from the timestamps when known, else ``frames / fps``."""
        if self.measured_duration_s is not None:
            return self.measured_duration_s
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


class VideoFileSource:
    """A video file, decoded with PyAV: the frames upright, each with the file's own timestamp.

    Any container and codec FFmpeg reads (MP4, MOV, MKV, WebM, AVI...). Missing, empty, directory and
    non-video paths raise :class:`InputError` on opening; a truncated or damaged file yields the frames
    decoded before the damage, then raises it. ``info`` starts as the file states itself (``frames`` 0 when
    it states no count) and is updated when the last frame has been decoded (see :class:`SourceInfo`).
    """

    def __init__(self, path: str | Path, images: bool = True) -> None:
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
        self.path = path
        self._reader = VideoReader(path, images=images)  # images=False: times only (a replay)
        r = self._reader
        self.info = SourceInfo(path=str(path), fps=r.fps, frames=r.frames_stated, width=r.width, height=r.height)

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for image, timestamp_ms in self._reader:
            yield Frame(image=image, index=index, timestamp_ms=timestamp_ms)
            index += 1
        if self._reader.finished:
            self.info = replace(self.info, frames=index, measured_duration_s=self._reader.end_s)

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def open_source(spec: str | Path | int) -> VideoFileSource | CameraSource | StreamSource:
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

    def __init__(self, source: FrameSource, speed: float = 1.0) -> None:
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
