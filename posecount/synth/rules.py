"""Truth rules: does each scripted rep say what the analysis engine will make of it, with a safe margin?

The engine's defaults (``posecount/exercises/*.toml``) are restated here as :class:`TruthRules`, together
with the *bands* a script may use: a clean value and a faulty value, each well away from the threshold
between them, so a noisy pose estimator still classifies the rep the same way. :func:`expected_verdict`
derives (counted, faults) from a rep's numbers; :func:`check_script` compares that with the script's
``expect_counted`` / ``expect_faults`` and lists every disagreement and every value outside all bands.

Two derived quantities are checked as the engine measures them, not as scripted, because the easing
stretches them: the *effective hold* (how long the driving angle stays at or above the target and moves
slower than ``hold_max_speed_deg_s``: the plateau plus the slowest ends of the ramps) and
the *effective lowering* (the engine times 80 %→30 % of the way down and scales it to 100 % assuming a
minimum-jerk movement, so for the cosine ramps drawn here it reads ~18 % longer than lower_s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posecount.exercises.engine import LOWER_SPAN_FRACTION
from posecount.synth.motion import rep_timings
from posecount.synth.script import MotionScript, Rep, validate_structure


@dataclass(frozen=True)
class Band:
    """A closed interval [lo, hi]."""

    lo: float
    hi: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.lo - 1e-9 <= value <= self.hi + 1e-9

    def __str__(self) -> str:
        return f"{self.lo:g}..{self.hi:g}"


@dataclass(frozen=True)
class TruthRules:
    """An exercise's engine thresholds and the value bands scripts must keep to."""

    exercise: str
    start_deg: float
    target_deg: float
    hysteresis_deg: float
    min_hold_s: float
    min_lower_s: float  # 0: lowering speed is not judged
    hold_max_speed_deg_s: float
    peak_clean: Band
    peak_small: Band  # range_too_small: an attempt (above start) that misses the target
    peak_bent: Band | None  # seated: reaches the target but knee_bent (still counted)
    hold_clean: Band
    hold_short: Band
    lower_clean: Band
    lower_fast: Band | None
    lean_clean: Band  # |trunk angle| at the top
    lean_fault: Band
    lean_threshold_deg: float
    knee_bend_clean: Band | None
    knee_bend_fault: Band | None
    ankle_clean: Band | None
    ankle_fault: Band | None
    #: knee_bent: side-leg-raise knee flexion above this; seated knee angle below this (at the top)
    knee_threshold_deg: float
    #: toes_not_up: ankle plantarflexion above this at the top (seated)
    ankle_threshold_deg: float | None
    rise: Band = Band(0.8, 3.0)
    min_rest_s: float = 1.5
    min_initial_rest_s: float = 1.0
    #: margins on the engine-measured quantities (fractions of the threshold)
    hold_margin: float = 0.2
    lower_margin: float = 0.25


SIDE_LEG_RAISE = TruthRules(
    exercise="side-leg-raise", start_deg=10.0, target_deg=20.0, hysteresis_deg=3.0,
    min_hold_s=2.0, min_lower_s=1.0, hold_max_speed_deg_s=9.0,
    peak_clean=Band(30.0, 45.0), peak_small=Band(13.0, 15.0), peak_bent=None,
    hold_clean=Band(2.8, 4.0), hold_short=Band(0.5, 1.0),
    lower_clean=Band(1.5, 3.0), lower_fast=Band(0.3, 0.5),
    lean_clean=Band(0.0, 2.0), lean_fault=Band(16.0, 22.0), lean_threshold_deg=10.0,
    knee_bend_clean=Band(0.0, 3.0), knee_bend_fault=Band(35.0, 45.0),
    ankle_clean=None, ankle_fault=None, knee_threshold_deg=20.0, ankle_threshold_deg=None,
)

