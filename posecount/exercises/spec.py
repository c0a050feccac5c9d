"""Exercise specs: data a physiotherapist can read and edit, validated on load.

A spec names the per-side angle that drives the repetition (``drive``), the thresholds of the rep state
machine, and the form rules. :mod:`posecount.exercises.engine` interprets any spec; adding an exercise is
adding a TOML file next to this module, never touching the engine.

Every feature a spec names (drive, gates, rules) is checked against the feature registry
(:mod:`posecount.features.registry`) when the spec loads: it must exist, be measured in the spec's view,
per leg or for the whole body as the field reads it, in the unit the field is in, and every threshold on it
must be one the feature can reach. A problem is a :class:`SpecFieldError` naming the field, which
:func:`posecount.exercises.load_spec` turns into one line naming the file and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from posecount.features.registry import FeatureDef

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
Unit = Literal["deg", "ratio"]
FieldPath = tuple[str | int, ...]


class SpecFieldError(ValueError):
    """A spec problem at one field; ``field`` is its path below the model that raised it, e.g.
    ``("rules", 1, "feature")``."""

    def __init__(self, field: FieldPath, message: str) -> None:
        super().__init__(message)
        self.field = field


def field_path(parts: FieldPath) -> str:
    """``("rules", 1, "feature")`` → ``rules[1].feature``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriveSpec(_Frozen):
    """The angle that drives a rep, per side, and the thresholds of the rep state machine.

    The angle rises away from rest: rest_deg < start_deg < target_deg.
    """

    feature: str = Field(description="per-side feature name, e.g. hip_abduction_deg")
    unit: Unit = Field("deg", description="the feature's unit; the thresholds below are in degrees")
    start_deg: float = Field(description="an attempt starts when the angle rises above this")
    target_deg: float = Field(description="the target range starts here; a rep must reach it")
    hysteresis_deg: float = Field(3.0, ge=0, le=30, description="dead band below each threshold against jitter")
    hold_band_deg: float = Field(
        4.0, gt=0, le=30, description="no longer used (the hold is exercises/hold.py's); kept so older specs load")
    min_hold_s: float = Field(gt=0, le=60, description="a rep counts only if held at least this long")
    hold_max_speed_deg_s: float = Field(
        10.0, gt=0, le=200, description="the leg is held only while it moves slower than this (not lifted or "
        "lowered on purpose); above natural sway and tremor")
    hold_grace_s: float = Field(0.25, ge=0, le=2, description="a dip shorter than this does not end the hold")
    min_lower_s: float = Field(0.0, ge=0, le=30, description="lowering faster than this is lowered_too_fast")
    rest_confirm_s: float = Field(0.15, ge=0, le=2, description="back at rest only after staying there this long")
    hold_window_s: float = Field(
        0.6, gt=0, le=3, description="the leg's speed for the hold is its slope over this window (sway averages out)")
    rest_deg: float | None = Field(
        None, description="the usual rest level; each leg's own rest is learned and the lines move with it "
        "(None: the lines are absolute)")
    rest_shift_max_deg: float = Field(
        0.0, ge=0, le=45, description="how far a learned rest may move the lines from the spec's, either way")
    target_follows_rest: bool = Field(
        True, description="the target moves up with a higher rest (a lift above rest); never below target_deg")
    max_gap_s: float = Field(1.0, gt=0, le=10, description="an attempt unseen for longer than this is dropped")

    @model_validator(mode="after")
    def _ordered(self) -> DriveSpec:
        if not self.start_deg < self.target_deg:
            raise SpecFieldError(("target_deg",), f"{self.target_deg:g} must be above start_deg ({self.start_deg:g}): "
                                 "the drive rises from the start line to the target")
        if self.rest_deg is not None and not self.rest_deg < self.start_deg:
            raise SpecFieldError(("rest_deg",), f"{self.rest_deg:g} must be below start_deg ({self.start_deg:g}): "
                                 "an attempt starts when the drive rises from rest past the start line")
        return self


