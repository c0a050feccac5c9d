"""Writing a clip: render every frame of a script into a video file, atomically.

A constant-rate .mp4 (every script of the first sample set) is written with OpenCV, as below. A script that
asks for more of the recording (:mod:`posecount.synth.script`: ``container`` mov or webm, a phone's
``display_rotation_deg``, browser-like ``vfr`` frame times) is written with PyAV (:func:`write_clip_av`):
H.264 (libx264) in .mov (QuickTime, 1/600 s track timescale as phones write) and .mp4 (1/90000 s), VP8
(libvpx) in a live-written .webm (no duration, no index, millisecond timestamps, the nominal rate stated
as a default frame duration: what a browser's MediaRecorder writes). Each frame is drawn at its own
presentation time and stored at exactly that time, so the truth's rep times hold to the tick. A rotated
clip's frames are drawn upright and stored turned the other way, with the display matrix that turns them
back (a portrait phone clip: landscape frames plus "rotation -90").

Codec: ``fourccs`` are tried in order; the library default tries 'avc1' (H.264) then 'mp4v' (MPEG-4
Part 2). The opencv-contrib-python wheel this project pins has no usable H.264 encoder (only
h264_v4l2m2m, which needs a hardware device), so 'mp4v' is what it writes; the committed sample set pins
'mp4v' so a machine whose OpenCV does have H.264 still regenerates the same bytes.

Determinism: the frames are deterministic (see :mod:`posecount.synth.draw`), the MPEG-4 Part 2 encoder
is, and FFmpeg's mp4 muxer writes no creation time unless asked, so the same script gives the same bytes
(checked by hashing in the tests). What could still differ between machines: another FFmpeg version
inside another OpenCV build (its version string "Lavf…" is embedded, and encoders change).

PyAV clips: the WebM (libvpx, one thread, FFmpeg's bitexact flags: no creation time, no random Matroska
segment id) is the same bytes every run on one installation. The H.264 ones (MOV, the rotated MP4) are
not quite: on a loaded machine libx264 (one thread, bitexact) was measured to give other bytes in about 1
run in 6, the pictures within a grey level. So they are compared by their pictures
(:func:`same_pictures`: the same frame times, every frame within a tolerance), not their bytes. Neither
holds across PyAV wheels, whose libx264 and libvpx builds differ.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from posecount.atomic import atomic_path
from posecount.errors import OutputError
from posecount.synth.draw import FrameRenderer
from posecount.synth.script import MotionScript

DEFAULT_FOURCCS: tuple[str, ...] = ("avc1", "mp4v")
#: Bits per pixel per frame: enough for the mannequin's flat colours, small enough for the sample budget.
DEFAULT_BITS_PER_PIXEL = 0.02
#: VP8's target, bits per pixel per (nominal) frame: about what MPEG-4 Part 2 needs at 0.02 looks like.
VP8_BITS_PER_PIXEL = 0.012
#: libx264's constant quality (x264's default is 23; the mannequin's flat colours stay clean at 28).
X264_CRF = 28


@dataclass(frozen=True)
class AvFormat:
    """How PyAV writes one container: FFmpeg's muxer and its options, the encoder, the stream's time base."""

    muxer: str
    muxer_options: dict[str, str]
    encoder: str
    time_base: Fraction


#: Per container (``MotionScript.container``). ``fflags=+bitexact``: no creation time or random ids.
AV_FORMATS: dict[str, AvFormat] = {
    "webm": AvFormat("webm", {"live": "1", "fflags": "+bitexact"}, "libvpx", Fraction(1, 1000)),
    "mov": AvFormat("mov", {"fflags": "+bitexact", "video_track_timescale": "600"}, "libx264", Fraction(1, 600)),
    "mp4": AvFormat("mp4", {"fflags": "+bitexact", "video_track_timescale": "90000"}, "libx264",
                    Fraction(1, 90000)),
}
#: cv2.rotate code that stores an upright frame so that the display matrix of this rotation turns it back.
_STORE_ROTATED = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


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


def needs_av(script: MotionScript) -> bool:
    """Whether ``script`` is written with PyAV (another container, a rotation tag or variable frame times)."""
    return script.container != "mp4" or script.display_rotation_deg != 0 or script.vfr is not None


def h264_by_pyav(script: MotionScript) -> bool:
    """Written by PyAV with libx264: compared by its pictures, not its bytes (see the module docstring)."""
    return needs_av(script) and AV_FORMATS[script.container].encoder == "libx264"


def write_clip(script: MotionScript, path: Path, fourccs: Sequence[str] = DEFAULT_FOURCCS,
               bitrate_bps: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> WrittenClip:
    """Render ``script`` into the video file ``path``. ``progress(done, total)`` is called per frame.

    A script that :func:`needs_av` goes to :func:`write_clip_av` (``fourccs`` do not apply)."""
    if needs_av(script):
        return write_clip_av(script, path, bitrate_bps, progress)
    renderer = FrameRenderer(script)
    total = script.frame_count

    def frames() -> Iterator[np.ndarray]:
        for i in range(total):
            if progress is not None:
                progress(i, total)
            yield renderer.render(i)

    rate = bitrate_bps if bitrate_bps is not None else default_bitrate_bps(script)
    return write_frames(path, frames(), script.fps, (script.width, script.height), fourccs, rate)


def write_clip_av(script: MotionScript, path: Path, bitrate_bps: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> WrittenClip:
    """Render ``script`` into ``path`` with PyAV, in its ``container``, every frame at its own time (module
    docstring). ``bitrate_bps`` sets the encoder's target rate (default: VP8 at ``VP8_BITS_PER_PIXEL``,
    H.264 at constant quality ``X264_CRF``). ``WrittenClip.fourcc`` is the encoder's name."""
    path = Path(path)
    fmt = AV_FORMATS[script.container]
    renderer = FrameRenderer(script)
    total = script.frame_count
    turn = script.display_rotation_deg
    stored_wh = (script.height, script.width) if turn in (90, 270) else (script.width, script.height)
    muxer_options, time_base = dict(fmt.muxer_options), fmt.time_base
    if script.vfr is not None:  # millisecond frame times: a millisecond time base keeps them exact
        time_base = Fraction(1, 1000)
        if "video_track_timescale" in muxer_options:
            muxer_options["video_track_timescale"] = "1000"
    with atomic_path(path) as tmp:
        try:
            with av.open(str(tmp), "w", format=fmt.muxer, options=muxer_options) as container:
                # The nominal rate is stated (a WebM: a default frame duration, as a browser states the camera's
                # rate); the frames' own times are what they are.
                stream = container.add_stream(fmt.encoder, rate=Fraction(script.fps).limit_denominator(1001))
                stream.width, stream.height = stored_wh
                stream.pix_fmt = "yuv420p"
                stream.codec_context.time_base = time_base
                options = {"threads": "1", "flags": "+bitexact"}  # one thread: the same bytes every run
                if fmt.encoder == "libvpx":
                    rate_bps = bitrate_bps or round(VP8_BITS_PER_PIXEL * script.width * script.height * script.fps)
                    options |= {"deadline": "good", "cpu-used": "2", "b": str(rate_bps)}
                else:
                    options |= {"preset": "medium"} | ({"b": str(bitrate_bps)} if bitrate_bps else
                                                       {"crf": str(X264_CRF)})
                stream.options = options
                stream.codec_context.thread_count = 1  # PyAV would open the encoder with automatic threading
                if turn:
                    stream.set_display_rotation(turn)
                for i in range(total):
                    if progress is not None:
                        progress(i, total)
                    image = renderer.render(i)
                    if turn:
                        image = cv2.rotate(image, _STORE_ROTATED[turn])
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
                    frame = frame.reformat(format="yuv420p")
                    frame.pts = round(script.frame_time_s(i) / time_base)
                    frame.time_base = time_base
                    container.mux(stream.encode(frame))
                container.mux(stream.encode(None))
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {path}: {exc}") from exc
    data = path.read_bytes()
    return WrittenClip(path, fmt.encoder, total, len(data), hashlib.sha256(data).hexdigest())


#: Mean absolute difference (grey levels, 0-255) two encodings of the same frames may show.
SAME_PICTURE_TOLERANCE = 2.0


def same_pictures(a: Path, b: Path, tolerance: float = SAME_PICTURE_TOLERANCE) -> bool:
    """True when two video files show the same frames at the same times: every frame's mean absolute
    difference within ``tolerance`` grey levels (for encoders that are not bit-exact under load)."""
    import av

    def frames(path: Path) -> list[tuple[int, np.ndarray]]:
        with av.open(str(path)) as container:
            return [(int(f.pts), f.to_ndarray(format="gray").astype(np.int16))
                    for f in container.decode(container.streams.video[0])]

    fa, fb = frames(a), frames(b)
    return len(fa) == len(fb) and all(
        pa == pb and ia.shape == ib.shape and float(np.abs(ia - ib).mean()) <= tolerance
        for (pa, ia), (pb, ib) in zip(fa, fb, strict=True))