SEATED_KNEE_EXTENSION = TruthRules(
    exercise="seated-knee-extension", start_deg=110.0, target_deg=145.0, hysteresis_deg=4.0,
    min_hold_s=1.0, min_lower_s=0.0, hold_max_speed_deg_s=15.0,
    peak_clean=Band(172.0, 180.0), peak_small=Band(125.0, 135.0), peak_bent=Band(155.0, 158.0),
    hold_clean=Band(1.8, 3.0), hold_short=Band(0.3, 0.5),
    lower_clean=Band(1.2, 2.5), lower_fast=None,
    lean_clean=Band(0.0, 8.0), lean_fault=Band(30.0, 35.0), lean_threshold_deg=20.0,
    knee_bend_clean=None, knee_bend_fault=None,
    ankle_clean=Band(0.0, 8.0), ankle_fault=Band(40.0, 50.0), knee_threshold_deg=160.0, ankle_threshold_deg=30.0,
)

#: A short hold's upper bound counts the ramps' ends as still up to this multiple of the speed limit.
SPEED_SLACK = 2.0

RULES: dict[str, TruthRules] = {r.exercise: r for r in (SIDE_LEG_RAISE, SEATED_KNEE_EXTENSION)}

#: The order the engine reports faults in (count-blocking first, then its form rules in spec order).
FAULT_ORDER: dict[str, tuple[str, ...]] = {
    "side-leg-raise": ("range_too_small", "hold_too_short", "lowered_too_fast", "trunk_lean", "knee_bent"),
    "seated-knee-extension": ("range_too_small", "hold_too_short", "knee_bent", "toes_not_up", "trunk_lean"),
}


@dataclass(frozen=True)
class Verdict:
    """What the rules make of one rep. ``problems``: values in no band (too near a threshold)."""

    counted: bool
    faults: tuple[str, ...]
    problems: tuple[str, ...]


def _rest_drive(script: MotionScript) -> float:
    return script.stance_deg if script.exercise == "side-leg-raise" else script.rest_knee_deg


def drive_curve(script: MotionScript, rep: Rep, dt_s: float = 0.001) -> list[float]:
    """The working angle over one rep (rise, hold with its wobble, lower), sampled every ``dt_s``."""
    from posecount.synth.motion import ease_fn

    ease = ease_fn(script.ease)
    rest = _rest_drive(script)
    out: list[float] = []
    n_rise = max(1, round(rep.rise_s / dt_s))
    n_hold = max(1, round(rep.hold_s / dt_s))
    n_lower = max(1, round(rep.lower_s / dt_s))
    amp = rep.peak_deg - rest
    out.extend(rest + amp * ease(k / n_rise) for k in range(n_rise))
    cycles = max(1, round(rep.hold_s / 1.3))
    out.extend(rep.peak_deg - script.hold_wobble_deg * math.sin(math.pi * cycles * k / n_hold) ** 2
               for k in range(n_hold))
    out.extend(rest + amp * (1.0 - ease(k / n_lower)) for k in range(n_lower + 1))
    return out


def effective_hold_s(script: MotionScript, rep: Rep, dt_s: float = 0.001,
                     max_speed_deg_s: float | None = None) -> float:
    """How long the engine would see the leg held (exercises/hold.py): the longest stretch at or above the
    target (down to target - hysteresis once reached) and, with ``max_speed_deg_s``, moving slower than
    that: the plateau plus the nearly still ends of the ramps. None: the target condition only.
    """
    rules = RULES[script.exercise]
    curve = drive_curve(script, rep, dt_s)
    best = run = 0
    reached = False
    for i, a in enumerate(curve):
        ok = a >= (rules.target_deg - rules.hysteresis_deg if reached else rules.target_deg)
        reached = reached or a >= rules.target_deg
        if ok and max_speed_deg_s is not None:
            lo, hi = max(i - 1, 0), min(i + 1, len(curve) - 1)
            ok = abs(curve[hi] - curve[lo]) / ((hi - lo) * dt_s) <= max_speed_deg_s
        run = run + 1 if ok else 0
        best = max(best, run)
    return best * dt_s


