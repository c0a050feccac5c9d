"""The motion script: everything a synthetic clip shows, as plain dataclasses that round-trip through JSON.

A :class:`MotionScript` fixes the clip (exercise, camera view, resolution, frame rate, seed), the scene
(:class:`Scene`: background, chair, sensor noise), the person (:class:`Look`: colours, size, position) and
the repetitions (:class:`Rep`), each with its timing, its peak angle, its form faults and the script
author's intent (``expect_counted``, ``expect_faults``). Frame ``i`` shows the instant ``i / fps`` seconds.

Angles follow the analysis engine's definitions:

* side-leg-raise (``view="front"``): hip abduction = the angle of the hip→ankle line from vertical in the
  image, outward positive. At rest each leg stands at ``stance_deg``.
* seated-knee-extension (``view="side-facing-left"`` / ``"side-facing-right"``): the interior
  hip–knee–ankle angle, 180 = straight, ``rest_knee_deg`` (~90) at rest.

Realistic motion (opt-in; the defaults draw exactly what the first sample set shows): ``ease="min-jerk"``
(Flash & Hogan's 10τ³−15τ⁴+6τ⁵ instead of the cosine ease), per-rep sway and tremor during the hold
(:class:`Sway`: sinusoids on the driving angle) and a sagging hold (``Rep.sag_deg_s``), any ``stance_deg``,
zero-hold flicks, and chairs of several designs (``Scene.chair_design``). Such scripts say
``truth_rules="clinical"``: their truth is checked against the exercise's clinical definition
(:mod:`posecount.synth.clinical`), not against the engine's thresholds.

How the clip is recorded (opt-in; the default is a constant-rate .mp4, what the first set is):
``container`` ``"mp4"``, ``"mov"`` (QuickTime, as a phone writes) or ``"webm"`` (as a browser's
MediaRecorder writes); ``display_rotation_deg``, a phone's rotation tag: the frames are drawn upright at
``width`` x ``height`` (the displayed size) but stored turned, with a display matrix that turns them back;
``vfr`` (:class:`VariableRate`), frame times that vary like a browser's, drawn from the seed, in whole
milliseconds. Frame ``i`` then shows the instant :meth:`MotionScript.frame_time_s` ``(i)``, its own
presentation time, so the truth stays exact; ``fps`` stays the nominal rate (what was asked of the camera).

The exercises of issue 9 (opt-in by ``exercise``; drawn by :mod:`posecount.synth.moves` and
:mod:`posecount.synth.poses`, judged by :mod:`posecount.synth.programme`): ``sit-to-stand``, ``mini-squat`` and
``standing-hamstring-curl`` side-on, ``standing-calf-raise`` and ``standing-march`` front-on (the calf raise also
``from_behind``), each rep on the same schedule, with its own driving angle (moves.py's table); whole-body
exercises' reps say ``side="both"``. ``test`` names the function test a clip shows (``chair-stand-30s``,
``five-times-sit-to-stand``: sit-to-stand reps; ``four-stage-balance``: :class:`Stance` objects instead of
reps). Such scripts use ``truth_rules="clinical"``.

JSON: the fields added for realistic motion, for the recording and for issue 9 are left out of
:meth:`MotionScript.to_dict` while they hold their defaults, so the earlier sample sets' truth files stay
byte for byte what they were.
"""

from __future__ import annotations

import functools
import json
import math
import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Exercise = Literal["side-leg-raise", "seated-knee-extension", "sit-to-stand", "standing-calf-raise", "mini-squat",
                   "standing-march", "standing-hamstring-curl", "four-stage-balance"]
View = Literal["front", "side-facing-left", "side-facing-right"]
SideName = Literal["left", "right"]
#: A rep's side: a leg, or ``both`` for an exercise counted for the whole body (sit-to-stand, calf raise, squat).
RepSide = Literal["left", "right", "both"]
StanceName = Literal["side_by_side", "semi_tandem", "tandem", "one_leg"]
Background = Literal["plain", "gradient", "room"]
Ease = Literal["cosine", "min-jerk"]
TruthRulesName = Literal["engine-bands", "clinical"]
ChairDesign = Literal["rail", "slatted", "solid", "metal", "kitchen-angle"]
Container = Literal["mp4", "mov", "webm"]

