"""Truth for the exercises of issue 9 and the three function tests, from the motion and the clinical definition.

Like :mod:`posecount.synth.clinical` (whose :class:`~posecount.synth.clinical.Margins` it uses): every rep is
judged from the drawn driving angle and the exercise's prescription and form lines, as a physiotherapist
states them (:class:`ProgrammeDefinition`, each line with its source), and a script must stay clear of every
line by the margins, else the rep is ambiguous and :func:`check_programme_script` rejects it. Nothing here
imports the analysis.

=========================== ============== ===================================================================
exercise                    counted when   form faults (lines)
=========================== ============== ===================================================================
sit-to-stand                the knee       ``arms_push_off``: the hands leave the chest to push on the seat
                            reaches 165°   (drawn or not; the push must last >= ``PUSH_MIN_S``)
                            (standing)
standing-calf-raise         20° of         none (the hold: 2 s)
                            plantarflexion
mini-squat                  30° of knee    ``trunk_lean`` > 45° forward; ``knees_past_toes``: the knee ahead of
                            flexion, held  the toe tip (shank tilt > asin(toe / shank) = 28.7°)
                            2 s
standing-march              45° of hip     ``trunk_lean`` > 10° sideways (the SLR's line)
                            flexion, held
                            1 s
standing-hamstring-curl     70° of knee    ``thigh_forward``: the thigh > 20° forward of vertical
                            flexion, held
                            2 s
=========================== ============== ===================================================================

A rep short of its target is an attempt with ``range_too_small`` (not counted); reached but let go too soon,
``hold_too_short`` (not counted); form faults are reported on every attempt and do not stop the count.

Function tests (:func:`function_test_truth`): "go" is the first rep's ``start_s`` (the trunk starts to lean: the first
visible movement). **chair-stand-30s** (CDC STEADI): the stands whose top is reached (the rise ends, ``peak_s``)
by go + 30 s, plus one on its way up at go + 30 s when the drawn hips are more than halfway from the seat to
standing then; any push-off before the end voids it (score 0). **five-times-sit-to-stand**: go to the top of
the fifth full stand. **four-stage-balance** (CDC STEADI): each stance is timed from the moment it is taken
(the stepping foot is down; on one leg, the foot is up) to a step out, up to 10 s; the test ends with the
first stance not held; tandem not held 10 s is the protocol's increased risk of falling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from posecount.synth.clinical import (
    MARGINS,
    ClinicalVerdict,
    Margins,
    RepMeasure,
    hold_verdict,
    measure_curve,
    rep_intent_problems,
    side_of_line,
)
from posecount.synth.motion import RepTiming, ease_fn, ease_inverse, rep_phase_at, rep_timings
from posecount.synth.moves import (
    SQUAT_LEAN_SHARE,
    SQUAT_SHANK_SHARE,
    STS_SEAT_OFF_U,
    stance_timings,
    sts_hip_fraction,
    sts_knee_deg,
    sts_pose_at,
    sts_push,
    sts_top_u,
)
from posecount.synth.script import (
    BALANCE_STANCE_S,
    PROGRAMME_EXERCISES,
    MotionScript,
    Rep,
    validate_structure,
)

#: Sampling step of the drawn angle when a rep is measured (s).
CURVE_DT_S = 0.001
#: A push-off must be clear: both hands on the seat (push weight >= 0.9) for at least this long.
PUSH_MIN_S = 0.4
#: sit-to-stand: a partial rise must clearly leave the seat (the knee opens this far past its rest) to be an attempt.
STS_ATTEMPT_DEG = 15.0
#: sit-to-stand: seated between stands at least this long (the hips touch down; a test goes on at once).
STS_MIN_SEATED_S = 0.2
#: The 30-second chair stand: the hips' height at the end must be this far from halfway (fraction of the way).
HALFWAY_MARGIN = 0.1
#: ... and no stand may reach its top within this long of the end.
END_MARGIN_S = 0.3
#: four-stage balance: a held stance is kept this much longer than 10 s; a lost one this much shorter.
STANCE_MARGIN_S = 0.5


@dataclass(frozen=True)
class ProgrammeDefinition:
    """An exercise's prescription and form lines (degrees, seconds), as a physiotherapist states them.

    ``drive``: what ``Rep.peak_deg`` measures; ``rest_deg``: its value at rest (None: the script's
    ``rest_knee_deg``); ``hold_s`` 0: no hold prescribed (a stand is reached, not held); ``lines``: the form
    lines by fault code (the fault is *above* the line).
    """

    exercise: str
    drive: str
    rest_deg: float | None
    target_deg: float
    hold_s: float
    lines: dict[str, float]
    fault_order: tuple[str, ...]
    sources: tuple[str, ...]


#: The knee is ahead of the toe tip once the shank tilts past asin(toe_forward / shank) (proportions of body.py).
KNEE_OVER_TOES_DEG = math.degrees(math.asin(0.118 / 0.246))

SIT_TO_STAND = ProgrammeDefinition(
    exercise="sit-to-stand", drive="knee angle (180 = straight)", rest_deg=None, target_deg=165.0, hold_s=0.0,
    lines={}, fault_order=("range_too_small", "arms_push_off"),
    sources=(
        "a stand: the CDC STEADI 30-Second Chair Stand counts a stand when the person comes to a full standing "
        "position, hips and knees extended; a knee within 15 deg of straight (165 deg) is standing",
        "arms crossed over the chest (CDC STEADI; the five-times test, Guralnik et al. 1994): hands leaving the "
        "chest to push on the seat or the thighs is arms_push_off",
        "a rise that stops short of standing is not a stand (range_too_small); the trunk leaning 30-45 deg forward "
        "at seat-off is the normal movement (Schenkman et al. 1990), not a fault",
    ))

STANDING_CALF_RAISE = ProgrammeDefinition(
    exercise="standing-calf-raise", drive="ankle plantarflexion (the foot's tilt up from the floor)", rest_deg=0.0,
    target_deg=20.0, hold_s=2.0, lines={}, fault_order=("range_too_small", "hold_too_short"),
    sources=(
        "20 deg target: a clear heel rise (about 6 cm in an adult), half of the 40-50 deg of full plantarflexion",
        "hold 2 s at the top, lower slowly: the prescription (Otago exercise programme: calf raises holding a "
        "support)",
    ))

MINI_SQUAT = ProgrammeDefinition(
    exercise="mini-squat", drive="knee flexion (180 - the knee angle)", rest_deg=0.0, target_deg=30.0, hold_s=2.0,
    lines={"trunk_lean": 45.0, "knees_past_toes": KNEE_OVER_TOES_DEG},
    fault_order=("range_too_small", "hold_too_short", "trunk_lean", "knees_past_toes"),
    sources=(
        "30 deg target: a mini (partial) squat bends the knees 30-60 deg, holding a support (Otago: knee bends)",
        "hold 2 s at the bottom: the prescription",
        "trunk more than 45 deg forward: the squat becomes a bend at the hips",
        "knees past the toes: the knee ahead of the toe tip (the shank tilted more than 28.7 deg), the common "
        "patient-leaflet cue 'knees behind your toes'",
    ))

STANDING_MARCH = ProgrammeDefinition(
    exercise="standing-march", drive="hip flexion (the thigh forward of vertical)", rest_deg=0.0, target_deg=45.0,
    hold_s=1.0, lines={"trunk_lean": 10.0}, fault_order=("range_too_small", "hold_too_short", "trunk_lean"),
    sources=(
        "45 deg target: the knee lifted halfway to hip height (thigh level is 90 deg)",
        "hold 1 s at the top: the prescription",
        "sideways trunk lean > 10 deg toward the standing leg: compensation for weak hip abductors",
    ))

STANDING_HAMSTRING_CURL = ProgrammeDefinition(
    exercise="standing-hamstring-curl", drive="knee flexion of the near leg", rest_deg=0.0, target_deg=70.0,
    hold_s=2.0, lines={"thigh_forward": 20.0}, fault_order=("range_too_small", "hold_too_short", "thigh_forward"),
    sources=(
        "70 deg target: most of the prescribed 90 deg (the heel toward the buttock)",
        "hold 2 s at the top, lower slowly: the prescription",
        "the thigh swinging more than 20 deg forward of vertical: the hip flexes instead of the knee working",
    ))

DEFINITIONS: dict[str, ProgrammeDefinition] = {d.exercise: d for d in (
    SIT_TO_STAND, STANDING_CALF_RAISE, MINI_SQUAT, STANDING_MARCH, STANDING_HAMSTRING_CURL)}

TEST_SOURCES: dict[str, tuple[str, ...]] = {
    "chair-stand-30s": (
        "CDC STEADI, Assessment: 30-Second Chair Stand (2017): arms crossed, on 'go' rise to a full standing "
        "position and sit back down as many times as possible in 30 s; over halfway up at 30 s counts; using the "
        "arms: stop and score 0",),
    "five-times-sit-to-stand": (
        "Guralnik et al. 1994 (SPPB): from sitting, arms folded, stand up fully and sit down five times as quickly "
        "as possible; the time stops when the person is fully standing the fifth time",),
    "four-stage-balance": (
        "CDC STEADI, Assessment: The 4-Stage Balance Test (2017): feet side by side, the instep of one foot "
        "touching the big toe of the other, one foot in front of the other heel to toe, standing on one foot; each "
        "for 10 s without support; stop when a stance is not held 10 s; not holding the tandem stance 10 s is an "
        "increased risk of falling",),
}


def definition_of(exercise: str) -> ProgrammeDefinition:
    try:
        return DEFINITIONS[exercise]
    except KeyError:
        raise ValueError(f"no clinical definition of {exercise!r}; known: {', '.join(DEFINITIONS)}") from None


def rest_drive_deg(script: MotionScript) -> float:
    d = definition_of(script.exercise)
    return script.rest_knee_deg if d.rest_deg is None else d.rest_deg


def _alone(rep: Rep) -> list[RepTiming]:
    end = rep.rise_s + rep.hold_s + rep.lower_s
    return [RepTiming(1, rep.side, 0.0, rep.rise_s, rep.rise_s + rep.hold_s, end, end + rep.rest_s, rep)]


def rep_drive_deg(script: MotionScript, rep: Rep, t_s: float) -> float:
    """The driving angle ``t_s`` seconds after ``rep`` starts (alone: no rep before or after)."""
    ph = rep_phase_at(script, t_s, _alone(rep))
    if script.exercise == "sit-to-stand":
        return sts_knee_deg(script, sts_top_u(script, rep.peak_deg) * ph.progress)
    rest = rest_drive_deg(script)
    if ph.timing is None:
        return rest
    return rest + (rep.peak_deg - rest) * ph.progress + ph.wobble_deg + ph.offset_deg


def measure_rep(script: MotionScript, rep: Rep, dt_s: float = CURVE_DT_S) -> RepMeasure:
    """The drawn driving angle of ``rep`` as the definition reads it (see clinical.measure_curve)."""
    target_deg = definition_of(script.exercise).target_deg
    return measure_curve(script, rep, lambda t_s: rep_drive_deg(script, rep, t_s), target_deg, dt_s)


def push_duration_s(script: MotionScript, rep: Rep, dt_s: float = 0.005) -> float:
    """How long both hands are on the seat (push weight >= 0.9) during the rep's rise."""
    top = sts_top_u(script, rep.peak_deg)
    fn = ease_fn(script.ease)
    n = max(1, round(rep.rise_s / dt_s))
    return sum(dt_s for k in range(n) if sts_push(top * fn(k / n)) >= 0.9)


