"""Time → angles for the exercises of issue 9 and the 4-stage balance test's stances.

Pure functions of the script and the time, no pixels (:mod:`posecount.synth.poses` turns them into joints).
Every rep keeps :class:`~posecount.synth.script.Rep`'s schedule (rise, hold, lower, rest), the script's ease
(minimum jerk in every committed clip), the hold's wobble, sway, tremor and sag, exactly as
:mod:`posecount.synth.motion` draws the first two exercises. The driving angle ``Rep.peak_deg`` names:

========================= ======================================================= ======================
exercise                  driving angle                                           at rest
========================= ======================================================= ======================
sit-to-stand              the knee angle (interior, 180 = straight), whole body   ``rest_knee_deg`` ~90
standing-calf-raise       ankle plantarflexion: the foot's tilt up from the       0 (feet flat)
                          floor, pivoting on the ball of the foot, whole body
mini-squat                knee flexion (180 − the knee angle), whole body         0 (standing)
standing-march            hip flexion: the thigh forward from vertical, per leg   0
standing-hamstring-curl   knee flexion of the near leg                            0
========================= ======================================================= ======================

**Sit-to-stand** follows one path from seated (``u`` = 0) to standing straight (``u`` = 1), as the
sit-to-stand literature describes it (Schenkman et al. 1990: flexion momentum, momentum transfer,
extension): the trunk leans forward first while the hips stay on the seat (``u`` < ``STS_SEAT_OFF_U``),
the hips leave the seat with the shanks tilting forward (the knees over the feet) and the trunk at its most
forward just after, then hips and knees extend and the trunk comes upright. A rep's top ``peak_deg`` is the
knee angle it reaches, so a partial rise stops part way along the path (trunk still forward, hips in the
air) and sitting down retraces it. The feet stay flat where they are.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from posecount.synth.motion import RepPhase, ease_fn, min_jerk, rep_phase_at, trunk_wobble_deg
from posecount.synth.script import (
    BALANCE_STANCE_S,
    RELEASE_S,
    STEP_OUT_S,
    MotionScript,
    Rep,
    Stance,
)

# -- sit-to-stand ---------------------------------------------------------------------------------------------
#: Path position at which the hips leave the seat: before it only the trunk moves.
STS_SEAT_OFF_U = 0.2
#: Path position of the trunk's greatest forward lean (just after seat-off).
STS_LEAN_PEAK_U = 0.32
#: The shanks' greatest forward tilt (ankle dorsiflexion, the knees moving over the feet), early in the rise.
STS_SHANK_TILT_DEG = 15.0
#: The trunk's greatest forward lean when the rep does not say (``Rep.trunk_lean_deg``); 30-45° is typical.
STS_TRUNK_LEAN_DEG = 38.0
#: Push-off: the hands are on the seat from the start until this far through the hips' rise (0..1), then
#: they go back to the chest by ``STS_PUSH_END_Q``.
STS_PUSH_HOLD_Q = 0.4
STS_PUSH_END_Q = 0.8
#: ... and they reach the seat by this share of the lean before seat-off.
STS_PUSH_REACH = 0.6

#: mini-squat: the shank's share of the knee flexion when the rep gives no ``shank_tilt_deg``; the thigh
#: takes the rest (hips back), and the trunk leans forward by the same share of the depth.
SQUAT_SHANK_SHARE = 0.35
SQUAT_LEAN_SHARE = 0.4
#: standing-march: the pelvis shifts this far (units of H) over the standing leg at the top.
MARCH_PELVIS_SHIFT_H = 0.018


def _clamp01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _rise_shape(x: float) -> float:
    """0 → 1 over x in [0, 1], starting with zero slope (the hips leave the seat gently), ending at slope 1."""
    x = _clamp01(x)
    return x * x * (2.0 - x)


def _rise_shape_inverse(level: float) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _rise_shape(mid) < level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _hump(q: float) -> float:
    """0 at q = 0 and q = 1, 1 at q = 1/3."""
    q = _clamp01(q)
    return 6.75 * q * (1.0 - q) ** 2


@dataclass(frozen=True)
class SitToStandPose:
    """Where a sit-to-stand is at one instant (angles in degrees).

    ``u``: the path position (0 seated .. 1 standing straight); ``seated``: the hips are on the seat;
    ``trunk_fwd_deg``: the trunk's lean forward from vertical (negative: back); ``push``: 0 arms crossed over the
    chest .. 1 both hands pushing on the seat.
    """

    u: float
    knee_deg: float
    shank_tilt_deg: float
    trunk_fwd_deg: float
    push: float

    @property
    def seated(self) -> bool:
        return self.u <= STS_SEAT_OFF_U


def sts_hip_q(u: float) -> float:
    """How far through the hips' rise the path position ``u`` is (0 on the seat .. 1 standing)."""
    return _clamp01((u - STS_SEAT_OFF_U) / (1.0 - STS_SEAT_OFF_U))