EASES: tuple[str, ...] = ("cosine", "min-jerk")
TRUTH_RULES: tuple[str, ...] = ("engine-bands", "clinical")
#: ``rail``: the first design (two posts and a top rail); the others are drawn by :mod:`posecount.synth.chairs`.
CHAIR_DESIGNS: tuple[str, ...] = ("rail", "slatted", "solid", "metal", "kitchen-angle")
#: Frequencies a sway or tremor may have: body sway (~0.3-1 Hz) up to physiological tremor (~8 Hz).
SWAY_HZ_RANGE: tuple[float, float] = (0.3, 8.0)
#: Containers a clip can be written in (:mod:`posecount.synth.video`): the file's suffix is the name.
CONTAINERS: tuple[str, ...] = ("mp4", "mov", "webm")
#: Display rotations a clip can carry (counter-clockwise degrees of its display matrix, FFmpeg's sign).
DISPLAY_ROTATIONS: tuple[int, ...] = (0, 90, 180, 270)

EXERCISES: tuple[str, ...] = ("side-leg-raise", "seated-knee-extension", "sit-to-stand", "standing-calf-raise",
                              "mini-squat", "standing-march", "standing-hamstring-curl", "four-stage-balance")
_SIDE_VIEWS = ("side-facing-left", "side-facing-right")
VIEWS: dict[str, tuple[str, ...]] = {
    "side-leg-raise": ("front",),
    "seated-knee-extension": _SIDE_VIEWS,
    "sit-to-stand": _SIDE_VIEWS,
    "standing-calf-raise": ("front",),
    "mini-squat": _SIDE_VIEWS,
    "standing-march": ("front",),
    "standing-hamstring-curl": _SIDE_VIEWS,
    "four-stage-balance": _SIDE_VIEWS,
}
#: The exercises of issue 9 (drawn by :mod:`posecount.synth.moves` and :mod:`posecount.synth.poses`, judged by
#: :mod:`posecount.synth.programme`); the first two are drawn by motion.py and body.py.
PROGRAMME_EXERCISES: tuple[str, ...] = EXERCISES[2:]
#: Counted for the whole body: one count per rep, ``side="both"``.
WHOLE_BODY_EXERCISES: tuple[str, ...] = ("sit-to-stand", "standing-calf-raise", "mini-squat")
#: The function tests a script can be (``MotionScript.test``) and the exercise each one draws.
TESTS: dict[str, str] = {"chair-stand-30s": "sit-to-stand", "five-times-sit-to-stand": "sit-to-stand",
                         "four-stage-balance": "four-stage-balance"}
STANCES: tuple[str, ...] = ("side_by_side", "semi_tandem", "tandem", "one_leg")
SCRIPT_VERSION = 1


class ScriptError(ValueError):
    """A motion script is malformed or contradicts the truth rules."""


@dataclass
class Look:
    """How the person looks and where they are. Colours are ``"#rrggbb"``.

    ``height_px`` is the standing height (floor to top of head) in pixels, also for a seated person (who
    then appears about 0.75 of it tall). ``center_x_frac`` places the body's centre (mid-hip for the front
    view, the hip joint for the side view) as a fraction of the frame width; ``floor_y_frac`` places the
    floor under the feet as a fraction of the frame height.
    """

    skin: str = "#c89878"
    hair: str = "#3a2a1e"
    shirt: str = "#2f6db5"
    trousers: str = "#30343c"
    shoes: str = "#f0f0f0"
    height_px: float = 400.0
    center_x_frac: float = 0.5
    floor_y_frac: float = 0.96


@dataclass
class Scene:
    """The room and the camera. ``noise_sigma`` is the sensor noise's standard deviation in 8-bit levels."""

    background: Background = "room"
    wall: str = "#d8d2c4"
    floor: str = "#8a7458"
    chair: bool = True
    chair_color: str = "#6b4a2e"
    noise_sigma: float = 1.5
    #: Horizontal shift of the room's features (window, picture) as a fraction of the width.
    decor_shift_frac: float = 0.0
    #: The chair in front of a standing person (front view only); ``rail`` is the first design.
    chair_design: ChairDesign = "rail"