def _trunk_wobble_amplitude_deg(script: MotionScript) -> float:
    trunk_px = 0.29 * script.look.height_px
    return math.degrees(math.atan2(script.sway_px, trunk_px)) if trunk_px > 0 else 0.0


def programme_verdict(script: MotionScript, rep: Rep, margins: Margins = MARGINS) -> ClinicalVerdict:
    """(counted, faults) the clinical definition gives ``rep``, and every value too near one of its lines."""
    d = definition_of(script.exercise)
    m = measure_rep(script, rep)
    problems: list[str] = []
    faults: set[str] = set()
    rest = rest_drive_deg(script)
    if rep.peak_deg >= d.target_deg + margins.peak_deg - 1e-9:
        reached: bool | None = True
        if d.hold_s > 0 and rep.hold_s > 0 and m.hold_floor_deg < d.target_deg + margins.hold_floor_deg - 1e-9:
            problems.append(f"the hold sinks to {m.hold_floor_deg:.1f}, within {margins.hold_floor_deg:g} of the "
                            f"target {d.target_deg:g}")
    elif m.peak_deg <= d.target_deg - margins.peak_deg + 1e-9:
        reached = False
        faults.add("range_too_small")
    else:
        reached = None
        problems.append(f"peak {rep.peak_deg:g} (drawn {m.peak_deg:.1f}) is within {margins.peak_deg:g} of the "
                        f"target {d.target_deg:g}")
    if reached is False and script.exercise == "sit-to-stand" and rep.peak_deg < rest + STS_ATTEMPT_DEG:
        problems.append(f"a partial rise to {rep.peak_deg:g} barely leaves the seat (draw >= "
                        f"{rest + STS_ATTEMPT_DEG:g})")
    if script.exercise == "sit-to-stand" and m.peak_deg > 180.0 + 1e-9:
        problems.append(f"the knee reaches {m.peak_deg:.1f}: past straight (180)")
    held: bool | None = True
    if reached and d.hold_s > 0:
        held = hold_verdict(m, d.hold_s, margins, faults, problems)
    faults |= _form_faults(script, rep, d, margins, problems)
    counted = bool(reached and held) and not problems
    return ClinicalVerdict(counted=counted, faults=tuple(sorted(faults, key=d.fault_order.index)),
                           problems=tuple(problems), measure=m)