def sts_knee_deg(script: MotionScript, u: float) -> float:
    rest = script.rest_knee_deg
    return rest + (180.0 - rest) * _rise_shape(sts_hip_q(u))


def sts_top_u(script: MotionScript, peak_knee_deg: float) -> float:
    """The path position whose knee angle is ``peak_knee_deg`` (1 for a straight knee or more)."""
    rest = script.rest_knee_deg
    level = (peak_knee_deg - rest) / (180.0 - rest)
    if level >= 1.0:
        return 1.0
    if level <= 0.0:
        return STS_SEAT_OFF_U
    return STS_SEAT_OFF_U + (1.0 - STS_SEAT_OFF_U) * _rise_shape_inverse(level)


def sts_hip_height_h(script: MotionScript, u: float) -> float:
    """The hip joint's height above the ankle at path position ``u``, in units of H (seated: the shank's length;
    standing straight: the leg's)."""
    from posecount.synth.body import PROPORTIONS

    knee = sts_knee_deg(script, u)
    tilt = STS_SHANK_TILT_DEG * _hump(sts_hip_q(u))
    beta = 180.0 - knee - tilt
    return PROPORTIONS.shank * math.cos(math.radians(tilt)) + PROPORTIONS.thigh * math.cos(math.radians(beta))


def sts_hip_fraction(script: MotionScript, u: float) -> float:
    """How far up the hips are at path position ``u``: 0 on the seat .. 1 standing straight (the protocol's
    "halfway to a standing position" is 0.5)."""
    seated, standing = sts_hip_height_h(script, 0.0), sts_hip_height_h(script, 1.0)
    return (sts_hip_height_h(script, u) - seated) / (standing - seated)


def sts_trunk_fwd_deg(script: MotionScript, u: float, lean_max_deg: float) -> float:
    rest = -script.rest_trunk_deg  # rest_trunk_deg leans back
    w_in = min_jerk(u / STS_LEAN_PEAK_U)
    w_out = min_jerk((u - STS_LEAN_PEAK_U) / (1.0 - STS_LEAN_PEAK_U))
    return rest + (lean_max_deg - rest) * w_in - lean_max_deg * w_out


def sts_push(u: float) -> float:
    """The push-off's weight along a rising path: on from the start, hands on the seat until the hips are
    ``STS_PUSH_HOLD_Q`` of the way up, back on the chest by ``STS_PUSH_END_Q``."""
    if u <= STS_SEAT_OFF_U:
        return min_jerk(u / (STS_PUSH_REACH * STS_SEAT_OFF_U))
    q = sts_hip_q(u)
    return 1.0 - min_jerk((q - STS_PUSH_HOLD_Q) / (STS_PUSH_END_Q - STS_PUSH_HOLD_Q))


