"""Truth from the exercise's clinical definition: what a physiotherapist watching the drawn leg would say.

The first sample set's truth (:mod:`posecount.synth.rules`) restates the engine's thresholds (hysteresis,
speed limits, measuring windows), so it cannot catch an engine that is wrong in the same way. A script with
``truth_rules="clinical"`` is judged here from its motion and the prescription alone:

* **reached**: the drawn working angle got to the target (side leg raise: 20° of abduction; seated knee
  extension: 145° at the knee);
* **held**: it then stayed at or above the target, not being lowered, for the prescribed hold (2 s; 1 s).
  Sway, tremor and a sagging drift while above the target are holding. Counted = reached and held;
* **lowered slowly** (side leg raise): the lowering took at least the prescribed 1 s;
* **form**: the fault lines the exercise files document in their ``source`` fields (lateral trunk lean
  > 10°, a bent knee > 20°; seated: extensor lag > 20°, i.e. the knee under 160°, toes pointed > 30°,
  trunk > 20° off vertical).

Every judgement is made under two readings, a strict one and a lenient one, and a script must fall on the
same side of the clinical line under both, with a margin (:class:`Margins`); otherwise the rep is ambiguous
and :func:`check_clinical_script` rejects it. The readings:

* target: absolute abduction (20°) and the lift from the person's own stance (17°: 20° from a stance of
  3°), so a wide stance cannot make a rep count under one reading only;
* hold: strict = the plateau from the top (the rise has ended) to the start of the lowering; lenient =
  from the moment the rising leg crosses the target to the start of the lowering;
* lowering: strict = the 10 %→90 % span of the movement (what a stopwatch on the visible motion gives);
  lenient = the whole lowering, from leaving the top to rest.

Nothing here imports the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from posecount.synth.motion import ease_fn, ease_inverse, rep_drive_deg, rep_timings
from posecount.synth.script import PROGRAMME_EXERCISES, MotionScript, Rep, validate_structure

#: Sampling step of the drawn angle when a rep is measured (s).
CURVE_DT_S = 0.001


@dataclass(frozen=True)
class ClinicalDefinition:
    """An exercise's prescription and form-fault lines, as a physiotherapist states them.

    ``target_lift_deg``: the same target read as a lift from the person's resting stance (side leg raise);
    None: the target is absolute (a straight knee is straight however one sits).
    """

    exercise: str
    target_deg: float
    target_lift_deg: float | None
    hold_s: float
    min_lower_s: float  # 0: the lowering is not prescribed
    trunk_lean_max_deg: float
    knee_flexion_max_deg: float | None  # side leg raise: the straight working knee
    knee_min_deg: float | None  # seated: the knee at the top (extensor lag)
    ankle_plantarflex_max_deg: float | None  # seated: toes to the ceiling
    #: The reps' faults in the order the report lists them (count-blocking first).
    fault_order: tuple[str, ...]
    sources: tuple[str, ...]


SIDE_LEG_RAISE = ClinicalDefinition(
    exercise="side-leg-raise", target_deg=20.0, target_lift_deg=17.0, hold_s=2.0, min_lower_s=1.0,
    trunk_lean_max_deg=10.0, knee_flexion_max_deg=20.0, knee_min_deg=None, ankle_plantarflex_max_deg=None,
    fault_order=("range_too_small", "hold_too_short", "lowered_too_fast", "trunk_lean", "knee_bent"),
    sources=(
        "20 deg target: about half of the normal 0-45 deg active hip abduction (AAOS 1994); from a stance "
        "of 3 deg that is a 17 deg lift",
        "hold 2 s, lower slowly: the prescription; a controlled eccentric phase of 1 s or more (ACSM)",
        "lateral trunk lean > 10 deg: compensation for hip abductor weakness",
        "a straight-leg raise; > 20 deg of knee flexion shortens the lever and changes the exercise",
    ))

SEATED_KNEE_EXTENSION = ClinicalDefinition(
    exercise="seated-knee-extension", target_deg=145.0, target_lift_deg=None, hold_s=1.0, min_lower_s=0.0,
    trunk_lean_max_deg=20.0, knee_flexion_max_deg=None, knee_min_deg=160.0, ankle_plantarflex_max_deg=30.0,
    fault_order=("range_too_small", "hold_too_short", "knee_bent", "toes_not_up", "trunk_lean"),
    sources=(
        "145 deg target: within 35 deg of straight, a reachable end of the long-arc quad for weak quadriceps",
        "hold 1 s: the prescription",
        "extensor lag > 20 deg (the knee under 160 deg at the top): a knee that will not straighten",
        "toes to the ceiling: > 30 deg of plantarflexion is pointing the toes",
        "trunk > 20 deg from vertical: slouching off the backrest",
    ))

DEFINITIONS: dict[str, ClinicalDefinition] = {d.exercise: d for d in (SIDE_LEG_RAISE, SEATED_KNEE_EXTENSION)}


@dataclass(frozen=True)
class Margins:
    """How far a script must stay from every clinical line, so that a correct analysis is unambiguous."""

    #: a reached rep's top at least this past the target (both readings); a missed one this short of it
    peak_deg: float = 6.0
    #: while held, the drawn angle (sway, tremor and sag included) stays this far above the target
    hold_floor_deg: float = 3.0
    #: a held rep's plateau this much longer than prescribed; a short one's lenient hold this much shorter
    hold_s: float = 0.6
    #: a fast lowering takes this much less than the prescribed minimum, whole
    fast_lower_s: float = 0.5
    #: form values this far from their fault lines
    form_deg: float = 5.0
    #: the leg back at rest between reps (and before the first) at least this long
    min_rest_s: float = 1.0
    #: side leg raise: each leg's resting abduction within this range (feet together to shoulder width)
    stance_deg: tuple[float, float] = (0.0, 9.0)
    #: seated: the knee at rest within this range
    rest_knee_deg: tuple[float, float] = (80.0, 100.0)


MARGINS = Margins()


@dataclass(frozen=True)
class RepMeasure:
    """One rep's drawn motion as the clinical definition reads it (angles in degrees, times in seconds)."""

    peak_deg: float  # the drawn maximum of the driving angle
    hold_floor_deg: float  # the lowest it gets while held (the peak for a flick)
    hold_s: float  # strict: the plateau, top to the start of the lowering
    hold_lenient_s: float  # from crossing the (lower reading of the) target while rising
    lower_s: float  # the whole lowering
    lower_strict_s: float  # its 10 % → 90 % span


