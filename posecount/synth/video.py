"""Writing a clip: render every frame of a script into an .mp4 with OpenCV, atomically.

Codec: ``fourccs`` are tried in order; the library default tries 'avc1' (H.264) then 'mp4v' (MPEG-4
Part 2). The opencv-contrib-python wheel this project pins has no usable H.264 encoder (only
h264_v4l2m2m, which needs a hardware device), so 'mp4v' is what it writes; the committed sample set pins
'mp4v' so a machine whose OpenCV does have H.264 still regenerates the same bytes.

Determinism: the frames are deterministic (see :mod:`posecount.synth.draw`), the MPEG-4 Part 2 encoder
is, and FFmpeg's mp4 muxer writes no creation time unless asked, so the same script gives the same bytes
(checked by hashing in the tests). What could still differ between machines: another FFmpeg version
inside another OpenCV build (its version string "Lavf…" is embedded, and encoders change).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecount.atomic import atomic_path
from posecount.errors import OutputError
from posecount.synth.draw import FrameRenderer
from posecount.synth.script import MotionScript

DEFAULT_FOURCCS: tuple[str, ...] = ("avc1", "mp4v")
#: Bits per pixel per frame: enough for the mannequin's flat colours, small enough for the sample budget.
DEFAULT_BITS_PER_PIXEL = 0.02


@dataclass(frozen=True)
class WrittenClip:
    path: Path
    fourcc: str
    frames: int
    bytes: int
    sha256: str


@contextlib.contextmanager
def _quiet_probe() -> Iterator[None]:
    """Silence OpenCV's and FFmpeg's native logging while probing a codec (a failed 'avc1' probe is expected
    and FFmpeg prints its reasons straight to file descriptor 2). Only around opening the writer."""
    old_level = None
    with contextlib.suppress(AttributeError):
        old_level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    saved_fd = None
    try:
        saved_fd = os.dup(2)
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
    except OSError:
        saved_fd = None
    try:
        yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        if old_level is not None:
            cv2.utils.logging.setLogLevel(old_level)


def open_writer(path: Path, fps: float, size_wh: tuple[int, int], fourccs: Sequence[str] = DEFAULT_FOURCCS,
                bitrate_bps: int | None = None) -> tuple[cv2.VideoWriter, str]:
    """The first codec of ``fourccs`` this OpenCV can open for ``path``; OutputError when none can."""
    params: list[int] = []
    if bitrate_bps:
        params = [cv2.VIDEOWRITER_PROP_BITRATE, int(bitrate_bps)]
    for code in fourccs:
        with _quiet_probe():
            writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*code), float(fps),
                                     size_wh, params)
        if writer.isOpened():
            return writer, code
        writer.release()
        with contextlib.suppress(OSError):
            os.unlink(path)
    raise OutputError(f"cannot write {path}: this OpenCV has none of the codecs {list(fourccs)}")


def write_frames(path: Path, frames: Iterator[np.ndarray] | Sequence[np.ndarray], fps: float,
                 size_wh: tuple[int, int], fourccs: Sequence[str] = DEFAULT_FOURCCS,
                 bitrate_bps: int | None = None) -> WrittenClip:
    """Write BGR frames to ``path`` (via a temporary name, renamed when complete)."""
    path = Path(path)
    n = 0
    with atomic_path(path) as tmp:
        writer, code = open_writer(tmp, fps, size_wh, fourccs, bitrate_bps)
        try:
            for frame in frames:
                if frame.shape[1] != size_wh[0] or frame.shape[0] != size_wh[1]:
                    raise OutputError(f"{path}: frame {n} is {frame.shape[1]}x{frame.shape[0]}, "
                                      f"not {size_wh[0]}x{size_wh[1]}")
                writer.write(frame)
                n += 1
        finally:
            writer.release()
    data = path.read_bytes()
    return WrittenClip(path, code, n, len(data), hashlib.sha256(data).hexdigest())


def default_bitrate_bps(script: MotionScript, bits_per_pixel: float = DEFAULT_BITS_PER_PIXEL) -> int:
    return round(bits_per_pixel * script.width * script.height * script.fps)


def write_clip(script: MotionScript, path: Path, fourccs: Sequence[str] = DEFAULT_FOURCCS,
               bitrate_bps: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> WrittenClip:
    """Render ``script`` into the video file ``path``. ``progress(done, total)`` is called per frame."""
    renderer = FrameRenderer(script)
    total = script.frame_count

    def frames() -> Iterator[np.ndarray]:
        for i in range(total):
            if progress is not None:
                progress(i, total)
            yield renderer.render(i)

    rate = bitrate_bps if bitrate_bps is not None else default_bitrate_bps(script)
    return write_frames(path, frames(), script.fps, (script.width, script.height), fourccs, rate)