def _form_faults(script: MotionScript, rep: Rep, d: ProgrammeDefinition, margins: Margins,
                 problems: list[str]) -> set[str]:
    faults: set[str] = set()
    wobble = _trunk_wobble_amplitude_deg(script)
    ex = script.exercise
    if ex == "sit-to-stand":
        if rep.push_off:
            pushed = push_duration_s(script, rep)
            if pushed < PUSH_MIN_S:
                problems.append(f"the push-off lasts {pushed:.2f} s (hands on the seat): draw >= {PUSH_MIN_S:g} s")
            faults.add("arms_push_off")
    elif ex == "mini-squat":
        lean = rep.trunk_lean_deg if rep.trunk_lean_deg is not None else SQUAT_LEAN_SHARE * rep.peak_deg
        line = d.lines["trunk_lean"]
        if side_of_line(lean + (wobble if lean < line else -wobble), line, margins.form_deg, "trunk lean",
                         problems):
            faults.add("trunk_lean")
        tilt = rep.shank_tilt_deg if rep.shank_tilt_deg is not None else SQUAT_SHANK_SHARE * rep.peak_deg
        if side_of_line(tilt, d.lines["knees_past_toes"], margins.form_deg, "shank tilt", problems):
            faults.add("knees_past_toes")
    elif ex == "standing-march":
        lean = abs(rep.trunk_lean_deg or 0.0)
        line = d.lines["trunk_lean"]
        if side_of_line(lean + (wobble if lean < line else -wobble), line, margins.form_deg, "trunk lean",
                         problems):
            faults.add("trunk_lean")
        if not 45.0 <= rep.knee_bend_deg <= 110.0:
            problems.append(f"knee_bend_deg {rep.knee_bend_deg:g}: a march bends the knee 45-110 deg at the top")
    elif ex == "standing-hamstring-curl" and side_of_line(rep.hip_flex_deg, d.lines["thigh_forward"],
                                                           margins.form_deg, "thigh forward", problems):
        faults.add("thigh_forward")
    if ex != "standing-march" and rep.knee_bend_deg:
        problems.append(f"knee_bend_deg is the standing march's (the knee at its top), not {ex}'s")
    if rep.ankle_plantarflex_deg:
        problems.append("ankle_plantarflex_deg is the seated knee extension's")
    return faults