@dataclass(frozen=True)
class ClinicalVerdict:
    counted: bool
    faults: tuple[str, ...]
    problems: tuple[str, ...]
    measure: RepMeasure


def _rest_drive_deg(script: MotionScript) -> float:
    return script.stance_deg if script.exercise == "side-leg-raise" else script.rest_knee_deg


def target_readings_deg(script: MotionScript, definition: ClinicalDefinition) -> tuple[float, float]:
    """(lower, upper) of the target's readings for this script: absolute, and as a lift from the stance."""
    readings = [definition.target_deg]
    if definition.target_lift_deg is not None:
        readings.append(_rest_drive_deg(script) + definition.target_lift_deg)
    return min(readings), max(readings)


def measure_rep(script: MotionScript, rep: Rep, dt_s: float = CURVE_DT_S) -> RepMeasure:
    """Sample the drawn angle of ``rep`` every ``dt_s`` and measure what the clinical definition reads."""
    lower_target, _ = target_readings_deg(script, DEFINITIONS[script.exercise])
    return measure_curve(script, rep, lambda t_s: rep_drive_deg(script, rep, t_s), lower_target, dt_s)


def measure_curve(script: MotionScript, rep: Rep, drive_deg: Callable[[float], float], target_deg: float,
                  dt_s: float = CURVE_DT_S) -> RepMeasure:
    """What a clinical definition reads of ``rep`` whose drawn driving angle ``drive_deg(t_s)`` (seconds
    after the rep starts) is sampled every ``dt_s``: the peak, the hold's floor, the hold counted from
    crossing ``target_deg`` on the way up (lenient) and the lowering timed 90 % → 10 % of the way (strict)."""
    n = round((rep.rise_s + rep.hold_s + rep.lower_s) / dt_s)
    curve = [drive_deg(k * dt_s) for k in range(n + 1)]
    peak = max(max(curve), drive_deg(rep.rise_s))
    k_top = round(rep.rise_s / dt_s)
    k_low = round((rep.rise_s + rep.hold_s) / dt_s)
    held = curve[k_top:k_low + 1]
    floor = min(held) if held else peak
    crossed = next((k for k in range(k_top + 1) if curve[k] >= target_deg), k_top)
    fn = ease_fn(script.ease)
    span = ease_inverse(fn, 0.9) - ease_inverse(fn, 0.1)
    return RepMeasure(peak_deg=peak, hold_floor_deg=floor, hold_s=rep.hold_s,
                      hold_lenient_s=rep.hold_s + (k_top - crossed) * dt_s,
                      lower_s=rep.lower_s, lower_strict_s=span * rep.lower_s)


