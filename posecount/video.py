"""Video files through PyAV (FFmpeg's own libraries): real timestamps, upright frames, H.264 out.

Cameras and stream URLs stay on OpenCV (:mod:`posecount.sources`); files come here because a file knows
more than OpenCV's reader passes on, and what we write must play in every browser.

Reading (:class:`VideoReader`), for WebM, MKV, MOV, MP4, AVI and whatever else FFmpeg demuxes:

- **Timestamps** are each frame's presentation time (pts × time base) from the stream's start, in whole
  milliseconds: variable-frame-rate files (phones, a browser's MediaRecorder) keep their real times. The
  arithmetic is OpenCV's (``CAP_PROP_POS_MSEC``), so a constant-rate file gives the timestamps it gave
  before. They strictly increase: a frame without a pts gets the previous frame's time plus one nominal
  frame period, and a frame that would not move the clock forward (two pts within one millisecond, or a
  pts that goes backwards) is nudged to 1 ms after the previous frame rather than dropped, so every decoded
  frame is analysed and frame indices stay those of the decoder.
- **Rotation**: phones store portrait clips as landscape frames plus a display matrix. It is applied, so
  frames come out upright and :attr:`VideoReader.width` / ``height`` are the displayed size. Mirroring in
  the matrix is not applied (rare; OpenCV's reader did not apply it either).
- **HDR** (PQ or HLG transfer, BT.2020 primaries: iPhones record HLG by default) is converted to SDR
  BT.709 by FFmpeg's colour-managed scaler, as OpenCV's reader does (within 0.2 of 255 on a real HLG clip),
  so the model and annotated.mp4 see normal colours rather than the dull HDR signal. It is costly (about as
  costly as it was in OpenCV); SDR frames take the direct, bit-identical path.
- **Size changes** mid-stream (a browser recording whose camera switched resolution) are scaled to the
  first frame's size: one clip, one frame size.
- **Damage**: the frame count a container states is not trusted (a browser's WebM states none or a wrong
  one). A file is truncated or damaged when the demuxer fails, marks a packet corrupt (a sample cut short),
  or the decoder fails: decoding stops there, the frames decoded so far (and those still buffered in the
  decoder) are delivered, then :class:`~posecount.errors.InputError` says where it stopped. A Matroska/WebM
  file cut exactly between two frames cannot be told from a shorter recording and is read as one.

Writing (:class:`H264Writer`): H.264 (libx264) in yuv420p, the MP4 index at the front (``+faststart``), so
it plays in Chrome, Firefox and Safari and starts before it is fully downloaded; every frame at the
timestamp it is given (the source frame's), so the output stays in sync with a variable-frame-rate source.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.error
import av.filter
import cv2
import numpy as np

from posecount.errors import InputError, OutputError

log = logging.getLogger(__name__)

#: The frame rate assumed when a file states none we can believe.
DEFAULT_FPS = 30.0
#: Frame rates outside (0, MAX_FPS) are taken as unstated (a WebM's 1 kHz time base is not a frame rate).
MAX_FPS = 1000.0

#: color_trc values of HDR transfer functions (SMPTE ST 2084 "PQ", ARIB STD-B67 "HLG") and the color_primaries
#: value of BT.2020 (FFmpeg's AVColorTransferCharacteristic / AVColorPrimaries numbers).
_HDR_TRC = frozenset({16, 18})
_BT2020_PRIMARIES = 9
#: FFmpeg's scale filter converting to SDR BT.709 (transfer, primaries and matrix); ``w``/``h`` keep the size.
_TO_SDR = "w={w}:h={h}:out_transfer=bt709:out_primaries=bt709:out_color_matrix=bt709"

#: Threads of the YUV→BGR conversion. One: swscale's own worker threads (PyAV's default) wait on the
#: scheduler for every frame, which made decoding 4x slower than OpenCV's on a busy two-core machine.
_SWS_THREADS = 1

#: What a reader made with ``images=False`` yields in place of each picture.
NO_IMAGE = np.zeros((0, 0, 3), np.uint8)

#: cv2.rotate code that turns a decoded frame upright, by counter-clockwise quarter turns of the display matrix.
_ROTATE = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


class _DamagedError(Exception):
    """Internal: decoding stopped on damage; ``reason`` is one short phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VideoReader:
    """Decodes one video file into upright BGR frames with their own timestamps. Use as a context manager.

    Opening decodes the first frame, so a file that does not decode fails here, and ``width`` / ``height``
    are the displayed size (after rotation) in pixels. Iterate once for ``(image, timestamp_ms)`` pairs:
    ``image`` (height, width, 3) uint8 BGR, ``timestamp_ms`` int, strictly increasing, from the start of
    the stream. ``frames_decoded`` and ``end_s`` (the end of the last frame, seconds from the start of the
    stream) grow as frames are decoded; ``finished`` turns true when the stream has been decoded to its end.

    ``fps`` is the stream's stated average rate (``DEFAULT_FPS`` when it states none); ``frames_stated`` is
    the frame count the container states (0 when it states none; not trusted, see the module docstring).
    """

    def __init__(self, path: str | Path, images: bool = True) -> None:
        #: False: frames are decoded (their times, the damage check) but not converted to pictures
        self.images = images
        self.path = Path(path)
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.path}: not a readable video (unknown format or damaged file)") from exc
        try:
            self._open_stream()
        except BaseException:
            self._container.close()
            raise

    def _open_stream(self) -> None:
        streams = [s for s in self._container.streams.video
                   if not s.disposition & av.stream.Disposition.attached_pic]  # skip cover art
        if not streams:
            raise InputError(f"{self.path}: not a readable video (no image stream)")
        stream = self._stream = streams[0]
        stream.thread_type = "AUTO"  # frame and slice threads: about 2x on a 1080p H.264 clip
        self.codec = stream.codec_context.name
        self.fps = _stated_fps(stream)
        self.frames_stated = max(int(stream.frames or 0), 0)
        self.frames_decoded = 0
        self.end_s = 0.0
        self.finished = False
        tb = stream.time_base or Fraction(1, 1000)
        # OpenCV's r2d(): the time base as a double, so timestamps round exactly as OpenCV's did.
        self._tb_s = float(tb.numerator) / float(tb.denominator)
        self._closed = False
        self._lock = threading.RLock()
        self._frames = self._decoded_frames()
        try:
            first = next(self._frames, None)
        except _DamagedError as exc:
            raise InputError(f"{self.path}: no frame could be decoded ({exc.reason})") from exc
        if first is None:
            raise InputError(f"{self.path}: no frame could be decoded (empty or damaged video)")
        self._first: av.VideoFrame | None = first
        self._coded_wh = (first.width, first.height)
        # The display matrix's counter-clockwise angle, in quarter turns (FFmpeg attaches it to every frame;
        # the first frame's holds for the whole stream).
        self._quarter_turns = round((first.rotation or 0) / 90) % 4
        self._hdr = int(first.color_trc or 0) in _HDR_TRC or int(first.color_primaries or 0) == _BT2020_PRIMARIES
        self._to_sdr: dict[tuple[int, int, str], av.filter.Graph] = {}
        self._resized = False
        w, h = self._coded_wh
        self.rotation_deg = 90 * self._quarter_turns  # applied, counter-clockwise: a phone's portrait clip has 270
        self.width, self.height = (h, w) if self._quarter_turns % 2 else (w, h)
        # Time 0: the stream's start time (as OpenCV had it), else the first frame's pts.
        start = stream.start_time if stream.start_time is not None else first.pts
        self._origin_pts: int = start if start is not None else 0

    def _decoded_frames(self) -> Iterator[av.VideoFrame]:
        """Every decoded frame in presentation order; raises _DamagedError after flushing the decoder on damage."""
        damage: str | None = None
        try:
            for packet in self._container.demux(self._stream):
                if packet.is_corrupt:
                    damage = "a damaged or cut-off sample"
                    break
                yield from packet.decode()  # the final empty packet flushes the decoder
        except av.error.FFmpegError as exc:
            damage = _short(exc)
        if damage is None:
            return
        with contextlib.suppress(av.error.FFmpegError):  # deliver what the decoder still holds (frame threads
            yield from self._stream.codec_context.decode(None)  # keep a few frames in flight)
        raise _DamagedError(damage)

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        period_s = 1.0 / self.fps
        last_ms = -1
        prev_s: float | None = None
        first_s = 0.0
        try:
            while True:
                # Under the lock: close() may come from another thread (a live feed's reader thread decodes).
                with self._lock:
                    if self._closed:
                        return
                    if self._first is not None:
                        frame, self._first = self._first, None
                    else:
                        frame = next(self._frames, None)
                    if frame is None:
                        self.finished = True
                        return
                    if frame.pts is None:
                        t_s = prev_s + period_s if prev_s is not None else 0.0
                    else:
                        t_s = (frame.pts - self._origin_pts) * self._tb_s
                    ms = round(t_s * 1000)
                    if ms <= last_ms:  # same millisecond, or backwards: nudged (module docstring)
                        ms = last_ms + 1
                    if self.frames_decoded == 0:
                        first_s = t_s
                    last_ms, prev_s = ms, t_s
                    self.frames_decoded += 1
                    self.end_s = max(t_s + self._frame_duration_s(frame, t_s - first_s), ms / 1000.0)
                    image = self._image(frame) if self.images else NO_IMAGE
                yield image, ms
        except _DamagedError as exc:
            # The first frame was decoded on opening, so at least one frame came before the damage.
            stated = f" of the {self.frames_stated} it lists" if self.frames_stated > self.frames_decoded else ""
            raise InputError(f"{self.path}: video is truncated or damaged: decoding stopped after "
                             f"{self.frames_decoded} frames{stated} ({last_ms / 1000:.2f} s; {exc.reason})") from exc

    def _frame_duration_s(self, frame: av.VideoFrame, span_s: float) -> float:
        """How long ``frame`` is shown: its own duration, else the mean period so far, else the stated one."""
        if frame.duration:
            return frame.duration * self._tb_s
        if self.frames_decoded > 1 and span_s > 0:
            return span_s / (self.frames_decoded - 1)
        return 1.0 / self.fps

    def _image(self, frame: av.VideoFrame) -> np.ndarray:
        """(height, width, 3) uint8 BGR, upright, at the first frame's size."""
        if self._hdr:
            graph = self._sdr_graph(frame)
            graph.push(frame)
            image = graph.pull().to_ndarray()
        elif (frame.width, frame.height) != self._coded_wh:
            w, h = self._coded_wh
            if not self._resized:
                log.warning("%s: frames change size from %dx%d to %dx%d; scaled back to the first size", self.path,
                            w, h, frame.width, frame.height)
                self._resized = True
            image = frame.to_ndarray(format="bgr24", width=w, height=h, threads=_SWS_THREADS)
        else:
            image = frame.to_ndarray(format="bgr24", threads=_SWS_THREADS)
        if self._quarter_turns:
            return cv2.rotate(image, _ROTATE[self._quarter_turns])
        return image

    def _sdr_graph(self, frame: av.VideoFrame) -> av.filter.Graph:
        """A filter graph turning frames of this size and pixel format into SDR BT.709 BGR at the first size."""
        key = (frame.width, frame.height, frame.format.name)
        if key not in self._to_sdr:
            graph = av.filter.Graph()
            w, h = self._coded_wh
            chain = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                      time_base=self._stream.time_base or Fraction(1, 1000)),
                     graph.add("scale", _TO_SDR.format(w=w, h=h)), graph.add("format", "bgr24"),
                     graph.add("buffersink")]
            for a, b in itertools.pairwise(chain):
                a.link_to(b)
            graph.configure()
            self._to_sdr[key] = graph
        return self._to_sdr[key]

    def close(self) -> None:
        """Release the file. Safe from another thread than the one iterating (it waits for the frame in hand)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._frames.close()
                self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stated_fps(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate:
            fps = float(rate)
            if np.isfinite(fps) and 0 < fps < MAX_FPS:
                return fps
    return DEFAULT_FPS


def _short(exc: BaseException) -> str:
    """FFmpeg's message without errno and function name: 'Invalid data found when processing input'."""
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())