def sts_pose_at(script: MotionScript, t_s: float, phase: RepPhase | None = None) -> SitToStandPose:
    """The sit-to-stand's pose at ``t_s``."""
    ph = phase if phase is not None else rep_phase_at(script, t_s)
    tm = ph.timing
    if tm is None:
        return SitToStandPose(0.0, sts_knee_deg(script, 0.0), 0.0,
                              sts_trunk_fwd_deg(script, 0.0, STS_TRUNK_LEAN_DEG), 0.0)
    rep = tm.rep
    lean_max = rep.trunk_lean_deg if rep.trunk_lean_deg is not None else STS_TRUNK_LEAN_DEG
    top = sts_top_u(script, rep.peak_deg)
    u = top * ph.progress
    push = 0.0
    if rep.push_off:
        push = sts_push(u) if ph.phase in ("rise", "hold") else sts_push(top) * (u / top if top > 0 else 0.0)
    q = sts_hip_q(u)
    return SitToStandPose(u, sts_knee_deg(script, u), STS_SHANK_TILT_DEG * _hump(q),
                          sts_trunk_fwd_deg(script, u, lean_max), push)


# -- the other exercises ----------------------------------------------------------------------------------------
def _drive(ph: RepPhase, rep: Rep, rest: float) -> float:
    """The working angle: rest → peak by the rep's progress, plus the hold's wobble and its sway, tremor, sag."""
    return rest + (rep.peak_deg - rest) * ph.progress + ph.wobble_deg + ph.offset_deg