def effective_lower_s(script: MotionScript, rep: Rep, dt_s: float = 0.001) -> float:
    """The lowering time as the engine measures it: 80 %→30 % of the way down, scaled to 100 %."""
    rest = _rest_drive(script)
    curve = drive_curve(script, rep, dt_s)
    peak = max(curve)
    i_peak_end = max(i for i, a in enumerate(curve) if a >= peak - 1e-9)
    amp = peak - rest
    lvl80, lvl30 = rest + 0.8 * amp, rest + 0.3 * amp
    tail = curve[i_peak_end:]
    i80 = next(i for i, a in enumerate(tail) if a <= lvl80)
    i30 = next((i for i, a in enumerate(tail) if i >= i80 and a <= lvl30), len(tail) - 1)
    return (i30 - i80) * dt_s / LOWER_SPAN_FRACTION


def _classify(value: float, clean: Band | None, fault: Band | None, what: str,
              problems: list[str]) -> bool | None:
    """True: in the fault band; False: clean; None (and a problem) when in neither."""
    if clean is not None and value in clean:
        return False
    if fault is not None and value in fault:
        return True
    bands = " or ".join(f"{b}" for b in (clean, fault) if b is not None)
    problems.append(f"{what} {value:g} is in no safe band ({bands})")
    return None


def expected_verdict(script: MotionScript, rep: Rep) -> Verdict:
    """(counted, faults) that the engine's rules give this rep, and any value too near a threshold."""
    r = RULES[script.exercise]
    problems: list[str] = []
    faults: set[str] = set()
    if rep.peak_deg in r.peak_clean:
        reached = True
    elif r.peak_bent is not None and rep.peak_deg in r.peak_bent:
        reached = True
        faults.add("knee_bent")
    elif rep.peak_deg in r.peak_small:
        reached = False
        faults.add("range_too_small")
    else:
        bands = ", ".join(str(b) for b in (r.peak_clean, r.peak_bent, r.peak_small) if b is not None)
        problems.append(f"peak_deg {rep.peak_deg:g} is in no safe band ({bands})")
        reached = False

    short = _classify(rep.hold_s, r.hold_clean, r.hold_short, "hold_s", problems)
    if reached and short:
        faults.add("hold_too_short")
        # upper bound: a smoothed speed estimate lags, so allow twice the engine's speed limit
        eff_hold = effective_hold_s(script, rep, max_speed_deg_s=SPEED_SLACK * r.hold_max_speed_deg_s)
        if eff_hold > (1.0 - r.hold_margin) * r.min_hold_s:
            problems.append(f"hold_s {rep.hold_s:g}: the engine could see a {eff_hold:.2f} s hold (the ends of "
                            f"the rise and the lowering stay in the hold band), too near min_hold_s "
                            f"{r.min_hold_s:g}; shorten the hold, the rise or the lowering")
    elif reached and short is False:
        eff_hold = effective_hold_s(script, rep, max_speed_deg_s=r.hold_max_speed_deg_s)
        if eff_hold < (1.0 + r.hold_margin) * r.min_hold_s:
            problems.append(f"hold_s {rep.hold_s:g}: effective hold {eff_hold:.2f} s too near {r.min_hold_s:g} s")

    fast = _classify(rep.lower_s, r.lower_clean, r.lower_fast, "lower_s", problems)
    if r.min_lower_s > 0:
        eff_lower = effective_lower_s(script, rep)
        if fast and eff_lower > (1.0 - r.lower_margin) * r.min_lower_s:
            problems.append(f"lower_s {rep.lower_s:g}: measured as {eff_lower:.2f} s, too near {r.min_lower_s:g} s")
        if fast is False and eff_lower < (1.0 + r.lower_margin) * r.min_lower_s:
            problems.append(f"lower_s {rep.lower_s:g}: the engine measures 80→30 % of the lowering scaled to "
                            f"100 %, {eff_lower:.2f} s, too near min_lower_s {r.min_lower_s:g}; use >= "
                            f"{(1.0 + r.lower_margin) * r.min_lower_s:.1f} s")
        if fast and reached:
            faults.add("lowered_too_fast")

    if rep.rise_s not in r.rise:
        problems.append(f"rise_s {rep.rise_s:g} outside {r.rise}")
    if rep.rest_s + 1e-9 < r.min_rest_s:
        problems.append(f"rest_s {rep.rest_s:g} < {r.min_rest_s:g}")

    if script.exercise == "side-leg-raise":
        lean = abs(rep.trunk_lean_deg or 0.0)
        if _classify(lean, r.lean_clean, r.lean_fault, "trunk_lean_deg", problems):
            faults.add("trunk_lean")
        bent = _classify(rep.knee_bend_deg, r.knee_bend_clean, r.knee_bend_fault, "knee_bend_deg", problems)
        if bent and reached:
            faults.add("knee_bent")
        if rep.ankle_plantarflex_deg != 0:
            problems.append("ankle_plantarflex_deg must be 0 for side-leg-raise")
    else:
        top = rep.trunk_lean_deg if rep.trunk_lean_deg is not None else script.rest_trunk_deg
        if _classify(abs(top), r.lean_clean, r.lean_fault, "trunk_lean_deg", problems):
            faults.add("trunk_lean")
        toes = _classify(rep.ankle_plantarflex_deg, r.ankle_clean, r.ankle_fault, "ankle_plantarflex_deg",
                         problems)
        if toes and reached:
            faults.add("toes_not_up")
        if rep.knee_bend_deg != 0:
            problems.append("knee_bend_deg must be 0 for seated-knee-extension (peak_deg is the knee angle)")
    order = FAULT_ORDER[script.exercise]
    counted = reached and not short and short is not None and not problems
    return Verdict(counted=counted, faults=tuple(sorted(faults, key=order.index)), problems=tuple(problems))