@dataclass
class Sway:
    """A sinusoid added to the driving angle during a hold: sway (slow, ~0.3-1 Hz) or tremor (4-8 Hz).

    ``amplitude_deg`` is the half swing (±), ``frequency_hz`` its frequency, ``phase_deg`` where the sine
    starts when the hold begins (0: moving up through the held angle).
    """

    amplitude_deg: float
    frequency_hz: float
    phase_deg: float = 0.0

    def __post_init__(self) -> None:
        self.amplitude_deg = float(self.amplitude_deg)
        self.frequency_hz = float(self.frequency_hz)
        self.phase_deg = float(self.phase_deg)


@dataclass
class VariableRate:
    """Frame times like a browser's MediaRecorder (whole milliseconds, drawn from the script's seed).

    Each frame comes ``min_interval_ms``..``max_interval_ms`` after the previous one (uniform); ``stalls``
    times the page is busy and the next frame comes only ``stall_min_ms``..``stall_max_ms`` later (a dropped
    stretch). Stalls fall between 1 s after the start and 1.5 s before the end.
    """

    min_interval_ms: int = 25
    max_interval_ms: int = 60
    stalls: int = 0
    stall_min_ms: int = 150
    stall_max_ms: int = 400

    def __post_init__(self) -> None:
        for f in fields(self):
            setattr(self, f.name, int(getattr(self, f.name)))


@dataclass
class Rep:
    """One repetition of the working leg, in time order: rise, hold, lower, then rest.

    peak_deg:              the driving angle at the top (abduction, or the knee angle when seated)
    knee_bend_deg:         side-leg-raise: flexion of the working knee at the top (0 = straight)
    trunk_lean_deg:        the trunk's angle from vertical at the top; side-leg-raise: sideways toward the
                           standing leg (rest 0); seated: positive = leaning back. None: stay at rest posture
    ankle_plantarflex_deg: seated: toes pointing away at the top (0 = foot at 90° to the shank)
    expect_counted/expect_faults: what the script's author intends the analysis to report
    sway:                  sinusoids on the driving angle during the hold (faded in and out, see motion.py)
    sag_deg_s:             a sagging hold: the held angle drifts down at this rate (the lowering starts
                           from where the hold ended)

    ``hold_s`` may be 0 in a clinical script: a flick, up and straight back down.

    The exercises of issue 9 (see the module) read the same fields with their own driving angle, and three more
    (left out of the JSON at their defaults):

    push_off:              sit-to-stand: the hands leave the chest and push on the chair's seat during the rise
    hip_flex_deg:          standing-hamstring-curl: the thigh's swing forward from vertical at the top
    shank_tilt_deg:        mini-squat: the shank's forward tilt at the bottom (None: 0.35 of the knee flexion); a
                           large tilt takes the knee past the toes
    """

    side: RepSide
    peak_deg: float
    rise_s: float = 1.5
    hold_s: float = 3.0
    lower_s: float = 2.0
    rest_s: float = 2.0
    knee_bend_deg: float = 0.0
    trunk_lean_deg: float | None = None
    ankle_plantarflex_deg: float = 0.0
    expect_counted: bool = True
    expect_faults: list[str] = field(default_factory=list)
    sway: list[Sway] = field(default_factory=list)
    sag_deg_s: float = 0.0
    push_off: bool = False
    hip_flex_deg: float = 0.0
    shank_tilt_deg: float | None = None

    def __post_init__(self) -> None:
        for name in ("peak_deg", "rise_s", "hold_s", "lower_s", "rest_s", "knee_bend_deg", "ankle_plantarflex_deg",
                     "sag_deg_s", "hip_flex_deg"):
            setattr(self, name, float(getattr(self, name)))
        self.push_off = bool(self.push_off)
        if self.trunk_lean_deg is not None:
            self.trunk_lean_deg = float(self.trunk_lean_deg)
        if self.shank_tilt_deg is not None:
            self.shank_tilt_deg = float(self.shank_tilt_deg)
        self.expect_faults = list(self.expect_faults)
        self.sway = [s if isinstance(s, Sway) else Sway(**_known(Sway, s)) for s in self.sway]

    @property
    def sway_amplitude_deg(self) -> float:
        """The most the sway and tremor can add to (or take from) the held angle."""
        return sum(abs(s.amplitude_deg) for s in self.sway)


