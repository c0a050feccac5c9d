"""Time → angles: the rep schedule of a :class:`MotionScript` and the body's angles at any instant.

Pure functions of the script and the time; no pixels. :func:`angles_at` is what the renderer poses the
mannequin with, so it is also the exact truth to compare a pose estimator against.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from posecount.synth.script import PROGRAMME_EXERCISES, MotionScript, Rep, RepSide, Sway

#: Periods of the slow body sway (s); incommensurate so the motion never looks mechanical.
_SWAY_PERIOD_S = 4.7
_TRUNK_WOBBLE_PERIOD_S = 3.9
#: Seconds per wobble cycle during a hold.
_HOLD_WOBBLE_PERIOD_S = 1.3
#: A hold's sway and tremor fade in and out over this long (or a quarter of a shorter hold), so the angle
#: and its speed stay continuous where the hold meets the rise and the lowering.
SWAY_FADE_S = 0.3


@dataclass(frozen=True)
class RepTiming:
    """Exact times of one rep (s from the first frame): start → peak (hold begins) → hold_end → end."""

    index: int
    side: RepSide
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


def min_jerk(u: float) -> float:
    """Minimum-jerk position profile 10u³ − 15u⁴ + 6u⁵ from 0 to 1 over u in [0, 1] (clamped).

    Flash & Hogan (1985): the smoothest point-to-point movement, how unhurried human reaches look; speed,
    acceleration are zero at both ends, the peak speed is 1.875 times the mean.
    """
    u = min(max(u, 0.0), 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


EASINGS: dict[str, Callable[[float], float]] = {"cosine": ease, "min-jerk": min_jerk}


def ease_fn(name: str) -> Callable[[float], float]:
    """The easing called ``name`` (``cosine`` or ``min-jerk``)."""
    try:
        return EASINGS[name]
    except KeyError:
        raise ValueError(f"unknown ease {name!r}; known: {', '.join(EASINGS)}") from None


def ease_inverse(fn: Callable[[float], float], level: float) -> float:
    """The fraction of a movement's time at which the easing ``fn`` reaches ``level`` (0..1), by bisection."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fn(mid) < level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def oscillation_deg(t_s: float, sways: Sequence[Sway]) -> float:
    """The sum of the sinusoids ``sways`` at ``t_s`` seconds after they start (degrees)."""
    return sum(sw.amplitude_deg * math.sin(2.0 * math.pi * sw.frequency_hz * t_s + math.radians(sw.phase_deg))
               for sw in sways)


def sway_envelope(t_s: float, hold_s: float) -> float:
    """0 → 1 → 0 over a hold: a minimum-jerk fade of ``SWAY_FADE_S`` (at most a quarter of the hold) at each end."""
    fade = min(SWAY_FADE_S, hold_s / 4.0)
    if fade <= 0:
        return 0.0
    return min_jerk(t_s / fade) * min_jerk((hold_s - t_s) / fade)


def hold_offset_deg(rep: Rep, t_s: float) -> float:
    """What a rep's sag and sway add to its peak angle ``t_s`` seconds into the hold (degrees, 0 at the start)."""
    out = -rep.sag_deg_s * t_s
    if rep.sway:
        out += sway_envelope(t_s, rep.hold_s) * oscillation_deg(t_s, rep.sway)
    return out


@dataclass(frozen=True)
class RepPhase:
    """Where the active rep is at one instant: ``progress`` 0 (rest) .. 1 (peak); ``wobble_deg`` ≤ 0;
    ``offset_deg``: what sag and sway add to the driving angle (0 unless the rep asks for them)."""

    timing: RepTiming | None
    progress: float
    wobble_deg: float
    phase: str  # "rest", "rise", "hold", "lower"
    offset_deg: float = 0.0


def rep_phase_at(script: MotionScript, t_s: float, timings: list[RepTiming] | None = None) -> RepPhase:
    fn = ease_fn(script.ease)
    for tm in timings if timings is not None else rep_timings(script):
        if t_s < tm.start_s:
            break
        if t_s >= tm.end_s:
            continue
        rep = tm.rep
        if t_s < tm.peak_s:
            return RepPhase(tm, fn((t_s - tm.start_s) / rep.rise_s), 0.0, "rise")
        if t_s < tm.hold_end_s:
            u = (t_s - tm.peak_s) / rep.hold_s
            cycles = max(1, round(rep.hold_s / _HOLD_WOBBLE_PERIOD_S))
            wobble = -script.hold_wobble_deg * math.sin(math.pi * cycles * u) ** 2
            offset = hold_offset_deg(rep, t_s - tm.peak_s) if (rep.sway or rep.sag_deg_s) else 0.0
            return RepPhase(tm, 1.0, wobble, "hold", offset)
        down = fn((t_s - tm.hold_end_s) / rep.lower_s)
        # a sagged hold is lowered from where it ended: the sag's deficit shrinks with the lowering
        offset = -rep.sag_deg_s * rep.hold_s * (1.0 - down) if rep.sag_deg_s else 0.0
        return RepPhase(tm, 1.0 - down, 0.0, "lower", offset)
    return RepPhase(None, 0.0, 0.0, "rest")


def rep_drive_deg(script: MotionScript, rep: Rep, t_s: float) -> float:
    """The working leg's driving angle ``t_s`` seconds after ``rep`` starts (alone: no rep before or after)."""
    rest = script.stance_deg if script.exercise == "side-leg-raise" else script.rest_knee_deg
    single = RepTiming(1, rep.side, 0.0, rep.rise_s, rep.rise_s + rep.hold_s,
                       rep.rise_s + rep.hold_s + rep.lower_s, rep.rise_s + rep.hold_s + rep.lower_s + rep.rest_s, rep)
    ph = rep_phase_at(script, t_s, [single])
    if ph.timing is None:
        return rest
    return rest + (rep.peak_deg - rest) * ph.progress + ph.wobble_deg + ph.offset_deg


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

    The exercises of issue 9 and the balance test: :func:`posecount.synth.moves.programme_angles_at`.
    """
    if not script.person_present:
        return {}
    if script.exercise in PROGRAMME_EXERCISES:
        from posecount.synth.moves import programme_angles_at

        return programme_angles_at(script, t_s)
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
                if ph.offset_deg:
                    abd += ph.offset_deg
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
                if ph.offset_deg:
                    knee += ph.offset_deg
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