def programme_angles_at(script: MotionScript, t_s: float) -> dict[str, float]:
    """The body's angles at ``t_s`` for an exercise of issue 9 (degrees; see :func:`posecount.synth.angles_at`).

    Whole-body exercises give ``both_drive_deg``; per-leg ones ``{side}_drive_deg`` for each leg. Also:
    ``{side}_knee_deg`` (interior), ``{side}_knee_flexion_deg``, ``{side}_hip_flexion_deg`` (the thigh forward
    from vertical), ``{side}_ankle_plantarflex_deg`` (the foot's tilt from the floor: the heel up),
    ``{side}_shank_tilt_deg`` (side views: forward from vertical), ``trunk_lean_deg`` (forward from vertical in
    the side views, positive forward; front views: unsigned, with ``trunk_lean_left_deg`` signed), ``sway_px``,
    ``pelvis_shift_h`` (march: over the standing leg, + toward the person's left), and for a sit-to-stand
    ``sts_u`` (its path position) and ``push`` (0 arms crossed .. 1 pushing on the seat).
    """
    if not script.person_present:
        return {}
    if script.exercise == "four-stage-balance":
        return balance_angles_at(script, t_s)
    ph = rep_phase_at(script, t_s)
    rep = ph.timing.rep if ph.timing else None
    wobble = trunk_wobble_deg(script, t_s)
    out: dict[str, float] = {}
    ex = script.exercise
    if ex == "sit-to-stand":
        pose = sts_pose_at(script, t_s, ph)
        for side in ("left", "right"):
            out[f"{side}_knee_deg"] = pose.knee_deg
            out[f"{side}_knee_flexion_deg"] = 180.0 - pose.knee_deg
            out[f"{side}_shank_tilt_deg"] = pose.shank_tilt_deg
            out[f"{side}_ankle_plantarflex_deg"] = 0.0
        out["both_drive_deg"] = pose.knee_deg
        out["trunk_lean_deg"] = pose.trunk_fwd_deg + wobble
        out["sts_u"] = pose.u
        out["push"] = pose.push
        out["sway_px"] = 0.0
        return out
    if ex == "mini-squat":
        flex = _drive(ph, rep, 0.0) if rep is not None else 0.0
        depth = flex / rep.peak_deg if rep is not None and rep.peak_deg > 0 else 0.0
        shank = (rep.shank_tilt_deg * depth if rep is not None and rep.shank_tilt_deg is not None
                 else SQUAT_SHANK_SHARE * flex)
        lean_top = (rep.trunk_lean_deg if rep is not None and rep.trunk_lean_deg is not None
                    else SQUAT_LEAN_SHARE * (rep.peak_deg if rep is not None else 0.0))
        for side in ("left", "right"):
            out[f"{side}_knee_deg"] = 180.0 - flex
            out[f"{side}_knee_flexion_deg"] = flex
            out[f"{side}_shank_tilt_deg"] = shank
            out[f"{side}_hip_flexion_deg"] = flex - shank
            out[f"{side}_ankle_plantarflex_deg"] = 0.0
        out["both_drive_deg"] = flex
        out["trunk_lean_deg"] = lean_top * depth + wobble
        out["sway_px"] = 0.0
        return out
    if ex == "standing-calf-raise":
        lift = _drive(ph, rep, 0.0) if rep is not None else 0.0
        for side in ("left", "right"):
            out[f"{side}_knee_deg"] = 180.0
            out[f"{side}_knee_flexion_deg"] = 0.0
            out[f"{side}_ankle_plantarflex_deg"] = lift
        out["both_drive_deg"] = lift
        out["trunk_lean_left_deg"] = wobble
        out["trunk_lean_deg"] = abs(wobble)
        out["sway_px"] = _front_sway_px(script, t_s)
        return out
    if ex == "standing-march":
        lean = 0.0
        shift = 0.0
        for side in ("left", "right"):
            working = rep is not None and rep.side == side
            hip = _drive(ph, rep, 0.0) if working and rep is not None else 0.0
            knee = rep.knee_bend_deg * ph.progress if working and rep is not None else 0.0
            out[f"{side}_drive_deg"] = hip
            out[f"{side}_hip_flexion_deg"] = hip
            out[f"{side}_knee_flexion_deg"] = knee
            out[f"{side}_knee_deg"] = 180.0 - knee
            out[f"{side}_ankle_plantarflex_deg"] = 0.0
        if rep is not None:
            toward_left = -1.0 if rep.side == "left" else 1.0  # over the standing leg
            lean = toward_left * (rep.trunk_lean_deg or 0.0) * ph.progress
            shift = toward_left * MARCH_PELVIS_SHIFT_H * ph.progress
        out["trunk_lean_left_deg"] = lean + wobble
        out["trunk_lean_deg"] = abs(lean + wobble)
        out["pelvis_shift_h"] = shift
        out["sway_px"] = _front_sway_px(script, t_s)
        return out
    if ex == "standing-hamstring-curl":
        for side in ("left", "right"):
            working = rep is not None and rep.side == side
            flex = _drive(ph, rep, 0.0) if working and rep is not None else 0.0
            thigh = rep.hip_flex_deg * ph.progress if working and rep is not None else 0.0
            out[f"{side}_drive_deg"] = flex
            out[f"{side}_knee_flexion_deg"] = flex
            out[f"{side}_knee_deg"] = 180.0 - flex
            out[f"{side}_hip_flexion_deg"] = thigh
            out[f"{side}_ankle_plantarflex_deg"] = 0.0
        lean = (rep.trunk_lean_deg or 0.0) * ph.progress if rep is not None else 0.0
        out["trunk_lean_deg"] = lean + wobble
        out["sway_px"] = 0.0
        return out
    raise ValueError(f"not an exercise of issue 9: {ex!r}")


def _front_sway_px(script: MotionScript, t_s: float) -> float:
    from posecount.synth.motion import body_sway_px

    return body_sway_px(script, t_s)


# -- the 4-stage balance test -----------------------------------------------------------------------------------
#: Foot length (heel to toe tip) in units of H: :class:`posecount.synth.body.Proportions` heel_back + toe_forward.
FOOT_H = 0.152
#: Where the far foot stands in each stance: (ahead of the near foot in units of H, its depth: 1 at the far hip's
#: width, 0 on the near foot's line). Semi-tandem: the front foot's instep beside the back foot's big toe (CDC
#: STEADI), about 0.6 of a foot ahead; tandem: the front heel against the back toes, a whole foot ahead.
STANCE_FEET: dict[str, tuple[float, float]] = {
    "relaxed": (-0.07, 1.0), "side_by_side": (0.0, 1.0), "semi_tandem": (0.6 * FOOT_H, 0.6),
    "tandem": (FOOT_H, 0.3), "one_leg": (0.0, 1.0),
}
#: A stepping foot rises this high (units of H) halfway through its step.
STEP_LIFT_H = 0.03
#: A lost stance steps out this far forward (units of H, the back foot past the front one).
STEP_OUT_AHEAD_H = 0.06
#: Before a lost stance ends the sway grows over this long, to this multiple of its amplitude.
LOSING_S = 1.5
LOSING_GAIN = 3.0
#: One leg: the lifted leg's thigh forward from vertical and its knee flexion.
ONE_LEG_HIP_DEG = 15.0
ONE_LEG_KNEE_DEG = 80.0