def check_programme_script(script: MotionScript, margins: Margins = MARGINS) -> list[str]:
    """Every problem with a script of issue 9: structure, values too near a clinical line, contradicted intents,
    and a function test whose result would be ambiguous."""
    problems = list(validate_structure(script))
    if problems:
        return problems
    if script.exercise not in PROGRAMME_EXERCISES:
        return [f"{script.exercise} is judged by posecount.synth.clinical"]
    if script.reps and script.initial_rest_s + 1e-9 < margins.min_rest_s:
        problems.append(f"initial_rest_s {script.initial_rest_s:g} < {margins.min_rest_s:g}")
    if script.exercise == "four-stage-balance":
        return problems + _balance_problems(script)
    if script.exercise == "sit-to-stand":
        lo, hi = margins.rest_knee_deg
        if not lo <= script.rest_knee_deg <= hi:
            problems.append(f"rest_knee_deg {script.rest_knee_deg:g} outside {lo:g}..{hi:g}")
    elif script.exercise in ("standing-calf-raise", "standing-march"):
        lo, hi = margins.stance_deg
        if not lo <= script.stance_deg <= hi:
            problems.append(f"stance_deg {script.stance_deg:g} outside {lo:g}..{hi:g}")
    min_rest = STS_MIN_SEATED_S if script.exercise == "sit-to-stand" else margins.min_rest_s
    problems += rep_intent_problems(script, margins, min_rest)  # clinical_verdict hands these to programme_verdict
    if script.test is not None and not problems:
        problems.extend(_test_problems(script))
    return problems


