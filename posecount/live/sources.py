"""Where the live loop's frames and poses come from: the camera, file or stream opened (:func:`open_live_source`),
a playlist's files one after another (:class:`Playlist`), the model on a clock that keeps rising across them,
or a recording replayed instead (:func:`replay_estimate`); and what the loop reads them through
(:class:`FrameFeed`, :class:`OpenedSource`, :class:`SourceQueue`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from posecount.errors import InputError
from posecount.live.options import LiveOptions
from posecount.live.stats import ArrivalStamps
from posecount.pose import Pose, PoseEstimator
from posecount.recording import PoseTrack
from posecount.sources import (
    CameraSource,
    Frame,
    LatestFrame,
    PacedSource,
    SourceInfo,
    VideoFileSource,
    open_source,
)

log = logging.getLogger("posecount.live")  # the live path's one logger (tests and --verbose read it by name)


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
