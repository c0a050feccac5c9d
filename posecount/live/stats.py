"""How the loop kept up: frames captured, processed, shown and skipped, latency and model timings
(:class:`LiveStats`), when each frame arrived (:class:`ArrivalStamps`), the fps on screen (:class:`DisplayRate`),
and the report's warnings when the computer or the camera did not keep up (:func:`keep_up_warnings`)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from posecount.sources import CameraSource, Frame, PacedSource, VideoFileSource

#: Frames skipped (the model was still busy when a newer one came) above this fraction earn a warning.
SKIPPED_WARN_FRACTION = 0.10
#: A camera delivering less than this fraction of the fps it reports earns a warning.
CAMERA_SLOW_FRACTION = 0.7
#: Measured fps is averaged over this many displayed frames.
FPS_WINDOW_FRAMES = 30
#: Latency and timing figures cover at most this many recent frames (5 min at 30 fps).
STATS_FRAMES = 9000


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


class DisplayRate:
    """The fps on screen: frames shown per second over the last ``FPS_WINDOW_FRAMES`` shown."""

    def __init__(self) -> None:
        self._shown_at: deque[float] = deque(maxlen=FPS_WINDOW_FRAMES)

    def shown(self, at: float) -> None:
        self._shown_at.append(at)

    def fps(self) -> float | None:
        if len(self._shown_at) < 2:
            return None
        span = self._shown_at[-1] - self._shown_at[0]
        return (len(self._shown_at) - 1) / span if span > 0 else None


def keep_up_warnings(stats: LiveStats, source_label: str, source_fps: float) -> list[str]:
    """The report's warnings when the computer skipped many frames, or the camera delivered fewer than it said
    (``source_fps``: what the source reported)."""
    warnings: list[str] = []
    captured, skipped = stats.frames_captured, stats.frames_skipped
    if captured and skipped > SKIPPED_WARN_FRACTION * captured:
        warnings.append(f"the computer could not keep up: {skipped} of {captured} frames "
                        f"({100 * skipped / captured:.0f}%) were skipped; counts may differ from analyze")
    if source_label.startswith("camera:") and stats.elapsed_s > 5 and source_fps > 0:
        measured = captured / stats.elapsed_s
        if measured < CAMERA_SLOW_FRACTION * source_fps:
            warnings.append(f"the camera delivered {measured:.1f} fps, not the {source_fps:.0f} fps "
                            "it reported")
    return warnings