@dataclass(frozen=True)
class StanceTiming:
    """One stance's exact times (s from the first frame): the move into it starts at ``move_start_s``; it is taken
    at ``start_s`` and left at ``end_s`` (a step out, or the move to the next stance); ``held_s`` is what the
    protocol times: ``end_s - start_s`` up to 10 s."""

    index: int
    stance: Stance
    move_start_s: float
    start_s: float
    end_s: float

    @property
    def held_s(self) -> float:
        return min(self.end_s - self.start_s, BALANCE_STANCE_S)

    @property
    def kept(self) -> bool:
        return not self.stance.lost


def stance_timings(script: MotionScript) -> list[StanceTiming]:
    out: list[StanceTiming] = []
    t = script.initial_rest_s
    for i, st in enumerate(script.stances, 1):
        start = t + st.move_s
        out.append(StanceTiming(i, st, t, start, start + st.hold_s))
        t = start + st.hold_s
    return out


@dataclass(frozen=True)
class BalanceState:
    """The feet and the sway at one instant (units of H; "ahead" = the way the person faces).

    ``far_ahead_h``/``near_ahead_h``: each ankle ahead of the near foot's starting place; ``far_depth``: the far
    foot's depth (1: under the far hip, 0: on the near foot's line); ``far_lift_h``/``near_lift_h``: a stepping
    foot's height; ``one_leg``: 0..1 the near leg lifted (knee bent); ``sway_h``: the hips' fore-aft sway;
    ``stance``: the stance being kept (None while moving or after the test).
    """

    far_ahead_h: float
    far_depth: float
    far_lift_h: float
    near_ahead_h: float
    near_lift_h: float
    one_leg: float
    sway_h: float
    stance: str | None


def _feet(name: str) -> tuple[float, float, float]:
    ahead, depth = STANCE_FEET[name]
    return ahead, depth, 1.0 if name == "one_leg" else 0.0


def _sway_h(script: MotionScript, t_s: float, amplitude_px: float) -> float:
    rng = random.Random(script.seed * 31 + 5)
    p1, p2 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    wave = 0.75 * math.sin(2 * math.pi * t_s / 3.1 + p1) + 0.25 * math.sin(2 * math.pi * t_s / 1.3 + p2)
    return amplitude_px * wave / script.look.height_px