def side_of_line(value: float, line: float, margin: float, what: str, problems: list[str],
                 fault_above: bool = True) -> bool | None:
    """True: clearly on the fault side of ``line``; False: clearly clean; None (and a problem): too near."""
    if value >= line + margin - 1e-9:
        return fault_above
    if value <= line - margin + 1e-9:
        return not fault_above
    problems.append(f"{what} {value:.1f} is within {margin:g} of the clinical line {line:g}")
    return None


def hold_verdict(m: RepMeasure, hold_s: float, margins: Margins, faults: set[str], problems: list[str]
                 ) -> bool | None:
    """Held for the prescribed ``hold_s``: True when the drawn hold is clearly long enough; False (and
    ``hold_too_short``) when even counted from crossing the target it is clearly short; None (and a
    problem) between."""
    if m.hold_s >= hold_s + margins.hold_s - 1e-9:
        return True
    if m.hold_lenient_s <= hold_s - margins.hold_s + 1e-9:
        faults.add("hold_too_short")
        return False
    problems.append(f"hold {m.hold_s:.2f} s (from crossing the target {m.hold_lenient_s:.2f} s) is within "
                    f"{margins.hold_s:g} s of the prescribed {hold_s:g} s")
    return None


def clinical_verdict(script: MotionScript, rep: Rep, margins: Margins = MARGINS) -> ClinicalVerdict:
    """(counted, faults) that the clinical definition gives this rep, and every value too near a line."""
    if script.exercise in PROGRAMME_EXERCISES:  # the exercises of issue 9
        from posecount.synth.programme import programme_verdict

        return programme_verdict(script, rep, margins)
    d = DEFINITIONS[script.exercise]
    m = measure_rep(script, rep)
    problems: list[str] = []
    faults: set[str] = set()
    lower_target, upper_target = target_readings_deg(script, d)
    reading = f"{upper_target:g}" if lower_target == upper_target else f"{lower_target:g}-{upper_target:g}"

    # reached: the top clearly past the target, and (if held) the hold clearly above it throughout
    if rep.peak_deg >= upper_target + margins.peak_deg - 1e-9:
        reached: bool | None = True
        if rep.hold_s > 0 and m.hold_floor_deg < upper_target + margins.hold_floor_deg - 1e-9:
            problems.append(f"the hold sinks to {m.hold_floor_deg:.1f}, within {margins.hold_floor_deg:g} of the "
                            f"target {reading}: sway, tremor or sag too deep")
    elif m.peak_deg <= lower_target - margins.peak_deg + 1e-9:
        reached = False
        faults.add("range_too_small")
    else:
        reached = None
        problems.append(f"peak {rep.peak_deg:g} (drawn {m.peak_deg:.1f}) is within {margins.peak_deg:g} of the "
                        f"target {reading}")
    if script.exercise == "seated-knee-extension" and m.peak_deg > 180.0 + 1e-9:
        problems.append(f"the knee reaches {m.peak_deg:.1f}: past straight (180)")

    held: bool | None = None
    if reached:
        held = hold_verdict(m, d.hold_s, margins, faults, problems)
        if d.min_lower_s > 0:
            if m.lower_strict_s >= d.min_lower_s - 1e-9:
                pass
            elif m.lower_s <= d.min_lower_s - margins.fast_lower_s + 1e-9:
                faults.add("lowered_too_fast")
            else:
                problems.append(f"lowering {m.lower_s:g} s (10→90 % in {m.lower_strict_s:.2f} s) is neither clearly "
                                f"slow (10→90 % >= {d.min_lower_s:g} s) nor clearly fast (<= "
                                f"{d.min_lower_s - margins.fast_lower_s:g} s)")

    wobble = _trunk_wobble_amplitude_deg(script)
    if script.exercise == "side-leg-raise":
        lean = abs(rep.trunk_lean_deg or 0.0)
        lean_fault = side_of_line(lean + (wobble if lean < d.trunk_lean_max_deg else -wobble),
                                   d.trunk_lean_max_deg, margins.form_deg, "trunk lean", problems, True)
        if lean_fault:
            faults.add("trunk_lean")
        assert d.knee_flexion_max_deg is not None
        bent = side_of_line(rep.knee_bend_deg, d.knee_flexion_max_deg, margins.form_deg, "knee flexion",
                             problems, True)
        if bent and reached:
            faults.add("knee_bent")
        if rep.ankle_plantarflex_deg != 0:
            problems.append("ankle_plantarflex_deg must be 0 for side-leg-raise")
    else:
        top = rep.trunk_lean_deg if rep.trunk_lean_deg is not None else script.rest_trunk_deg
        lean = abs(top)
        if side_of_line(lean + (wobble if lean < d.trunk_lean_max_deg else -wobble), d.trunk_lean_max_deg,
                         margins.form_deg, "trunk lean", problems, True):
            faults.add("trunk_lean")
        if reached:
            assert d.knee_min_deg is not None and d.ankle_plantarflex_max_deg is not None
            lo, hi = (m.hold_floor_deg, m.peak_deg) if rep.hold_s > 0 else (m.peak_deg, m.peak_deg)
            if hi <= d.knee_min_deg - margins.form_deg + 1e-9:
                faults.add("knee_bent")
            elif lo < d.knee_min_deg + margins.form_deg - 1e-9:
                problems.append(f"the knee at the top ({lo:.1f}-{hi:.1f}) is within {margins.form_deg:g} of the "
                                f"extensor-lag line {d.knee_min_deg:g}")
            if side_of_line(rep.ankle_plantarflex_deg, d.ankle_plantarflex_max_deg, margins.form_deg,
                             "ankle plantarflexion", problems, True):
                faults.add("toes_not_up")
        if rep.knee_bend_deg != 0:
            problems.append("knee_bend_deg must be 0 for seated-knee-extension (peak_deg is the knee angle)")
    counted = bool(reached and held) and not problems
    return ClinicalVerdict(counted=counted, faults=tuple(sorted(faults, key=d.fault_order.index)),
                           problems=tuple(problems), measure=m)