class H264Writer:
    """Writes BGR frames to an MP4 that browsers play: H.264 (libx264), yuv420p, index first (+faststart).

    ``size_wh`` is the frames' (width, height) in pixels; ``fps`` the nominal rate, a hint for the encoder
    and the file's stated rate: each frame is written at the ``timestamp_ms`` it is given (the source
    frame's), so the output keeps a variable-frame-rate source's timing, to the millisecond. yuv420p needs
    an even width and height: an odd one is padded by one pixel, a copy of the last row or column, so no
    pixel of the source is lost and no dark line appears. Use as a context manager; on an exception inside
    the block the file is closed without finishing the encode (it is a temporary file being thrown away).
    """

    #: libx264 settings. CRF 23 is x264's default quality, plenty for an annotated check video. The preset
    #: trades time for bytes; measured on 1080p footage against OpenCV's MPEG-4 writer used before (7-8 ms a
    #: frame on two busy cores): "ultrafast" 1.4x its time and as many bytes, "superfast" 2x and 60 % of the
    #: bytes, "veryfast" 3x and 30 %. superfast: half the file for a few ms a frame.
    PRESET = "superfast"
    CRF = 23

    def __init__(self, path: str | Path, size_wh: tuple[int, int], fps: float = DEFAULT_FPS) -> None:
        self.path = Path(path)
        width, height = size_wh
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        self.size_wh = (width, height)
        self._pad_wh = (width % 2, height % 2)
        self._last_ms = -1
        self.frames_written = 0
        try:
            self._container = av.open(str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"})
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write video {self.path}: {_short(exc)}") from exc
        try:
            rate = Fraction(fps).limit_denominator(1001) if np.isfinite(fps) and 0 < fps <= MAX_FPS else \
                Fraction(int(DEFAULT_FPS))
            stream = self._stream = self._container.add_stream("libx264", rate=rate)
            stream.width, stream.height = width + self._pad_wh[0], height + self._pad_wh[1]
            stream.pix_fmt = "yuv420p"
            # Millisecond time base: frames are placed at their source timestamps, not at n / fps.
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
            stream.options = {"preset": self.PRESET, "crf": str(self.CRF)}
            # BT.709, limited range, said in the stream: players guess differently for untagged video (BT.601
            # for small frames, BT.709 for HD), and would shift the colours of one or the other.
            cc = stream.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 1, 1, 1, 1
        except (av.error.FFmpegError, OSError) as exc:
            self._container.close()
            raise OutputError(f"cannot write video {self.path}: {_short(exc)}") from exc

    def write(self, image: np.ndarray, timestamp_ms: int) -> None:
        """Add one frame: ``image`` (height, width, 3) uint8 BGR of ``size_wh``, shown from ``timestamp_ms``."""
        if image.shape[:2] != (self.size_wh[1], self.size_wh[0]):
            raise ValueError(f"frame is {image.shape[1]}x{image.shape[0]}, the video {self.size_wh[0]}x"
                             f"{self.size_wh[1]}")
        if timestamp_ms <= self._last_ms:
            raise ValueError(f"timestamps must strictly increase: {timestamp_ms} ms after {self._last_ms} ms")
        if any(self._pad_wh):
            image = cv2.copyMakeBorder(image, 0, self._pad_wh[1], 0, self._pad_wh[0], cv2.BORDER_REPLICATE)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", threads=_SWS_THREADS)
        frame.pts = int(timestamp_ms)
        frame.time_base = Fraction(1, 1000)
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write video {self.path}: {_short(exc)}") from exc
        self._last_ms = timestamp_ms
        self.frames_written += 1

    def close(self, finish: bool = True) -> None:
        """Flush the encoder (when ``finish``) and write the index; the file is complete after this."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            if finish:
                container.mux(self._stream.encode(None))
        except (av.error.FFmpegError, OSError) as exc:
            container.close()
            raise OutputError(f"cannot write video {self.path}: {_short(exc)}") from exc
        try:
            container.close()
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write video {self.path}: {_short(exc)}") from exc

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(finish=exc_type is None)


__all__ = ["DEFAULT_FPS", "H264Writer", "VideoReader"]
