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

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from posecount.features.registry import FeatureDef

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
#: What a spec counts: each leg (``left``, ``right``) or the whole body (``both``: one count, both legs).
Track = Literal["left", "right", "both"]
TRACKS: tuple[Track, Track, Track] = ("left", "right", "both")
TrackKind = Literal["per_leg", "near_leg", "whole_body"]
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


def _alias(name: str, old: str) -> AliasChoices:
    """A threshold's name, and its older name with the unit (``start_deg``) that degree specs still use."""
    return AliasChoices(name, old)


class DriveSpec(_Frozen):
    """The feature that drives a rep (per leg or whole-body) and the thresholds of the rep state machine.

    All thresholds are in the drive's ``unit`` (degrees, or a ratio). A rising drive (``direction =
    "rise"``: a lift, an extension, a stand) goes rest < start < target; a falling one (a squat's hip
    height) rest > start > target. Degree specs may name the thresholds with their unit, as the seed's do
    (``start_deg``, ``target_deg``, ``hysteresis_deg``, ``rest_deg``, ``rest_shift_max_deg``,
    ``hold_max_speed_deg_s``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    feature: str = Field(description="the feature's name in the registry, e.g. hip_abduction_deg")
    unit: Unit = Field("deg", description="the feature's unit, which every threshold below is in")
    direction: Literal["rise", "fall"] = Field("rise", description="away from rest the drive rises or falls")
    start: float = Field(validation_alias=_alias("start", "start_deg"),
                         description="an attempt starts when the drive passes this, away from rest")
    target: float = Field(validation_alias=_alias("target", "target_deg"),
                          description="the target range starts here; a rep must reach it")
    hysteresis: float = Field(3.0, ge=0, le=30, validation_alias=_alias("hysteresis", "hysteresis_deg"),
                              description="dead band behind each threshold against jitter")
    hold_band_deg: float = Field(
        4.0, gt=0, le=30, description="no longer used (the hold is exercises/hold.py's); kept so older specs load")
    min_hold_s: float = Field(gt=0, le=60, description="a rep counts only if held at least this long")
    hold_max_speed_per_s: float = Field(
        10.0, gt=0, le=200, validation_alias=_alias("hold_max_speed_per_s", "hold_max_speed_deg_s"),
        description="held only while the drive moves slower than this per second (not lifted or lowered on "
        "purpose); above natural sway and tremor")
    hold_grace_s: float = Field(0.25, ge=0, le=2, description="a dip shorter than this does not end the hold")
    hold_descent_window_s: float = Field(
        1.0, ge=0, le=3, description="a hold that ends on a lowering ends where the lowering began, looked for "
        "this far back from the hold's last held frame (its first degrees are slower than hold_max_speed); 0: off")
    min_lower_s: float = Field(0.0, ge=0, le=30, description="lowering faster than this is lowered_too_fast")
    rest_confirm_s: float = Field(0.15, ge=0, le=2, description="back at rest only after staying there this long")
    hold_window_s: float = Field(
        0.6, gt=0, le=3, description="the drive's speed for the hold is its slope over this window (sway averages out)")
    rest: float | None = Field(
        None, validation_alias=_alias("rest", "rest_deg"),
        description="the usual rest level; each track's own rest is learned and the lines move with it "
        "(None: the lines are absolute)")
    rest_shift_max: float = Field(
        0.0, ge=0, le=45, validation_alias=_alias("rest_shift_max", "rest_shift_max_deg"),
        description="how far a learned rest may move the lines from the spec's, either way")
    target_follows_rest: bool = Field(
        True, description="the target moves on with a rest further along (a lift above rest); never short of target")
    max_gap_s: float = Field(1.0, gt=0, le=10, description="an attempt unseen for longer than this is dropped")
    dip_fill_s: float = Field(
        0.0, ge=0, le=2, description="dips of the drive back toward rest narrower than this are filled (the pose "
        "model's occlusion guesses fall back toward rest); the engine decides this much late")

    @property
    def sign(self) -> float:
        """+1 for a rising drive, -1 for a falling one: the engine works on ``sign * value``, which rises."""
        return 1.0 if self.direction == "rise" else -1.0

    @property
    def display_name(self) -> str:
        """The drive's name on screen: the feature's, without its unit (``knee_angle_deg``: knee angle)."""
        return self.feature.removesuffix("_deg").replace("_", " ")

    def label(self, name: str) -> str:
        """A threshold's name as a spec in this unit writes it: ``start_deg`` for degrees, else ``start``."""
        return f"{name}_deg" if self.unit == "deg" else name

    @model_validator(mode="after")
    def _ordered(self) -> DriveSpec:
        k, way = self.sign, ("rises" if self.direction == "rise" else "falls")
        past = "above" if self.direction == "rise" else "below"
        before = "below" if self.direction == "rise" else "above"
        start = self.label("start")
        if not k * self.start < k * self.target:
            raise SpecFieldError((self.label("target"),), f"{self.target:g} must be {past} {start} ({self.start:g}): "
                                 f"the drive {way} from the start line to the target")
        if self.rest is not None and not k * self.rest < k * self.start:
            raise SpecFieldError((self.label("rest"),), f"{self.rest:g} must be {before} {start} ({self.start:g}): "
                                 f"an attempt starts when the drive {way} from rest past the start line")
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
    evidence: Literal["median", "best"] = Field(
        "median", description="a hold rule judges the feature's median over the hold, or (best) its best-seen "
        "fifth: the 80th percentile under a min, the 20th over a max; for a feature whose landmark errors run one "
        "way (side-on a misplaced ankle reads a straight knee bent, never the reverse)")
    lead_s: float = Field(0.0, ge=0, le=5, description="an attempt-window rule also watches this long before the "
                          "attempt starts (a push-off with the hands begins while still seated)")
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

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    target: float | None = Field(None, validation_alias=_alias("target", "target_deg"),
                                 description="this leg's target (a weak leg may be given a lower one)")
    min_hold_s: float | None = Field(None, gt=0, le=60, description="this leg's hold time")