# -- the function tests -----------------------------------------------------------------------------------------
def go_s(script: MotionScript) -> float:
    """The test's "go": the first rep's start (the trunk starts to lean), or when the first stance is taken."""
    if script.exercise == "four-stage-balance":
        timings = stance_timings(script)
        return timings[0].start_s if timings else script.initial_rest_s
    return rep_timings(script)[0].start_s if script.reps else script.initial_rest_s


def seat_off_s(script: MotionScript, tm: RepTiming) -> float:
    """When a sit-to-stand's hips leave the seat (the path passes ``STS_SEAT_OFF_U``)."""
    top = sts_top_u(script, tm.rep.peak_deg)
    return tm.start_s + ease_inverse(ease_fn(script.ease), STS_SEAT_OFF_U / top) * tm.rep.rise_s


def hip_fraction_at(script: MotionScript, t_s: float) -> float:
    """The drawn hips' height at ``t_s``: 0 on the seat .. 1 standing straight."""
    return sts_hip_fraction(script, sts_pose_at(script, t_s).u)


def _stand_times(script: MotionScript) -> list[float]:
    """The top of every full stand (counted rep), in order."""
    return [tm.peak_s for tm in rep_timings(script) if tm.rep.expect_counted]


def function_test_truth(script: MotionScript) -> dict[str, Any] | None:
    """The ``test`` object of the truth (None for a script that is no function test)."""
    if script.test is None:
        return None
    go = go_s(script)
    out: dict[str, Any] = {"name": script.test, "start_s": _t(go)}
    if script.test == "four-stage-balance":
        stances = []
        fall_risk = True
        for tm in stance_timings(script):
            kept = tm.kept
            stances.append({"name": tm.stance.name, "start_s": _t(tm.start_s), "end_s": _t(tm.end_s),
                            "held_s": _t(tm.held_s), "held": kept})
            if tm.stance.name == "tandem" and kept:
                fall_risk = False
        out["stances"] = stances
        out["ended_by"] = next((s["name"] for s in stances if not s["held"]), None)
        out["fall_risk"] = fall_risk
        return out
    timings = rep_timings(script)
    out["hips_leave_seat_s"] = _t(seat_off_s(script, timings[0]))
    if script.test == "chair-stand-30s":
        end = go + 30.0
        stands = [t for t in _stand_times(script) if t <= end + 1e-9]
        frac = hip_fraction_at(script, end)
        rising = any(tm.start_s <= end < tm.peak_s and tm.rep.expect_counted for tm in timings)
        halfway = rising and frac > 0.5
        voided = any(tm.rep.push_off for tm in timings if tm.start_s <= end)
        out |= {"end_s": _t(end), "score": 0 if voided else len(stands) + int(halfway),
                "stands_s": [_t(t) for t in stands], "halfway_at_end": halfway,
                "hip_fraction_at_end": round(frac, 4), "voided_by": "arms_push_off" if voided else None}
        return out
    stands = _stand_times(script)[:5]
    voided = any(tm.rep.push_off for tm in timings[:len(stands)])
    done = len(stands) == 5 and not voided
    out |= {"time_s": _t(stands[-1] - go) if done else None, "completed": done,
            "stands_s": [_t(t) for t in stands], "voided_by": "arms_push_off" if voided else None}
    return out