class FormRule(_Frozen):
    """A form fault: the feature leaves [min, max] for at least ``min_duration_s`` within ``window``.

    window: "attempt" (anywhere from lift to rest) or "hold" (at the top: median over the hold).
    side:   "working" reads the feature of the working leg, "body" a whole-body feature.
    """

    code: str
    feature: str
    unit: Unit | None = Field(None, description="the feature's unit (checked when given); min and max are in it")
    side: Literal["working", "body"] = "body"
    window: Literal["attempt", "hold"] = "attempt"
    min: float | None = None
    max: float | None = None
    min_duration_s: float = Field(0.3, ge=0, le=10)
    message: str
    priority: int = Field(50, ge=0, le=100, description="higher speaks first")
    source: str = Field("", description="where the threshold comes from")

    @model_validator(mode="after")
    def _bounded(self) -> FormRule:
        if self.min is None and self.max is None:
            raise ValueError(f"rule {self.code}: give min, max or both")
        _check_band(self.min, self.max)
        return self

    def violated(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


class Gate(_Frozen):
    """A condition that must hold for a side's movement to be this exercise at all (checked every frame).

    While a gate fails the side is frozen, as if unseen: an attempt that fails a gate for longer than
    ``drive.max_gap_s`` is dropped, never counted. ``side`` "other" reads the opposite leg's feature.
    Example: in a side leg raise the standing leg stays under the body; legs spread in a wide stance or a
    dance are not a leg raise.
    """

    feature: str
    unit: Unit | None = Field(None, description="the feature's unit (checked when given); min and max are in it")
    side: Literal["working", "other", "body"] = "other"
    min: float | None = None
    max: float | None = None
    why: str = ""

    @model_validator(mode="after")
    def _band(self) -> Gate:
        _check_band(self.min, self.max)
        return self

    def passes(self, value: float) -> bool:
        if value != value:  # NaN: unknown, do not block on it
            return True
        return not ((self.min is not None and value < self.min) or (self.max is not None and value > self.max))


def _check_band(low: float | None, high: float | None) -> None:
    if low is not None and high is not None and not low < high:
        raise SpecFieldError(("min",), f"{low:g} must be below max ({high:g}): no value could pass")


class Messages(_Frozen):
    """Plain-words coaching lines; {side} and {hold_s} are filled in."""

    lift: str = "Lift your {side} leg"
    hold: str = "Hold… {hold_s:.0f} s"
    lower: str = "Lower slowly"
    praise: str = "Well done"
    other_leg: str = "Now the other leg"
    too_small: str = "Lift a little higher"
    too_short: str = "Hold it a little longer"
    too_fast: str = "Lower more slowly"


class SideSettings(_Frozen):
    """A person's own numbers for one leg (a prescription): they replace the spec's for that leg."""

    target_deg: float | None = Field(None, description="this leg's target (a weak leg may be given a lower one)")
    min_hold_s: float | None = Field(None, gt=0, le=60, description="this leg's hold time")


class ExerciseSpec(_Frozen):
    """One exercise, as data."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    description: str
    view: Literal["front", "side"] = Field(description="where the camera must be")
    posture: Literal["standing", "seated"]
    sides: Literal["both", "near"] = Field(
        "both", description="both legs tracked, or only the leg nearer the camera (side views)")
    goal_per_side: int = Field(10, ge=1, le=100)
    drive: DriveSpec
    rules: tuple[FormRule, ...] = ()
    gates: tuple[Gate, ...] = ()
    messages: Messages = Messages()
    sources: tuple[str, ...] = Field((), description="where the thresholds come from")
    per_side: dict[Side, SideSettings] = Field(
        default_factory=dict, description="personal targets and hold times per leg (a prescription)")

    def target_deg(self, side: Side) -> float:
        own = self.per_side.get(side)
        return own.target_deg if own is not None and own.target_deg is not None else self.drive.target_deg

    def min_hold_s(self, side: Side) -> float:
        own = self.per_side.get(side)
        return own.min_hold_s if own is not None and own.min_hold_s is not None else self.drive.min_hold_s

    def features_used(self) -> tuple[str, ...]:
        """The names of the features this spec reads (drive, gates, rules), each once, the drive first."""
        names = [self.drive.feature, *(g.feature for g in self.gates), *(r.feature for r in self.rules)]
        return tuple(dict.fromkeys(names))

    def personalised(self, target_deg: dict[Side, float] | None = None,
                     min_hold_s: dict[Side, float] | None = None) -> ExerciseSpec:
        """This spec with a person's own target and hold per leg (validated like the rest of the spec)."""
        per_side = {side: SideSettings(
            target_deg=(target_deg or {}).get(side, self.target_deg(side)),
            min_hold_s=(min_hold_s or {}).get(side, self.min_hold_s(side))) for side in SIDES}
        return ExerciseSpec.model_validate({**self.model_dump(), "per_side": per_side})

    @model_validator(mode="after")
    def _unique_codes(self) -> ExerciseSpec:
        codes = [r.code for r in self.rules]
        if len(codes) != len(set(codes)):
            raise ValueError("rule codes must be unique")
        return self

    @model_validator(mode="after")
    def _against_the_registry(self) -> ExerciseSpec:
        """Every feature named exists, is measured in this view, per leg or whole-body as read, in the
        field's unit, and every threshold on it is within what it can measure."""
        # Imported here, not at the top: the features import the engine, which imports this module.
        from posecount.features import registry

        d = self.drive
        given_unit = d.unit if "unit" in d.model_fields_set else None
        drive = _resolve(registry.FEATURES, ("drive",), d.feature, self.view, per_side=True, unit=given_unit)
        if drive.unit != "deg":
            raise SpecFieldError(("drive", "feature"), f"{drive.name} is measured in {drive.unit}, but the drive's "
                                 "thresholds are in degrees (start_deg, target_deg, ...); a drive in "
                                 f"{drive.unit} is not supported yet")
        for name in ("start_deg", "target_deg", "rest_deg"):
            _within(drive, ("drive", name), getattr(d, name))
        for i, gate in enumerate(self.gates):
            f = _resolve(registry.FEATURES, ("gates", i), gate.feature, self.view, gate.side != "body", gate.unit,
                         side=gate.side)
            _within(f, ("gates", i, "min"), gate.min)
            _within(f, ("gates", i, "max"), gate.max)
        for i, rule in enumerate(self.rules):
            f = _resolve(registry.FEATURES, ("rules", i), rule.feature, self.view, rule.side == "working", rule.unit,
                         side=rule.side)
            _within(f, ("rules", i, "min"), rule.min)
            _within(f, ("rules", i, "max"), rule.max)
        high = drive.bounds[1]
        for side, own in self.per_side.items():
            if own.target_deg is not None and not d.start_deg + d.hysteresis_deg < own.target_deg <= high:
                raise ValueError(f"the {side} target {own.target_deg:g} deg must be above the start line "
                                 f"({d.start_deg + d.hysteresis_deg:g} deg) and at most {high:g}")
        return self


def _resolve(features: Mapping[str, FeatureDef], at: FieldPath, name: str, view: str, per_side: bool,
             unit: Unit | None, side: str | None = None) -> FeatureDef:
    """The registered feature ``name`` read at ``at``, or a SpecFieldError saying what is wrong with it."""
    f = features.get(name)
    if f is None:
        close = difflib.get_close_matches(name, list(features), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise SpecFieldError((*at, "feature"), f"unknown feature {name!r} ({hint}known: {', '.join(sorted(features))})")
    if view not in f.views:
        here = sorted(n for n, g in features.items() if view in g.views)
        raise SpecFieldError((*at, "feature"), (
            f"{name} is not measured in the {view} view (only {' and '.join(f.views)}; "
            f"{view}-view features: {', '.join(here)})"))
    if per_side and not f.per_side:
        if side is None:
            raise SpecFieldError((*at, "feature"), f"{name} is a whole-body feature; the drive is measured per leg")
        raise SpecFieldError((*at, "side"), f"{side!r} reads a leg, but {name} is a whole-body feature "
                             '(write side = "body")')
    if not per_side and f.per_side:
        raise SpecFieldError((*at, "side"), f"'body' reads the whole body, but {name} is measured per leg "
                             '(write side = "working")')
    if unit is not None and unit != f.unit:
        raise SpecFieldError((*at, "unit"), f"{unit!r}, but {name} is measured in {f.unit}")
    return f


def _within(feature: FeatureDef, at: FieldPath, value: float | None) -> None:
    low, high = feature.bounds
    if value is not None and not low <= value <= high:
        raise SpecFieldError(at, f"{value:g} {feature.unit} is outside what {feature.name} can measure "
                             f"({low:g} to {high:g} {feature.unit})")