class ExerciseSpec(_Frozen):
    """One exercise, as data."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    description: str
    view: Literal["front", "side"] = Field(description="where the camera must be")
    posture: Literal["standing", "seated", "any"] = Field(
        description="the posture the view check asks for; any: none (a sit-to-stand passes through both)")
    sides: Literal["both", "near"] = Field(
        "both", description="older name of track: both legs (per_leg), or the leg nearer the camera (near_leg)")
    track: TrackKind | None = Field(
        None, description="what is counted: each leg (per_leg), the leg nearer the camera (near_leg, side "
        "views), or the whole body (whole_body: both legs together, one count); default from sides")
    goal_per_side: int = Field(10, ge=1, le=100)
    drive: DriveSpec
    rules: tuple[FormRule, ...] = ()
    gates: tuple[Gate, ...] = ()
    messages: Messages = Messages()
    sources: tuple[str, ...] = Field((), description="where the thresholds come from")
    per_side: dict[Side, SideSettings] = Field(
        default_factory=dict, description="personal targets and hold times per leg (a prescription)")

    @property
    def track_kind(self) -> TrackKind:
        if self.track is not None:
            return self.track
        return "per_leg" if self.sides == "both" else "near_leg"

    @property
    def tracks(self) -> tuple[Track, ...]:
        """What the engine keeps a state machine for: both legs, or the whole body."""
        return ("both",) if self.track_kind == "whole_body" else SIDES

    def target(self, track: Track) -> float:
        """The target in force for ``track`` (a leg's personal one, else the spec's), in the drive's unit."""
        own = self.per_side.get(track) if track != "both" else None
        return own.target if own is not None and own.target is not None else self.drive.target

    def min_hold_s(self, track: Track) -> float:
        own = self.per_side.get(track) if track != "both" else None
        return own.min_hold_s if own is not None and own.min_hold_s is not None else self.drive.min_hold_s

    def features_used(self) -> tuple[str, ...]:
        """The names of the features this spec reads (drive, gates, rules), each once, the drive first."""
        names = [self.drive.feature, *(g.feature for g in self.gates), *(r.feature for r in self.rules)]
        return tuple(dict.fromkeys(names))

    @property
    def needs_silhouette(self) -> bool:
        """Whether a feature it reads needs the person's silhouette (:attr:`PoseOptions.silhouette`)."""
        from posecount.features import registry  # the registry imports this module

        return any(registry.FEATURES[name].silhouette for name in self.features_used())

    @property
    def needs_leg_motion(self) -> bool:
        """Whether its drive can be read from the legs' motion too, or a feature it reads from the thighs'
        (:attr:`PoseOptions.leg_motion`)."""
        from posecount.features import registry  # the registry imports this module

        return registry.FEATURES[self.drive.feature].leg_motion or any(
            registry.FEATURES[name].thigh_motion for name in self.features_used())

    @property
    def needs_knee_motion(self) -> bool:
        """Whether its drive can be read from a seated knee's motion too (:attr:`PoseOptions.knee_motion`)."""
        from posecount.features import registry  # the registry imports this module

        return registry.FEATURES[self.drive.feature].knee_motion

    def personalised(self, target: dict[Side, float] | None = None,
                     min_hold_s: dict[Side, float] | None = None) -> ExerciseSpec:
        """This spec with a person's own target and hold per leg (validated like the rest of the spec)."""
        per_side = {side: SideSettings(
            target=(target or {}).get(side, self.target(side)),
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
        whole = self.track_kind == "whole_body"
        given_unit = d.unit if "unit" in d.model_fields_set else None
        drive = _resolve(registry.FEATURES, ("drive",), d.feature, self.view, per_side=not whole, unit=given_unit,
                         side="body" if whole else None)
        if drive.unit != d.unit:
            raise SpecFieldError(("drive", "unit"), f"{d.unit!r} (the default), but {drive.name} is measured in "
                                 f"{drive.unit}: write unit = \"{drive.unit}\" and the thresholds in it")
        for name in ("start", "target", "rest"):
            _within(drive, ("drive", d.label(name)), getattr(d, name))
        if whole:
            for i, gate in enumerate(self.gates):
                if gate.side != "body":
                    raise SpecFieldError(("gates", i, "side"), f"{gate.side!r} reads a leg, but {self.name} is "
                                         'counted for the whole body (write side = "body")')
            for i, rule in enumerate(self.rules):
                if rule.side != "body":
                    raise SpecFieldError(("rules", i, "side"), f"{rule.side!r} reads a leg, but {self.name} is "
                                         'counted for the whole body (write side = "body")')
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
        k = d.sign
        line = d.start + k * d.hysteresis
        for side, own in self.per_side.items():
            if own.target is None:
                continue
            if not (k * line < k * own.target and drive.bounds[0] <= own.target <= drive.bounds[1]):
                past = "above" if k > 0 else "below"
                raise ValueError(f"the {side} target {own.target:g} {d.unit} must be {past} the start line "
                                 f"({line:g} {d.unit}) and within {drive.bounds[0]:g}-{drive.bounds[1]:g}")
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