@dataclass
class Stance:
    """One stance of the 4-stage balance test, in order: the person moves into it, then keeps it.

    name:    ``side_by_side``, ``semi_tandem`` (the front foot's instep beside the other's big toe: half a foot
             ahead), ``tandem`` (the front heel against the back toes: a foot ahead) or ``one_leg`` (the near foot
             lifted, knee bent)
    move_s:  getting into it: the far foot steps (or, for one leg, comes back beside the other and the near foot
             lifts); the stance is *taken* when this move ends
    hold_s:  how long it is kept from then. 10 s or more is the protocol's "held" (the person waits for the
             examiner's word and moves on); less: balance is lost and a foot steps out (``STEP_OUT_S``), which ends
             the test
    sway_px: the body's fore-aft sway (amplitude in pixels at the hips) while it is kept
    """

    name: StanceName
    hold_s: float = 10.6
    move_s: float = 1.2
    sway_px: float = 1.5

    def __post_init__(self) -> None:
        for name in ("hold_s", "move_s", "sway_px"):
            setattr(self, name, float(getattr(self, name)))

    @property
    def lost(self) -> bool:
        """Balance lost before the protocol's 10 s: the stance ends with a step out."""
        return self.hold_s < BALANCE_STANCE_S


#: The 4-stage balance test times each stance up to this long (CDC STEADI).
BALANCE_STANCE_S = 10.0
#: A lost stance: the foot steps out over this long, then the person stands with the feet apart.
STEP_OUT_S = 0.5
#: After the last stance is kept: the lifted foot is put down (or the feet brought together) over this long.
RELEASE_S = 1.0