def check_script(script: MotionScript) -> list[str]:
    """Every problem with the script: structure, values near thresholds, intents the rules contradict.

    A script with ``truth_rules="clinical"`` is checked against the exercise's clinical definition instead
    (:func:`posecount.synth.clinical.check_clinical_script`), which knows none of the engine's thresholds.
    """
    problems = list(validate_structure(script))
    if problems:
        return problems
    if script.truth_rules == "clinical":
        from posecount.synth.clinical import check_clinical_script

        return check_clinical_script(script)
    if script.exercise not in RULES:
        return problems
    r = RULES[script.exercise]
    if script.reps and script.initial_rest_s + 1e-9 < r.min_initial_rest_s:
        problems.append(f"initial_rest_s {script.initial_rest_s:g} < {r.min_initial_rest_s:g}")
    if script.exercise == "side-leg-raise":
        if script.stance_deg not in Band(2.0, 4.0):
            problems.append(f"stance_deg {script.stance_deg:g} outside 2..4")
    else:
        if script.rest_knee_deg not in Band(85.0, 95.0):
            problems.append(f"rest_knee_deg {script.rest_knee_deg:g} outside 85..95")
        if abs(script.rest_trunk_deg) not in r.lean_clean:
            problems.append(f"rest_trunk_deg {script.rest_trunk_deg:g} outside {r.lean_clean}")
    for tm in rep_timings(script):
        rep = tm.rep
        v = expected_verdict(script, rep)
        where = f"rep {tm.index} ({rep.side})"
        problems.extend(f"{where}: {p}" for p in v.problems)
        if v.problems:
            continue
        if len(set(rep.expect_faults)) != len(rep.expect_faults):
            problems.append(f"{where}: expect_faults lists a fault twice")
        if rep.expect_counted != v.counted:
            problems.append(f"{where}: expect_counted={rep.expect_counted} but the rules say {v.counted}")
        if set(rep.expect_faults) != set(v.faults):
            problems.append(f"{where}: expect_faults={sorted(rep.expect_faults)} but the rules say {list(v.faults)}")
    return problems