def _test_problems(script: MotionScript) -> list[str]:
    problems: list[str] = []
    if script.test == "chair-stand-30s":
        end = go_s(script) + 30.0
        voided = any(r.push_off for r in script.reps)
        if script.total_duration_s < end + 1.0 and not voided:
            problems.append(f"the clip must go on past the 30 s mark ({end:.1f} s), unless the arms void it")
        for tm in rep_timings(script):
            if abs(tm.peak_s - end) < END_MARGIN_S:
                problems.append(f"rep {tm.index} reaches its top {tm.peak_s - end:+.2f} s from the 30 s mark")
            if tm.start_s <= end < tm.peak_s:
                frac = hip_fraction_at(script, end)
                if abs(frac - 0.5) < HALFWAY_MARGIN:
                    problems.append(f"at the 30 s mark the hips are {frac:.2f} of the way up: too near halfway")
    elif script.test == "five-times-sit-to-stand" and len(_stand_times(script)) < 5:
        problems.append("five-times-sit-to-stand: fewer than five full stands")
    return problems


def _balance_problems(script: MotionScript) -> list[str]:
    problems: list[str] = []
    if script.test not in (None, "four-stage-balance"):
        problems.append("a balance clip's test is four-stage-balance")
    if script.scene.chair:
        problems.append("the balance test is done without support: scene.chair must be False")
    for tm in stance_timings(script):
        st = tm.stance
        if st.lost and st.hold_s > BALANCE_STANCE_S - STANCE_MARGIN_S + 1e-9:
            problems.append(f"{st.name}: lost after {st.hold_s:g} s, within {STANCE_MARGIN_S:g} s of 10 s")
        if not st.lost and st.hold_s < BALANCE_STANCE_S + STANCE_MARGIN_S - 1e-9:
            problems.append(f"{st.name}: kept {st.hold_s:g} s, within {STANCE_MARGIN_S:g} s of 10 s")
    return problems


def _t(x: float) -> float:
    return round(x, 6)


def build_programme_truth(script: MotionScript, video_name: str) -> dict[str, Any]:
    """The truth of a script of issue 9 (the format of :mod:`posecount.synth.truth`, whole-body reps with
    ``"side": "both"`` and a ``both`` count; a function test adds ``test``)."""
    from posecount.synth.truth import TRUTH_SCHEMA_VERSION

    reps = []
    counts = {"left": 0, "right": 0, "both": 0}
    if script.exercise != "four-stage-balance":
        for tm in rep_timings(script):
            rep = tm.rep
            row: dict[str, Any] = {
                "index": tm.index, "side": rep.side, "start_s": _t(tm.start_s), "peak_s": _t(tm.peak_s),
                "end_s": _t(tm.end_s), "hold_s": _t(tm.hold_s),
                "peak_angle_deg": round(measure_rep(script, rep).peak_deg, 3),
                "counted": rep.expect_counted, "faults": list(rep.expect_faults)}
            if script.exercise in ("sit-to-stand", "mini-squat"):
                row["hip_height_ratio"] = round(hip_height_ratio_at(script, tm.peak_s), 4)
            reps.append(row)
            if rep.expect_counted:
                counts[rep.side] += 1
    if script.whole_body:
        count_row = {"left": 0, "right": 0, "both": counts["both"], "total": counts["both"]}
    else:
        count_row = {"left": counts["left"], "right": counts["right"], "total": counts["left"] + counts["right"]}
    out: dict[str, Any] = {
        "schema_version": TRUTH_SCHEMA_VERSION,
        "exercise": script.exercise,
        "video": video_name,
        "source": {"fps": float(script.fps), "frames": script.frame_count, "duration_s": _t(script.frames_end_s),
                   "width": script.width, "height": script.height},
        "view": script.view,
        "person_present": script.person_present,
        "counts": count_row,
        "reps": reps,
    }
    test = function_test_truth(script)
    if test is not None:
        out["test"] = test
    out["script"] = script.to_dict()
    return out


def hip_height_ratio_at(script: MotionScript, t_s: float) -> float:
    """The drawn hips' height as the registry's ``hip_height_ratio`` reads a pose: the mid-hip's height over the
    lower ankle, over the longer leg's drawn length (hip→knee + knee→ankle)."""
    from posecount.synth.body import joints_at

    j = joints_at(script, t_s)
    mid_y = (j["left_hip"][1] + j["right_hip"][1]) / 2.0
    ankle_y = max(j["left_ankle"][1], j["right_ankle"][1])
    legs = [math.dist(j[f"{s}_hip"], j[f"{s}_knee"]) + math.dist(j[f"{s}_knee"], j[f"{s}_ankle"])
            for s in ("left", "right")]
    return (ankle_y - mid_y) / max(legs)