@dataclass
class MotionScript:
    """A whole clip. ``duration_s`` None: derived from the reps (initial rest + every rep + ``tail_s``)."""

    exercise: Exercise
    view: View
    width: int = 640
    height: int = 480
    fps: float = 30.0
    duration_s: float | None = None
    seed: int = 0
    person_present: bool = True
    look: Look = field(default_factory=Look)
    scene: Scene = field(default_factory=Scene)
    #: Slow whole-body sway, amplitude in pixels (sideways in the front view, fore-aft of the trunk seated).
    sway_px: float = 1.5
    #: Natural wobble of the working angle during the hold: dips of up to this below the peak (≤ 1°).
    hold_wobble_deg: float = 0.6
    initial_rest_s: float = 1.5
    tail_s: float = 1.0
    #: side-leg-raise: each leg's abduction at rest (feet slightly apart).
    stance_deg: float = 3.0
    #: seated: knee angle at rest.
    rest_knee_deg: float = 90.0
    #: seated: trunk angle from vertical at rest (leaning back against the backrest).
    rest_trunk_deg: float = 5.0
    reps: list[Rep] = field(default_factory=list)
    version: int = SCRIPT_VERSION
    #: How lifts and lowerings accelerate: the first set's cosine, or minimum jerk (Flash & Hogan 1985).
    ease: Ease = "cosine"
    #: What the intent (``expect_counted``/``expect_faults``) is checked against: the engine's default
    #: thresholds with bands (rules.py, the first set) or the exercise's clinical definition (clinical.py).
    truth_rules: TruthRulesName = "engine-bands"
    #: The file's container and suffix (see the module): mp4, mov or webm.
    container: Container = "mp4"
    #: A phone's rotation tag, counter-clockwise degrees of the display matrix (FFmpeg's "rotation of -90
    #: degrees", a phone held upright, is 270): frames are stored turned by the inverse, displayed upright.
    display_rotation_deg: int = 0
    #: Variable frame times (a browser's recording); None: frame i at i / fps.
    vfr: VariableRate | None = None
    #: standing-calf-raise: the camera behind the person (the chair in front of them, beyond; the heels nearest).
    from_behind: bool = False
    #: The function test the clip shows (a key of ``TESTS``): its truth gains a ``test`` object.
    test: str | None = None
    #: four-stage-balance: the stances, in order (the test ends with the first one not kept 10 s).
    stances: list[Stance] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("fps", "sway_px", "hold_wobble_deg", "initial_rest_s", "tail_s", "stance_deg",
                     "rest_knee_deg", "rest_trunk_deg"):
            setattr(self, name, float(getattr(self, name)))
        if self.duration_s is not None:
            self.duration_s = float(self.duration_s)
        self.display_rotation_deg = int(self.display_rotation_deg) % 360
        if isinstance(self.vfr, dict):
            self.vfr = VariableRate(**_known(VariableRate, self.vfr))
        self.from_behind = bool(self.from_behind)
        self.stances = [s if isinstance(s, Stance) else Stance(**_known(Stance, s)) for s in self.stances]

    # -- derived ------------------------------------------------------------------------------------
    @property
    def reps_end_s(self) -> float:
        """When the last rep's rest is over (a balance test: when the last stance has been left)."""
        end = self.initial_rest_s + sum(r.rise_s + r.hold_s + r.lower_s + r.rest_s for r in self.reps)
        if self.stances:
            last = self.stances[-1]
            end += sum(s.move_s + s.hold_s for s in self.stances) + (STEP_OUT_S if last.lost else RELEASE_S)
        return end

    @property
    def total_duration_s(self) -> float:
        return self.duration_s if self.duration_s is not None else self.reps_end_s + self.tail_s

    @property
    def frame_count(self) -> int:
        if self.vfr is not None:
            return len(self.frame_times_ms()) - 1
        return math.floor(self.total_duration_s * self.fps + 1e-6)

    @property
    def frames_end_s(self) -> float:
        """When the last frame stops being shown: the instant the next frame would come (``frame_count / fps``
        at a constant rate). The clip's duration."""
        if self.vfr is not None:
            return self.frame_times_ms()[-1] / 1000.0
        return self.frame_count / self.fps

    @property
    def video_suffix(self) -> str:
        """The clip's file suffix: ``.mp4``, ``.mov`` or ``.webm``."""
        return f".{self.container}"

    def frame_times_ms(self) -> tuple[int, ...]:
        """A variable-rate script's frame times in ms, one more than there are frames (the last is when the
        next frame would come: the clip's end). Deterministic from the seed and the duration."""
        if self.vfr is None:
            raise ValueError("frame_times_ms: the script has a constant frame rate")
        v = self.vfr
        return _vfr_times_ms(self.seed, round(self.total_duration_s * 1000), v.min_interval_ms, v.max_interval_ms,
                             v.stalls, v.stall_min_ms, v.stall_max_ms)

    @property
    def whole_body(self) -> bool:
        """Counted for the whole body (reps with ``side="both"``)."""
        return self.exercise in WHOLE_BODY_EXERCISES

    @property
    def facing(self) -> int:
        """+1 facing image right, -1 facing image left, 0 facing the camera."""
        return {"front": 0, "side-facing-right": 1, "side-facing-left": -1}[self.view]

    @property
    def near_side(self) -> SideName | None:
        """The leg nearer the camera in a side view: facing image right it is the person's right."""
        return {1: "right", -1: "left"}.get(self.facing)  # type: ignore[return-value]

    def frame_time_s(self, index: int) -> float:
        """The instant frame ``index`` shows (its presentation time), seconds from the first frame."""
        if self.vfr is not None:
            return self.frame_times_ms()[index] / 1000.0
        return index / self.fps

    # -- JSON ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every field, except the realistic-motion fields while they hold their defaults (see the module)."""
        out = _drop_defaults(asdict(self), MotionScript)
        out["scene"] = _drop_defaults(out["scene"], Scene)
        out["reps"] = [_drop_defaults(r, Rep) for r in out["reps"]]
        if "stances" in out:
            out["stances"] = [dict(s) for s in out["stances"]]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MotionScript:
        data = dict(data)
        try:
            look = Look(**_known(Look, data.pop("look", {})))
            scene = Scene(**_known(Scene, data.pop("scene", {})))
            reps = [Rep(**_known(Rep, r)) for r in data.pop("reps", [])]
            return cls(look=look, scene=scene, reps=reps, **_known(cls, data))
        except TypeError as exc:
            raise ScriptError(f"malformed motion script: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> MotionScript:
        return cls.from_dict(json.loads(text))


#: Fields added for realistic motion: written to JSON only when they differ from their defaults.
_OPTIONAL_FIELDS: dict[type, dict[str, Any]] = {
    Scene: {"chair_design": "rail"},
    Rep: {"sway": [], "sag_deg_s": 0.0, "push_off": False, "hip_flex_deg": 0.0, "shank_tilt_deg": None},
    MotionScript: {"ease": "cosine", "truth_rules": "engine-bands", "container": "mp4", "display_rotation_deg": 0,
                   "vfr": None, "from_behind": False, "test": None, "stances": []},
}


@functools.lru_cache(maxsize=16)
def _vfr_times_ms(seed: int, duration_ms: int, lo: int, hi: int, stalls: int, stall_lo: int,
                  stall_hi: int) -> tuple[int, ...]:
    """Frame times 0 = t0 < t1 < ... < tN-1 < duration_ms, then tN >= duration_ms (the end)."""
    rng = random.Random(f"posecount-vfr-{seed}")  # str seeds hash the same on every Python
    first, last = 1000, duration_ms - 1500
    pending = sorted(rng.randint(first, last) for _ in range(stalls)) if last > first else []
    times = [0]
    while times[-1] < duration_ms:
        t = times[-1]
        if pending and t >= pending[0]:
            pending.pop(0)
            step = rng.randint(stall_lo, stall_hi)
        else:
            step = rng.randint(lo, hi)
        times.append(t + step)
    return tuple(times)


def _drop_defaults(data: dict[str, Any], cls: type) -> dict[str, Any]:
    defaults = _OPTIONAL_FIELDS.get(cls, {})
    return {k: v for k, v in data.items() if not (k in defaults and v == defaults[k])}


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ScriptError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
    return dict(data)


def validate_structure(script: MotionScript) -> list[str]:
    """Problems with the script's shape (independent of the truth rules); empty when fine."""
    problems: list[str] = []
    if script.exercise not in EXERCISES:
        problems.append(f"unknown exercise {script.exercise!r}")
    elif script.view not in VIEWS[script.exercise]:
        problems.append(f"{script.exercise} needs view {VIEWS[script.exercise]}, not {script.view!r}")
    if script.width < 64 or script.height < 64 or script.width % 2 or script.height % 2:
        problems.append(f"resolution {script.width}x{script.height}: both sides even and >= 64")
    if not 1.0 <= script.fps <= 240.0:
        problems.append(f"fps {script.fps} out of 1..240")
    if script.duration_s is not None and script.duration_s + 1e-9 < script.reps_end_s:
        problems.append(f"duration_s {script.duration_s} ends before the reps do ({script.reps_end_s:.2f} s)")
    if not 0 <= script.hold_wobble_deg <= 1.0:
        problems.append("hold_wobble_deg must be within 0..1")
    if script.reps and not script.person_present:
        problems.append("reps need a person")
    if script.exercise == "seated-knee-extension" and script.person_present and not script.scene.chair:
        problems.append("a seated person needs the chair (scene.chair)")
    if script.ease not in EASES:
        problems.append(f"ease {script.ease!r}: one of {EASES}")
    if script.truth_rules not in TRUTH_RULES:
        problems.append(f"truth_rules {script.truth_rules!r}: one of {TRUTH_RULES}")
    if script.scene.chair_design not in CHAIR_DESIGNS:
        problems.append(f"scene.chair_design {script.scene.chair_design!r}: one of {CHAIR_DESIGNS}")
    elif script.scene.chair_design != "rail" and script.view != "front":
        problems.append("scene.chair_design applies to the front view (a seated person sits on the profile chair)")
    if script.container not in CONTAINERS:
        problems.append(f"container {script.container!r}: one of {CONTAINERS}")
    if script.display_rotation_deg not in DISPLAY_ROTATIONS:
        problems.append(f"display_rotation_deg {script.display_rotation_deg}: one of {DISPLAY_ROTATIONS}")
    if script.vfr is not None:
        v = script.vfr
        if not 1 <= v.min_interval_ms <= v.max_interval_ms <= 1000:
            problems.append("vfr: 1 <= min_interval_ms <= max_interval_ms <= 1000")
        if v.stalls < 0 or (v.stalls and not v.max_interval_ms <= v.stall_min_ms <= v.stall_max_ms <= 2000):
            problems.append("vfr: stalls >= 0, max_interval_ms <= stall_min_ms <= stall_max_ms <= 2000")
    clinical = script.truth_rules == "clinical"
    problems.extend(_programme_problems(script))
    sides = ("both",) if script.whole_body else ("left", "right")
    for i, rep in enumerate(script.reps, 1):
        if rep.side not in sides:
            problems.append(f"rep {i}: side must be {' or '.join(sides)} for {script.exercise}")
        for name in ("rise_s", "hold_s", "lower_s"):
            value = getattr(rep, name)
            if name == "hold_s" and clinical and value == 0:
                continue  # a flick: up and straight back down
            if value <= 0:
                problems.append(f"rep {i}: {name} must be > 0" + (" (or 0, a flick)" if name == "hold_s" and clinical
                                                                  else ""))
        if not clinical and (rep.sway or rep.sag_deg_s):
            problems.append(f"rep {i}: sway and sag_deg_s need truth_rules='clinical'")
        if rep.sag_deg_s < 0:
            problems.append(f"rep {i}: sag_deg_s must be >= 0 (a drift down)")
        for sw in rep.sway:
            if sw.amplitude_deg < 0:
                problems.append(f"rep {i}: a sway's amplitude_deg must be >= 0")
            if not SWAY_HZ_RANGE[0] <= sw.frequency_hz <= SWAY_HZ_RANGE[1]:
                problems.append(f"rep {i}: sway frequency_hz {sw.frequency_hz:g} out of "
                                f"{SWAY_HZ_RANGE[0]:g}..{SWAY_HZ_RANGE[1]:g}")
        if rep.rest_s < 0:
            problems.append(f"rep {i}: rest_s must be >= 0")
        if (script.exercise in ("seated-knee-extension", "standing-hamstring-curl") and script.near_side
                and rep.side != script.near_side):
            problems.append(f"rep {i}: the working leg must be the near leg ({script.near_side}) in {script.view}")
        if rep.push_off and script.exercise != "sit-to-stand":
            problems.append(f"rep {i}: push_off is a sit-to-stand's")
        if rep.hip_flex_deg and script.exercise != "standing-hamstring-curl":
            problems.append(f"rep {i}: hip_flex_deg is a standing hamstring curl's")
        if rep.shank_tilt_deg is not None and script.exercise != "mini-squat":
            problems.append(f"rep {i}: shank_tilt_deg is a mini squat's")
    return problems


def _programme_problems(script: MotionScript) -> list[str]:
    """What the exercises of issue 9, the function tests and their new fields need of a script."""
    problems: list[str] = []
    new = script.exercise in PROGRAMME_EXERCISES
    if new and script.truth_rules != "clinical":
        problems.append(f"{script.exercise}: truth_rules must be 'clinical' (no engine bands exist for it)")
    if script.from_behind and script.exercise != "standing-calf-raise":
        problems.append("from_behind: only the standing calf raise is filmed from behind")
    if script.test is not None:
        if script.test not in TESTS:
            problems.append(f"test {script.test!r}: one of {tuple(TESTS)}")
        elif TESTS[script.test] != script.exercise:
            problems.append(f"test {script.test}: draws {TESTS[script.test]}, not {script.exercise}")
    if script.exercise == "four-stage-balance":
        if script.person_present and not script.stances:
            problems.append("four-stage-balance: needs its stances")
        if script.reps:
            problems.append("four-stage-balance: stances, not reps")
        names = [s.name for s in script.stances]
        if names != list(STANCES[:len(names)]):
            problems.append(f"stances {names}: in the protocol's order {STANCES}")
        for k, st in enumerate(script.stances):
            if st.lost and k != len(script.stances) - 1:
                problems.append(f"stance {st.name} is lost ({st.hold_s:g} s): the test ends there")
            if st.move_s <= 0 or st.hold_s <= 0 or st.sway_px < 0:
                problems.append(f"stance {st.name}: move_s and hold_s > 0, sway_px >= 0")
    elif script.stances:
        problems.append("stances are the four-stage balance test's")
    if script.exercise == "sit-to-stand" and script.person_present and not script.scene.chair:
        problems.append("a sit-to-stand needs the chair (scene.chair)")
    return problems
