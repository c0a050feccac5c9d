"""Time → angles: the rep schedule of a :class:`MotionScript` and the body's angles at any instant.

Pure functions of the script and the time; no pixels. :func:`angles_at` is what the renderer poses the
mannequin with, so it is also the exact truth to compare a pose estimator against.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from posecount.synth.script import MotionScript, Rep, SideName

#: Periods of the slow body sway (s); incommensurate so the motion never looks mechanical.
_SWAY_PERIOD_S = 4.7
_TRUNK_WOBBLE_PERIOD_S = 3.9
#: Seconds per wobble cycle during a hold.
_HOLD_WOBBLE_PERIOD_S = 1.3


@dataclass(frozen=True)
class RepTiming:
    """Exact times of one rep (s from the first frame): start → peak (hold begins) → hold_end → end."""

    index: int
    side: SideName
    start_s: float
    peak_s: float
    hold_end_s: float
    end_s: float
    rest_end_s: float
    rep: Rep

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.peak_s


def rep_timings(script: MotionScript) -> list[RepTiming]:
    out: list[RepTiming] = []
    t = script.initial_rest_s
    for i, rep in enumerate(script.reps, 1):
        start = t
        peak = start + rep.rise_s
        hold_end = peak + rep.hold_s
        end = hold_end + rep.lower_s
        out.append(RepTiming(i, rep.side, start, peak, hold_end, end, end + rep.rest_s, rep))
        t = end + rep.rest_s
    return out


def ease(u: float) -> float:
    """Cosine ease-in-out from 0 to 1 over u in [0, 1] (clamped)."""
    u = min(max(u, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * u)


@dataclass(frozen=True)
class RepPhase:
    """Where the active rep is at one instant: ``progress`` 0 (rest) .. 1 (peak); ``wobble_deg`` ≤ 0."""

    timing: RepTiming | None
    progress: float
    wobble_deg: float
    phase: str  # "rest", "rise", "hold", "lower"


def rep_phase_at(script: MotionScript, t_s: float, timings: list[RepTiming] | None = None) -> RepPhase:
    for tm in timings if timings is not None else rep_timings(script):
        if t_s < tm.start_s:
            break
        if t_s >= tm.end_s:
            continue
        if t_s < tm.peak_s:
            return RepPhase(tm, ease((t_s - tm.start_s) / tm.rep.rise_s), 0.0, "rise")
        if t_s < tm.hold_end_s:
            u = (t_s - tm.peak_s) / tm.rep.hold_s
            cycles = max(1, round(tm.rep.hold_s / _HOLD_WOBBLE_PERIOD_S))
            wobble = -script.hold_wobble_deg * math.sin(math.pi * cycles * u) ** 2
            return RepPhase(tm, 1.0, wobble, "hold")
        return RepPhase(tm, 1.0 - ease((t_s - tm.hold_end_s) / tm.rep.lower_s), 0.0, "lower")
    return RepPhase(None, 0.0, 0.0, "rest")


def _phases(seed: int) -> tuple[float, float]:
    rng = random.Random(seed * 7919 + 17)
    return rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)


def body_sway_px(script: MotionScript, t_s: float) -> float:
    """Slow sideways (front view) sway of the whole body in pixels."""
    ph, _ = _phases(script.seed)
    return script.sway_px * math.sin(2 * math.pi * t_s / _SWAY_PERIOD_S + ph)


def trunk_wobble_deg(script: MotionScript, t_s: float) -> float:
    """Small natural wobble of the trunk, the angle a sway of ``sway_px`` at shoulder height makes."""
    _, ph = _phases(script.seed)
    trunk_px = 0.29 * script.look.height_px
    amp_deg = math.degrees(math.atan2(script.sway_px, trunk_px)) if trunk_px > 0 else 0.0
    return amp_deg * math.sin(2 * math.pi * t_s / _TRUNK_WOBBLE_PERIOD_S + ph)


def angles_at(script: MotionScript, t_s: float) -> dict[str, float]:
    """The body's angles at ``t_s`` (degrees). Keys (``left_``/``right_`` = the person's own sides):

    ``{side}_drive_deg``: the exercise's driving angle (abduction, or the knee angle when seated);
    ``{side}_abduction_deg`` (side-leg-raise): hip→ankle line from vertical, outward positive;
    ``{side}_knee_deg``: interior hip–knee–ankle angle (180 = straight); ``{side}_knee_flexion_deg`` = 180 − it;
    ``{side}_ankle_plantarflex_deg``: heel→toe line from perpendicular to the shank, toes away positive;
    ``trunk_lean_deg``: mid-hip→mid-shoulder line from vertical; side-leg-raise: unsigned, with
    ``trunk_lean_left_deg`` signed (toward the person's left positive); seated: signed, leaning back positive.
    ``sway_px``: the body's sideways offset (front view). Empty when nobody is in the clip.
    """
    if not script.person_present:
        return {}
    ph = rep_phase_at(script, t_s)
    tm, e = ph.timing, ph.progress
    rep = tm.rep if tm else None
    wobble_trunk = trunk_wobble_deg(script, t_s)
    out: dict[str, float] = {}
    if script.exercise == "side-leg-raise":
        for side in ("left", "right"):
            working = rep is not None and rep.side == side
            abd = script.stance_deg
            flex = 0.0
            if working and rep is not None:
                abd = script.stance_deg + (rep.peak_deg - script.stance_deg) * e + ph.wobble_deg
                flex = rep.knee_bend_deg * e
            out[f"{side}_drive_deg"] = abd
            out[f"{side}_abduction_deg"] = abd
            out[f"{side}_knee_deg"] = 180.0 - flex
            out[f"{side}_knee_flexion_deg"] = flex
            out[f"{side}_ankle_plantarflex_deg"] = 0.0
        lean = (rep.trunk_lean_deg or 0.0) * e if rep is not None else 0.0
        # toward the standing leg: working left → lean toward the person's right (negative)
        toward_left = -lean if rep is not None and rep.side == "left" else lean
        signed = toward_left + wobble_trunk
        out["trunk_lean_left_deg"] = signed
        out["trunk_lean_deg"] = abs(signed)
        out["sway_px"] = body_sway_px(script, t_s)
    else:
        for side in ("left", "right"):
            working = rep is not None and rep.side == side
            knee = script.rest_knee_deg
            ankle = 0.0
            if working and rep is not None:
                knee = script.rest_knee_deg + (rep.peak_deg - script.rest_knee_deg) * e + ph.wobble_deg
                ankle = rep.ankle_plantarflex_deg * e
            out[f"{side}_drive_deg"] = knee
            out[f"{side}_knee_deg"] = knee
            out[f"{side}_knee_flexion_deg"] = 180.0 - knee
            out[f"{side}_ankle_plantarflex_deg"] = ankle
        trunk = script.rest_trunk_deg
        if rep is not None and rep.trunk_lean_deg is not None:
            trunk = script.rest_trunk_deg + (rep.trunk_lean_deg - script.rest_trunk_deg) * e
        out["trunk_lean_deg"] = trunk + wobble_trunk
        out["sway_px"] = 0.0
    return out