def balance_state_at(script: MotionScript, t_s: float) -> BalanceState:
    """Where the feet are at ``t_s`` (see :class:`BalanceState`)."""
    ease = ease_fn(script.ease)
    prev = "relaxed"
    amp_prev = script.sway_px
    for tm in stance_timings(script):
        st = tm.stance
        if t_s < tm.move_start_s:
            break
        a0, d0, l0 = _feet(prev)
        a1, d1, l1 = _feet(st.name)
        if t_s < tm.start_s:  # moving into it
            tau = (t_s - tm.move_start_s) / st.move_s
            amp = amp_prev + (st.sway_px - amp_prev) * tau
            if st.name == "one_leg":  # the far foot back beside the near one, then the near foot up
                w_feet = ease(tau / 0.55)
                w_lift = ease((tau - 0.45) / 0.55)
                lift = STEP_LIFT_H * math.sin(math.pi * _clamp01(tau / 0.55)) if a0 != a1 or d0 != d1 else 0.0
                return BalanceState(a0 + (a1 - a0) * w_feet, d0 + (d1 - d0) * w_feet, lift, 0.0, 0.0,
                                    l0 + (l1 - l0) * w_lift, _sway_h(script, t_s, amp), None)
            w = ease(tau)
            lift = STEP_LIFT_H * math.sin(math.pi * tau) if a0 != a1 or d0 != d1 else 0.0
            return BalanceState(a0 + (a1 - a0) * w, d0 + (d1 - d0) * w, lift, 0.0, 0.0, l0,
                                _sway_h(script, t_s, amp), None)
        if t_s < tm.end_s:  # kept
            amp = st.sway_px
            if st.lost:
                amp *= 1.0 + (LOSING_GAIN - 1.0) * min_jerk((t_s - (tm.end_s - LOSING_S)) / LOSING_S)
            return BalanceState(a1, d1, 0.0, 0.0, 0.0, l1, _sway_h(script, t_s, amp), st.name)
        prev, amp_prev = st.name, st.sway_px
        if st.lost or tm.index == len(script.stances):
            return _after_test(script, t_s, tm, ease)
    a, d, l1 = _feet(prev)
    return BalanceState(a, d, 0.0, 0.0, 0.0, l1, _sway_h(script, t_s, amp_prev), None)


def _after_test(script: MotionScript, t_s: float, tm: StanceTiming, ease: Callable[[float], float]) -> BalanceState:
    """After the last stance: a lost one steps out (the near foot forward past the other, or a lifted foot put
    down); a kept one is released (the feet brought together, the lifted foot put down)."""
    st = tm.stance
    a, d, l1 = _feet(st.name)
    amp = st.sway_px * (LOSING_GAIN if st.lost else 1.0)
    dur = STEP_OUT_S if st.lost else RELEASE_S
    tau = _clamp01((t_s - tm.end_s) / dur)
    w = ease(tau)
    sway = _sway_h(script, t_s, amp * (1.0 - 0.7 * w))
    if st.name == "one_leg":
        return BalanceState(a, d, 0.0, 0.0, 0.0, l1 * (1.0 - w), sway, None)
    if st.lost:  # the near (back) foot steps forward past the front one
        ahead = (max(a, 0.0) + STEP_OUT_AHEAD_H) * w
        return BalanceState(a, d, 0.0, ahead, STEP_LIFT_H * 1.5 * math.sin(math.pi * tau), 0.0, sway, None)
    # kept: the far foot comes back beside the near one
    lift = STEP_LIFT_H * math.sin(math.pi * tau) if a or d != 1.0 else 0.0
    return BalanceState(a * (1.0 - w), d + (1.0 - d) * w, lift, 0.0, 0.0, 0.0, sway, None)


def balance_angles_at(script: MotionScript, t_s: float) -> dict[str, float]:
    """The balance test's state as numbers: ``far_ahead_h``, ``far_depth``, ``one_leg`` (0..1), ``sway_h`` (see
    :class:`BalanceState`), the lifted leg's ``{near}_knee_flexion_deg``/``{near}_hip_flexion_deg``, and
    ``trunk_lean_deg`` (forward, the natural wobble)."""
    s = balance_state_at(script, t_s)
    near = script.near_side or "right"
    far = "left" if near == "right" else "right"
    out = {"far_ahead_h": s.far_ahead_h, "far_depth": s.far_depth, "far_lift_h": s.far_lift_h,
           "near_ahead_h": s.near_ahead_h, "near_lift_h": s.near_lift_h, "one_leg": s.one_leg, "sway_h": s.sway_h,
           "trunk_lean_deg": trunk_wobble_deg(script, t_s), "sway_px": 0.0}
    out[f"{near}_hip_flexion_deg"] = ONE_LEG_HIP_DEG * s.one_leg
    out[f"{near}_knee_flexion_deg"] = ONE_LEG_KNEE_DEG * s.one_leg
    out[f"{far}_hip_flexion_deg"] = 0.0
    out[f"{far}_knee_flexion_deg"] = 0.0
    return out