def _trunk_wobble_amplitude_deg(script: MotionScript) -> float:
    """The natural trunk wobble's amplitude (motion.trunk_wobble_deg), added to the scripted lean."""
    trunk_px = 0.29 * script.look.height_px
    return math.degrees(math.atan2(script.sway_px, trunk_px)) if trunk_px > 0 else 0.0


def check_clinical_script(script: MotionScript, margins: Margins = MARGINS) -> list[str]:
    """Every problem with a clinical script: structure, values too near a clinical line, contradicted intents."""
    problems = list(validate_structure(script))
    if problems:
        return problems
    if script.exercise in PROGRAMME_EXERCISES:
        from posecount.synth.programme import check_programme_script

        return check_programme_script(script, margins)
    if script.exercise not in DEFINITIONS:
        return [f"no clinical definition of {script.exercise!r}"]
    d = DEFINITIONS[script.exercise]
    if script.reps and script.initial_rest_s + 1e-9 < margins.min_rest_s:
        problems.append(f"initial_rest_s {script.initial_rest_s:g} < {margins.min_rest_s:g}")
    if script.exercise == "side-leg-raise":
        lo, hi = margins.stance_deg
        if not lo <= script.stance_deg <= hi:
            problems.append(f"stance_deg {script.stance_deg:g} outside {lo:g}..{hi:g} (wider is not this exercise)")
    else:
        lo, hi = margins.rest_knee_deg
        if not lo <= script.rest_knee_deg <= hi:
            problems.append(f"rest_knee_deg {script.rest_knee_deg:g} outside {lo:g}..{hi:g}")
        if abs(script.rest_trunk_deg) > d.trunk_lean_max_deg - margins.form_deg:
            problems.append(f"rest_trunk_deg {script.rest_trunk_deg:g}: sit within "
                            f"{d.trunk_lean_max_deg - margins.form_deg:g} of vertical at rest")
    return problems + rep_intent_problems(script, margins, margins.min_rest_s)


def rep_intent_problems(script: MotionScript, margins: Margins, min_rest_s: float) -> list[str]:
    """Every rep of ``script``: rested at least ``min_rest_s`` before the next, its values clear of the clinical
    lines, and its intent (``expect_counted``, ``expect_faults``) what the clinical definition says."""
    problems: list[str] = []
    timings = rep_timings(script)
    for tm in timings:
        rep = tm.rep
        where = f"rep {tm.index} ({rep.side})"
        if tm.index < len(timings) and rep.rest_s + 1e-9 < min_rest_s:
            problems.append(f"{where}: rest_s {rep.rest_s:g} < {min_rest_s:g} (the next rep must be separate)")
        v = clinical_verdict(script, rep, margins)
        problems.extend(f"{where}: {p}" for p in v.problems)
        if v.problems:
            continue
        if len(set(rep.expect_faults)) != len(rep.expect_faults):
            problems.append(f"{where}: expect_faults lists a fault twice")
        if rep.expect_counted != v.counted:
            problems.append(f"{where}: expect_counted={rep.expect_counted} but the clinical definition says "
                            f"{v.counted}")
        if set(rep.expect_faults) != set(v.faults):
            problems.append(f"{where}: expect_faults={sorted(rep.expect_faults)} but the clinical definition says "
                            f"{list(v.faults)}")
    return problems
