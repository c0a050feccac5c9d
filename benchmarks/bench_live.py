"""How the live loop keeps up: displayed fps, capture-to-display latency and queueing on a paced source.

Plays a clip in real time through the whole live path (LatestFrame → MediaPipe → Session → overlay → a
real OpenCV window) and prints the figures. Goal on a 2-core laptop: >= 25 fps displayed from a 30 fps
source, and at most one frame of queueing (a frame waits at most one frame period before it is picked up).

    python benchmarks/bench_live.py                       # samples/slr_clean_alternating.mp4 (30 fps)
    python benchmarks/bench_live.py --seconds 20 --xvfb   # start a private Xvfb when there is no display
    python benchmarks/bench_live.py --headless            # no window: the model and the session only

Latency is from the moment the capture thread received a frame to the moment the window had been given
it and processed its events (imshow + waitKey returned). Stage timings wrap the real functions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import posecount.live.screen as live_module  # noqa: E402  (where draw_overlay is looked up)
from posecount.display import NullWindow, OpenCVWindow  # noqa: E402
from posecount.exercises import get_exercise  # noqa: E402
from posecount.live import ArrivalStamps, LiveLoop  # noqa: E402
from posecount.models import ensure_model  # noqa: E402
from posecount.pose import PoseEstimator, PoseOptions  # noqa: E402
from posecount.sources import LatestFrame, PacedSource, VideoFileSource  # noqa: E402


class Timed:
    """Wraps a callable and keeps its durations in ms."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.ms: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.ms.append((time.perf_counter() - t) * 1000.0)


class TimedWindow:
    """A window whose show/poll_key are timed; closes itself after ``seconds``."""

    def __init__(self, inner: OpenCVWindow | NullWindow, seconds: float | None) -> None:
        self.inner = inner
        self.show_ms: list[float] = []
        self.poll_ms: list[float] = []
        self.deadline = time.monotonic() + seconds if seconds else None

    def show(self, image: np.ndarray) -> None:
        t = time.perf_counter()
        self.inner.show(image)
        self.show_ms.append((time.perf_counter() - t) * 1000.0)

    def poll_key(self, wait_ms: int = 1) -> int | None:
        t = time.perf_counter()
        key = self.inner.poll_key(wait_ms)
        self.poll_ms.append((time.perf_counter() - t) * 1000.0)
        return key

    def is_open(self) -> bool:
        return self.inner.is_open() and (self.deadline is None or time.monotonic() < self.deadline)

    def close(self) -> None:
        self.inner.close()


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("Xvfb")
    if binary is None:
        sys.exit("Xvfb is not installed (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    command = [binary, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nocursor", "-nolisten", "tcp"]
    proc = subprocess.Popen(command, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        return proc, ":" + fh.readline().strip()


def pct(values: list[float] | Any, q: float) -> float:
    values = list(values)
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=ROOT / "samples" / "slr_clean_alternating.mp4")
    ap.add_argument("--exercise", default="side-leg-raise")
    ap.add_argument("--seconds", type=float, default=None, help="stop after this long (default: the whole clip)")
    ap.add_argument("--model", default="full", choices=["lite", "full", "heavy"])
    ap.add_argument("--headless", action="store_true", help="no window")
    ap.add_argument("--xvfb", action="store_true", help="run the window on a private Xvfb server")
    args = ap.parse_args()

    xvfb = None
    if args.xvfb and not args.headless:
        xvfb, display = start_xvfb()
        os.environ["DISPLAY"] = display
    try:
        run(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


def run(args: argparse.Namespace) -> None:
    draw = Timed(live_module.draw_overlay)
    live_module.draw_overlay = draw  # type: ignore[assignment]
    options = PoseOptions(model_path=ensure_model(args.model, progress=False))  # type: ignore[arg-type]
    file = VideoFileSource(args.source)
    info = file.info
    arrivals = ArrivalStamps(PacedSource(file))
    window = TimedWindow(NullWindow() if args.headless else OpenCVWindow(), args.seconds)
    with PoseEstimator(options) as estimator:
        estimate = Timed(estimator.estimate)
        feed = LatestFrame(arrivals)
        try:
            loop = LiveLoop(get_exercise(args.exercise), feed, estimate, window, None, source_label=str(args.source),
                            mirror=True, arrivals=arrivals, draw=not args.headless)
            result = loop.run()
        finally:
            feed.close()
            window.close()
    st = result.stats
    period_ms = 1000.0 / info.fps
    steady = list(st.latency_ms)[30:]  # after the first second (model warm-up, window creation)
    print(f"source            {args.source.name}: {info.width}x{info.height} @ {info.fps:g} fps, paced in real time")
    print(f"machine           {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; model {args.model}; "
          f"{'headless' if args.headless else 'OpenCV window on ' + os.environ.get('DISPLAY', '?')}")
    print(f"ran               {st.elapsed_s:.1f} s, ended: {result.end_reason}")
    print(f"displayed         {st.display_fps:.1f} fps  ({st.frames_shown} of {st.frames_captured} frames; "
          f"{st.frames_skipped} skipped = {100 * st.frames_skipped / max(1, st.frames_captured):.1f}%)")
    print(f"capture→display   p50 {pct(steady, 50):.1f} ms, p95 {pct(steady, 95):.1f} ms, "
          f"max {max(steady, default=0):.1f} ms")
    waits = list(st.wait_ms)[30:]
    print(f"queueing          the frame picked up is always the newest (LatestFrame buffers 1); its wait since "
          f"capture p50 {pct(waits, 50):.1f} ms, p95 {pct(waits, 95):.1f} ms "
          f"({pct(waits, 95) / period_ms:.2f} frame periods)")
    print(f"longest gap       {st.max_gap_ms:.0f} ms of source time between two processed frames")
    print(f"stages (p50/p95)  model {pct(estimate.ms, 50):.1f}/{pct(estimate.ms, 95):.1f} ms, "
          f"overlay {pct(draw.ms, 50):.1f}/{pct(draw.ms, 95):.1f} ms, "
          f"imshow {pct(window.show_ms, 50):.1f}/{pct(window.show_ms, 95):.1f} ms, "
          f"waitKey {pct(window.poll_ms, 50):.1f}/{pct(window.poll_ms, 95):.1f} ms")
    print(f"counts            {result.report.counts}")


if __name__ == "__main__":
    main()
