"""Synthetic angle streams for engine tests: rest, rise, hold, lower, like a leg would move."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from posecount.exercises.engine import FeatureFrame, RepCounter, RepRecord
from posecount.exercises.spec import ExerciseSpec, Side


@dataclass(frozen=True)
class Move:
    side: Side
    peak_deg: float
    rise_s: float = 1.5
    hold_s: float = 3.0
    lower_s: float = 2.0
    rest_s: float = 2.0


def min_jerk(x: float) -> float:
    """The share of the way covered at ``x`` of a minimum-jerk movement (Flash & Hogan 1985)."""
    x = min(max(x, 0.0), 1.0)
    return 10 * x**3 - 15 * x**4 + 6 * x**5


def profile(moves: list[Move], rest_deg: float, fps: float = 30.0, lead_s: float = 2.0
            ) -> Iterator[tuple[float, dict[Side, float]]]:
    """(t_s, angle per side); lifts and lowerings follow a minimum-jerk profile (smooth human movement)."""
    t = 0.0
    dt = 1.0 / fps
    segments: list[tuple[float, float, Move | None]] = [(0.0, lead_s, None)]
    start = lead_s
    for m in moves:
        end = start + m.rise_s + m.hold_s + m.lower_s + m.rest_s
        segments.append((start, end, m))
        start = end
    total = start
    while t < total:
        angles: dict[Side, float] = {"left": rest_deg, "right": rest_deg}
        for s0, s1, m in segments:
            if m is None or not s0 <= t < s1:
                continue
            u = t - s0
            amp = m.peak_deg - rest_deg
            if u < m.rise_s:
                a = rest_deg + amp * min_jerk(u / m.rise_s)
            elif u < m.rise_s + m.hold_s:
                a = m.peak_deg
            elif u < m.rise_s + m.hold_s + m.lower_s:
                v = u - m.rise_s - m.hold_s
                a = m.peak_deg - amp * min_jerk(v / m.lower_s)
            else:
                a = rest_deg
            angles[m.side] = a
        yield t, angles
        t += dt


def frames(spec: ExerciseSpec, stream: Iterator[tuple[float, dict[Side, float]]],
           body: dict[str, float] | None = None, side_extra: dict[str, float] | None = None
           ) -> Iterator[FeatureFrame]:
    for t, angles in stream:
        sides = {s: {spec.drive.feature: a, **(side_extra or {})} for s, a in angles.items()}
        yield FeatureFrame(round(t * 1000), sides, dict(body or {}))


def lift(hold_s: float, *, rise_s: float, lower_s: float, peak_deg: float, rest_deg: float, sway_deg: float = 0.0,
         sway_hz: float = 0.5, sag_deg_s: float = 0.0, t0_s: float = 0.0) -> Callable[[float], float]:
    """One lift as a function of time: rest until ``t0_s``, a minimum-jerk rise to ``peak_deg``, a plateau of
    ``hold_s`` (sway or tremor of ``sway_deg`` at ``sway_hz``, sagging ``sag_deg_s``), a minimum-jerk lowering
    from where the hold ended back to rest."""

    def angle(t: float) -> float:
        if t < t0_s:
            return rest_deg
        if t < t0_s + rise_s:
            return rest_deg + (peak_deg - rest_deg) * min_jerk((t - t0_s) / rise_s)
        th = t - t0_s - rise_s
        if th < hold_s:
            return peak_deg + sway_deg * math.sin(2 * math.pi * sway_hz * th) - sag_deg_s * th
        top = peak_deg - sag_deg_s * hold_s
        return top - (top - rest_deg) * min_jerk((th - hold_s) / lower_s)

    return angle


def sampled(angles: Callable[[float], dict[Side, float]], duration_s: float, fps: float = 30.0
            ) -> Iterator[tuple[float, dict[Side, float]]]:
    """(t_s, angle per side) every frame of ``duration_s`` at ``fps``."""
    for k in range(int(duration_s * fps)):
        yield k / fps, angles(k / fps)


def count(spec: ExerciseSpec, stream: Iterable[FeatureFrame]) -> list[RepRecord]:
    """Every attempt the engine closes on ``stream``, finished at its last frame."""
    counter = RepCounter(spec)
    last = 0
    for frame in stream:
        counter.update(frame)
        last = frame.timestamp_ms
    counter.finish(last)
    return counter.reps
