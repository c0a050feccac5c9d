"""The feature registry: every feature documented with its unit, landmarks and views; the registry-driven
extractor exact on every sample's committed recording; specs checked against the registry when they load
(one line naming the file and the field); only the features a spec uses are computed."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from conftest import SAMPLE_SETS, SAMPLES, committed_landmarks

from posecount.errors import ConfigError
from posecount.evaluate import score
from posecount.exercises import builtin_exercises, get_exercise, load_spec
from posecount.exercises.spec import SIDES, ExerciseSpec
from posecount.features import FEATURES, FeatureExtractor, registry
from posecount.pipeline import RECORDED_VIEW, replay_track
from posecount.pose import LM, Pose
from posecount.recording import PoseTrack

EXERCISES = Path(registry.__file__).resolve().parents[1] / "exercises"


# -- the registry itself -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FEATURES))
def test_every_feature_says_its_unit_landmarks_views_and_what_it_measures(name: str) -> None:
    f = FEATURES[name]
    assert f.name == name == f.compute.__name__
    assert f.unit in ("deg", "ratio") and name.endswith(f"_{f.unit}")
    assert f.views and set(f.views) <= {"front", "side"}
    assert f.landmarks
    for side in SIDES if f.per_side else (None,):
        indices = f.landmark_indices(side)
        assert len(indices) == len(f.landmarks) and all(0 <= i < len(LM) for i in indices)
        if side is not None:
            assert all(LM(i).name.lower().startswith(side) for i in indices)
    low, high = f.bounds
    assert low < high
    assert len(f.doc) > 200, "what it measures, unit, sign, why these landmarks"
    assert ("degrees" if f.unit == "deg" else "ratio") in f.doc
    assert ("front" in f.doc.lower() or "side" in f.doc.lower())


def test_the_builtin_exercises_use_registered_features_valid_in_their_view() -> None:
    for spec in builtin_exercises().values():
        for name in spec.features_used():
            assert spec.view in FEATURES[name].views, (spec.name, name)


# -- exact on every sample -----------------------------------------------------------------------------------
def _recordings() -> list[tuple[Path, Path]]:
    """(truth, recording) of every sample that has its committed recording (a sample being added may not)."""
    out = []
    for clips, landmarks in SAMPLE_SETS:
        for truth in sorted(clips.glob("*.truth.json")):
            npz = landmarks / f"{truth.name.removesuffix('.truth.json')}.npz"
            if npz.is_file():
                out.append((truth, npz))
    return out


RECORDINGS = _recordings()


@pytest.mark.parametrize(("truth_path", "npz"), RECORDINGS,
                         ids=[f"{t.parent.name}/{n.stem}" for t, n in RECORDINGS])
def test_the_registry_driven_extractor_counts_every_sample_exactly(truth_path: Path, npz: Path) -> None:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    spec = get_exercise(truth["exercise"])
    session, results = replay_track(PoseTrack.load(npz), spec)
    reps = session.counter.reps
    report = {"counts": session.counter.counts, "reps": [r.to_dict() for r in reps]}
    s = score(npz.stem, truth, report)
    assert s.ok, (s.missed, s.false_faults, s.extra)
    assert [(r.side, r.counted, sorted(r.faults)) for r in reps] == [
        (t["side"], t["counted"], sorted(t["faults"])) for t in truth["reps"]]
    # Each frame carries exactly the spec's features: per leg, and for the whole body.
    leg = {n for n in spec.features_used() if FEATURES[n].per_side}
    body = {n for n in spec.features_used() if not FEATURES[n].per_side}
    for r in results[:: max(1, len(results) // 50)]:
        assert all(set(r.features.frame.sides[s]) == leg for s in SIDES)
        assert set(r.features.frame.body) == body


def test_there_are_recordings_of_both_sample_sets() -> None:
    assert {t.parent for t, _ in RECORDINGS} == {clips for clips, _ in SAMPLE_SETS}
    assert len(RECORDINGS) >= 27


# -- only what the spec uses is computed ---------------------------------------------------------------------
def _counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count every call of every feature's function through the registry."""
    calls: Counter[str] = Counter()

    def wrap(name: str, compute: Callable[..., float]) -> Callable[..., float]:
        def counted(*args: object) -> float:
            calls[name] += 1
            return compute(*args)
        return counted

    monkeypatch.setattr(registry, "FEATURES", MappingProxyType(
        {n: dataclasses.replace(f, compute=wrap(n, f.compute)) for n, f in FEATURES.items()}))
    return calls


def _only(spec: ExerciseSpec, **changes: object) -> ExerciseSpec:
    return ExerciseSpec.model_validate({**spec.model_dump(), **changes})


def test_a_spec_using_only_hip_abduction_computes_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    full = get_exercise("side-leg-raise")
    spec = _only(full, rules=())  # drive and gate: hip_abduction_deg
    assert spec.features_used() == ("hip_abduction_deg",)
    calls = _counting(monkeypatch)
    track = committed_landmarks("slr_clean_alternating")
    session, results = replay_track(track, spec)
    assert calls["hip_abduction_deg"] > len(results)  # both legs, every frame with a pose
    assert set(calls) == {"hip_abduction_deg"}, calls
    assert all(r.features.frame.body == {} for r in results)
    assert all(set(r.features.frame.sides[s]) == {"hip_abduction_deg"} for r in results for s in SIDES)
    truth = json.loads((SAMPLES / "slr_clean_alternating.truth.json").read_text())
    assert [(r.side, r.counted) for r in session.counter.reps] == [(t["side"], t["counted"]) for t in truth["reps"]]


def test_a_seated_spec_without_the_foot_rule_never_measures_the_foot(monkeypatch: pytest.MonkeyPatch) -> None:
    full = get_exercise("seated-knee-extension")
    spec = _only(full, rules=tuple(r.model_dump() for r in full.rules if r.feature == "knee_angle_deg"))
    calls = _counting(monkeypatch)
    session, _ = replay_track(committed_landmarks("ske_clean_facing_right"), spec)
    assert set(calls) == {"knee_angle_deg"}, calls
    truth = json.loads((SAMPLES / "ske_clean_facing_right.truth.json").read_text())
    assert [(r.side, r.counted) for r in session.counter.reps] == [(t["side"], t["counted"]) for t in truth["reps"]]


def test_the_two_seated_features_share_one_learned_thigh() -> None:
    extractor = FeatureExtractor(get_exercise("seated-knee-extension"), (640, 480), RECORDED_VIEW)
    assert list(extractor._states) == [registry.SeatedThigh]


# -- specs are checked against the registry when they load ---------------------------------------------------
def _bad_spec(tmp_path: Path, base: str, old: str, new: str) -> Path:
    text = (EXERCISES / f"{base}.toml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "my.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


SKE, SLR = "seated-knee-extension", "side-leg-raise"
KNEE_BENT = 'code = "knee_bent"\nfeature = "knee_angle_deg"'
TRUNK = 'code = "trunk_lean"\nfeature = "trunk_lean_deg"'
#: (id, exercise copied, text replaced, its replacement, the field named, words in the message)
BAD_SPECS = [
    ("misspelt rule feature", SKE, KNEE_BENT, KNEE_BENT.replace("angle", "angel"), "rules[0].feature",
     ["unknown feature 'knee_angel_deg'", "did you mean knee_angle_deg?",
      "known: " + ", ".join(sorted(FEATURES))]),
    ("misspelt drive feature", SLR, 'feature = "hip_abduction_deg"   #', 'feature = "hip_abduct_deg"   #',
     "drive.feature", ["unknown feature 'hip_abduct_deg'", "known: "]),
    ("misspelt gate feature", SLR, '[[gates]]\nfeature = "hip_abduction_deg"', '[[gates]]\nfeature = "hip_abduction"',
     "gates[0].feature", ["unknown feature 'hip_abduction'"]),
    ("drive not valid in this view", SKE, 'feature = "knee_angle_deg"      #', 'feature = "hip_abduction_deg"  #',
     "drive.feature", ["hip_abduction_deg is not measured in the side view", "only front",
                       "side-view features: " + ", ".join(sorted(n for n, f in FEATURES.items()
                                                                 if "side" in f.views))]),
    ("rule not valid in this view", SLR, 'feature = "knee_flexion_deg"', 'feature = "knee_angle_deg"',
     "rules[1].feature", ["knee_angle_deg is not measured in the front view", "only side"]),
    ("drive in the wrong unit", SKE, "[drive]\n", '[drive]\nunit = "ratio"\n', "drive.unit",
     ["'ratio', but knee_angle_deg is measured in deg"]),
    ("rule in the wrong unit", SLR, TRUNK, TRUNK + '\nunit = "ratio"', "rules[0].unit",
     ["'ratio', but trunk_lean_deg is measured in deg"]),
    ("a leg read from a whole-body feature", SLR, TRUNK + '      # mid-hip to mid-shoulder line from vertical\n'
     'side = "body"', TRUNK + '\nside = "working"', "rules[0].side",
     ["'working' reads a leg, but trunk_lean_deg is a whole-body feature"]),
    ("start above the target", SKE, "start_deg = 110.0", "start_deg = 150.0", "drive.target_deg",
     ["145 must be above start_deg (150)"]),
    ("rest above the start", SKE, "rest_deg = 90.0", "rest_deg = 120.0", "drive.rest_deg",
     ["120 must be below start_deg (110)"]),
    ("target beyond straight", SKE, "target_deg = 145.0", "target_deg = 200.0", "drive.target_deg",
     ["200 deg is outside what knee_angle_deg can measure (0 to 180 deg)"]),
    ("rule line beyond straight", SKE, "min = 158.0", "min = 190.0", "rules[0].min",
     ["190 deg is outside what knee_angle_deg can measure"]),
    ("rule min above max", SLR, "max = 10.0\nmin_duration_s", "min = 15.0\nmax = 10.0\nmin_duration_s", "rules[0].min",
     ["15 must be below max (10)"]),
    ("negative hold", SLR, "min_hold_s = 2.0", "min_hold_s = -2.0", "drive.min_hold_s", ["greater than 0"]),
]


@pytest.mark.parametrize(("base", "old", "new", "field", "words"), [c[1:] for c in BAD_SPECS],
                         ids=[c[0] for c in BAD_SPECS])
def test_a_bad_spec_is_one_line_naming_the_file_and_the_field(
        base: str, old: str, new: str, field: str, words: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = _bad_spec(tmp_path, base, old, new)
    clip = "slr_clean_alternating" if base == SLR else "ske_clean_facing_right"
    code, stderr = _analyze(path, clip, tmp_path, capsys, monkeypatch)
    assert code != 0
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith(f"posecount: error: {path}: {field}: "), stderr
    for w in words:
        assert w in stderr, stderr
    assert not (tmp_path / "out").exists()


def _analyze(spec: Path, clip: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``posecount analyze`` through :func:`posecount.cli.main` in this process: (exit code, stderr)."""
    from posecount.cli import main

    monkeypatch.setattr(sys, "argv", ["posecount", "analyze", str(SAMPLES / f"{clip}.mp4"), "--exercise", str(spec),
                                      "--landmarks", str(SAMPLES / "landmarks" / f"{clip}.npz"), "--no-video",
                                      "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as done:
        main()
    code = done.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), capsys.readouterr().err


def test_a_good_copy_of_a_builtin_spec_loads_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative cases above are single edits of a spec that itself is fine."""
    path = _bad_spec(tmp_path, SKE, 'name = "seated-knee-extension"', 'name = "my-knee-extension"')
    code, stderr = _analyze(path, "ske_clean_facing_right", tmp_path, capsys, monkeypatch)
    assert code == 0, stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["counts"]["total"] >= 1


def test_deg_thresholds_on_a_ratio_feature_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ratio feature (registered here for the test) cannot drive a spec whose thresholds are in degrees."""
    def stance_width_ratio(pose: object) -> float:
        """Front view: the distance between the ankles over the hip width; a ratio; whole-body."""
        return 1.0

    def foot_lift_ratio(pose: object, side: str) -> float:
        """Side view: how far the heel rises, over the foot's length; a ratio; per leg."""
        return 0.0

    extra = {"stance_width_ratio": registry.FeatureDef(
        "stance_width_ratio", "ratio", ("left_ankle", "right_ankle"), ("front", "side"), False, (0.0, 10.0),
        stance_width_ratio.__doc__ or "", stance_width_ratio), "foot_lift_ratio": registry.FeatureDef(
        "foot_lift_ratio", "ratio", ("heel", "foot_index"), ("side",), True, (0.0, 1.0),
        foot_lift_ratio.__doc__ or "", foot_lift_ratio)}
    monkeypatch.setattr(registry, "FEATURES", MappingProxyType({**FEATURES, **extra}))

    path = _bad_spec(tmp_path, SKE, 'feature = "knee_angle_deg"      #', 'feature = "foot_lift_ratio"  #')
    with pytest.raises(ConfigError, match=re.escape(
            f"{path}: drive.unit: 'deg' (the default), but foot_lift_ratio is measured in ratio")):
        load_spec(path)
    # In its own unit, the degree thresholds are out of the ratio's range: named as a ratio spec names them.
    path = _bad_spec(tmp_path, SKE, 'feature = "knee_angle_deg"      #',
                     'feature = "foot_lift_ratio"\nunit = "ratio" #')
    with pytest.raises(ConfigError, match=re.escape(
            f"{path}: drive.start: 110 ratio is outside what foot_lift_ratio")):
        load_spec(path)
    path = _bad_spec(tmp_path, SLR, TRUNK, 'code = "trunk_lean"\nfeature = "stance_width_ratio"\nunit = "deg"')
    with pytest.raises(ConfigError, match=re.escape(f"{path}: rules[0].unit: 'deg', but stance_width_ratio is "
                                                    "measured in ratio")):
        load_spec(path)
    path = _bad_spec(tmp_path, SLR, "max = 10.0\nmin_duration_s", "max = 11.0\nmin_duration_s")
    path.write_text(path.read_text().replace(TRUNK, 'code = "trunk_lean"\nfeature = "stance_width_ratio"'))
    with pytest.raises(ConfigError, match=re.escape(f"{path}: rules[0].max: 11 ratio is outside what "
                                                    "stance_width_ratio can measure (0 to 10 ratio)")):
        load_spec(path)


def test_a_personal_target_beyond_what_the_feature_measures_is_refused() -> None:
    spec = get_exercise("seated-knee-extension")
    with pytest.raises(Exception, match="within 0-180"):
        spec.personalised({"left": 185.0})


def test_a_misspelt_feature_from_the_installed_command(tmp_path: Path) -> None:
    """A real process: exit 2, one line on stderr naming the file and the field, no traceback."""
    import subprocess

    path = _bad_spec(tmp_path, SKE, KNEE_BENT, KNEE_BENT.replace("angle", "angel"))
    exe = Path(sys.executable).with_name("posecount")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "posecount"]
    r = subprocess.run([*cmd, "analyze", str(SAMPLES / "ske_clean_facing_right.mp4"), "--exercise", str(path),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"posecount: error: {path}: rules[0].feature: unknown feature 'knee_angel_deg'")


def test_an_exercise_added_as_a_file_is_counted_without_touching_the_code(tmp_path: Path) -> None:
    """README "Adding an exercise": a physiotherapist's own exercise, a TOML file in a directory of theirs
    (a knee extension held for 1.5 s, and a stand-alone title), counts a rendered clip through the installed
    command. Truth from the drawing: the drawn holds of ske_clean_facing_right are 2.2, 2.5 and 2.2 s."""
    import subprocess

    text = (EXERCISES / "seated-knee-extension.toml").read_text(encoding="utf-8")
    text = text.replace('name = "seated-knee-extension"', 'name = "long-arc-quad"')
    text = text.replace('title = "Seated knee extension"', 'title = "Long arc quad"')
    text = text.replace("min_hold_s = 1.0", "min_hold_s = 1.5")
    assert 'name = "long-arc-quad"' in text and "min_hold_s = 1.5" in text
    spec_file = tmp_path / "exercises" / "long-arc-quad.toml"
    spec_file.parent.mkdir()
    spec_file.write_text(text, encoding="utf-8")
    name = "ske_clean_facing_right"
    exe = Path(sys.executable).with_name("posecount")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "posecount"]
    done = subprocess.run([*cmd, "analyze", str(SAMPLES / f"{name}.mp4"), "--exercise", str(spec_file),
                           "--landmarks", str(SAMPLES / "landmarks" / f"{name}.npz"), "--no-video",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    assert report["exercise"] == "long-arc-quad" and "Long arc quad" in done.stdout
    assert report["counts"]["right"] == sum(r["hold_s"] >= 1.5 + 0.5 for r in truth["reps"]) == 3


# -- the standing exercises' features on hand-made poses -----------------------------------------------------
def _standing(dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """A person standing front-on, legs straight, 100 px thighs and shanks (image x right, y down), moved by
    (dx, dy): (33, 2) float32."""
    xy = np.zeros((33, 2), np.float32)
    points = {LM.NOSE: (300, 40), LM.LEFT_EAR: (310, 35), LM.RIGHT_EAR: (290, 35),
              LM.LEFT_SHOULDER: (340, 80), LM.RIGHT_SHOULDER: (260, 80), LM.LEFT_HIP: (320, 200),
              LM.RIGHT_HIP: (280, 200), LM.LEFT_KNEE: (320, 300), LM.RIGHT_KNEE: (280, 300),
              LM.LEFT_ANKLE: (320, 400), LM.RIGHT_ANKLE: (280, 400), LM.LEFT_HEEL: (320, 410),
              LM.RIGHT_HEEL: (280, 410), LM.LEFT_FOOT_INDEX: (325, 420), LM.RIGHT_FOOT_INDEX: (275, 420)}
    for i, (x, y) in points.items():
        xy[i] = (x + dx, y + dy)
    return xy


def _pose_of(xy: np.ndarray) -> Pose:
    return Pose(image_xy=xy.astype(np.float32), world_xyz=np.zeros((33, 3), np.float32),
                visibility=np.ones(33, np.float32), presence=np.ones(33, np.float32))


def test_front_hip_flexion_reads_a_thigh_lifted_toward_the_camera_not_one_lifted_to_the_side() -> None:
    thigh = registry.StandingThigh()
    standing = _pose_of(_standing())
    for _ in range(10):
        for side in SIDES:
            thigh.observe(standing, side)
    assert registry.hip_flexion_deg(standing, "left", thigh) == pytest.approx(0.0, abs=0.5)
    xy = _standing()
    xy[LM.LEFT_KNEE] = (320, 200 + 100 * np.cos(np.radians(60)))  # toward the camera: foreshortened to 50 px
    xy[LM.LEFT_ANKLE] = (320, 350)
    out = np.radians(30)  # the right leg to the side, in the picture's plane: full length
    xy[LM.RIGHT_KNEE] = (280 - 100 * np.sin(out), 200 + 100 * np.cos(out))
    pose = _pose_of(xy)
    for side in SIDES:
        thigh.observe(pose, side)  # the lifted foot is up: its standing length is not learned from this frame
    assert registry.hip_flexion_deg(pose, "left", thigh) == pytest.approx(60.0, abs=0.5)
    assert registry.hip_flexion_deg(pose, "right", thigh) == pytest.approx(0.0, abs=0.5)


def test_body_rise_is_over_the_persons_own_standing_level_and_only_with_straight_legs() -> None:
    level = registry.StandingLevel()
    feature = FEATURES["body_rise_ratio"]
    states = {registry.StandingLevel: level}

    def rise(xy: np.ndarray) -> float:
        return feature.measure(_pose_of(xy), None, states)

    still = [rise(_standing()) for _ in range(30)]
    assert np.isnan(still[0]), "no level before the body has been seen still"
    assert still[-1] == pytest.approx(0.0, abs=1e-6)
    up = _standing(dy=-10.0)  # up on the toes: the whole body 10 px higher, the toes where they were
    up[[LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]] = _standing()[[LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]]
    assert [rise(up) for _ in range(60)][-1] == pytest.approx(10.0 / 200.0, abs=1e-3), "the level stays put"
    squat = _standing(dy=20.0)
    squat[[LM.LEFT_KNEE, LM.RIGHT_KNEE]] += (-30.0, 0.0), (30.0, 0.0)  # knees bent out: not a calf raise
    squat[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE]] = _standing()[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE]]
    assert np.isnan(rise(squat))
    march = _standing()
    march[LM.LEFT_ANKLE] += (0.0, -40.0)  # one foot up
    assert np.isnan(rise(march))
    moved = _standing(dx=120.0, dy=-25.0)  # a step aside (to a spot higher in the picture): learned anew
    assert [rise(moved) for _ in range(30)][-1] == pytest.approx(0.0, abs=1e-6)


def test_the_side_view_features_follow_the_way_the_person_faces() -> None:
    """Facing image-right and its mirror image facing image-left read the same."""
    xy = np.zeros((33, 2), np.float32)
    for i, (x, y) in {LM.NOSE: (312, 40), LM.LEFT_EAR: (300, 38), LM.RIGHT_EAR: (300, 38),
                      LM.LEFT_HIP: (300, 200), LM.RIGHT_HIP: (300, 200),
                      LM.LEFT_KNEE: (300 + 100 * np.sin(np.radians(30)), 200 + 100 * np.cos(np.radians(30))),
                      LM.LEFT_ANKLE: (300 + 100 * np.sin(np.radians(30)) - 100, 200 + 100 * np.cos(np.radians(30))),
                      LM.RIGHT_KNEE: (330, 290), LM.RIGHT_ANKLE: (300, 390), LM.RIGHT_FOOT_INDEX: (340, 400)}.items():
        xy[i] = (x, y)
    vis = np.ones(33, np.float32)
    vis[[LM.LEFT_KNEE, LM.LEFT_FOOT_INDEX]] = 0.2  # the far leg: only the near (right) one is read for the toes
    for image in (xy, np.column_stack([640.0 - xy[:, 0], xy[:, 1]]).astype(np.float32)):
        pose = Pose(image, np.zeros((33, 3), np.float32), vis, np.ones(33, np.float32))
        assert registry.thigh_forward_deg(pose, "left") == pytest.approx(30.0, abs=0.1)
        assert registry.standing_knee_flexion_deg(pose, "left") == pytest.approx(120.0, abs=0.1)
        leg = float(np.hypot(30, 90) + np.hypot(30, 100))
        assert registry.knee_past_toe_ratio(pose) == pytest.approx(-10.0 / leg, abs=1e-4)


def _seated_facing_left(extended: bool) -> tuple[np.ndarray, np.ndarray]:
    """A person seated side-on facing image-left, as MediaPipe read held-out 808/09 at 16.5 s: (xy, visibility).

    At rest both labels sit on the resting leg. With the near leg straightened, the model gives that leg the
    label of the far one, with the far leg's low visibility (it believes that leg hidden), and puts the other
    label's ankle between the two feet, with high visibility: a 'more bent' leg that is not there."""
    xy = np.zeros((33, 2), np.float32)
    vis = np.full(33, 0.99, np.float32)
    points = {LM.NOSE: (385, 100), LM.LEFT_EAR: (410, 95), LM.RIGHT_EAR: (410, 95),
              LM.LEFT_SHOULDER: (425, 160), LM.RIGHT_SHOULDER: (420, 160), LM.LEFT_HIP: (422, 312),
              LM.RIGHT_HIP: (419, 305), LM.LEFT_KNEE: (292, 311), LM.RIGHT_KNEE: (292, 305),
              LM.LEFT_ANKLE: (272, 418), LM.RIGHT_ANKLE: (273, 414), LM.LEFT_HEEL: (285, 434),
              LM.RIGHT_HEEL: (284, 430), LM.LEFT_FOOT_INDEX: (225, 439), LM.RIGHT_FOOT_INDEX: (224, 434)}
    if extended:
        points |= {LM.LEFT_ANKLE: (231, 393), LM.LEFT_HEEL: (220, 401), LM.LEFT_FOOT_INDEX: (163, 378),
                   LM.RIGHT_ANKLE: (193, 321), LM.RIGHT_HEEL: (182, 341), LM.RIGHT_FOOT_INDEX: (151, 312)}
        vis[[LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX]] = (0.34, 0.33, 0.39, 0.44)
    for i, p in points.items():
        xy[i] = p
    return xy, vis


def test_side_on_the_straightened_leg_is_read_though_the_model_calls_it_the_hidden_one() -> None:
    """The drawn leg was straight (176°). Read only from the confident label, the knee came out 134°: every
    clean rep of that clip was scolded `knee_bent` (held-out 808/09; 202/11, 505/09, 606/11 alike)."""
    extractor = FeatureExtractor(get_exercise("seated-knee-extension"), (640, 480), RECORDED_VIEW)
    for k in range(40):  # 1.3 s at rest: the view check passes and the thigh is learned
        xy, vis = _seated_facing_left(extended=False)
        extractor(Pose(xy, np.zeros((33, 3), np.float32), vis, np.ones(33, np.float32)), k * 33)
    xy, vis = _seated_facing_left(extended=True)
    features = extractor(Pose(xy, np.zeros((33, 3), np.float32), vis, np.ones(33, np.float32)), 40 * 33)
    assert features.view_ok and features.working_side == "left"  # facing image-left: the near leg is the left
    assert features.frame.sides["left"]["knee_angle_deg"] > 165.0


@pytest.mark.parametrize(("frame_h", "advice"), [
    (480, "The chair hides your feet: turn it or move the camera"),  # feet in the picture, hidden
    (380, "Step back until your feet are visible"),  # the feet below the picture's bottom edge
])
def test_the_set_up_advice_says_why_the_feet_are_not_seen(frame_h: int, advice: str) -> None:
    """Behind a kitchen chair seen at an angle the model sees both knees but neither foot, inside the picture:
    stepping back would not help (held-out 707/06, 909/10)."""
    extractor = FeatureExtractor(get_exercise("side-leg-raise"), (640, frame_h))
    vis = np.ones(33, np.float32)
    vis[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]] = 0.2
    pose = Pose(_standing(), np.zeros((33, 3), np.float32), vis, np.ones(33, np.float32))
    features = [extractor(pose, k * 33) for k in range(30)][-1]
    assert not features.view_ok and features.view_issue == advice


def test_a_high_side_leg_raise_is_still_standing_when_the_chair_hides_the_standing_foot() -> None:
    """Held-out 404/00: a leg lifted 38° lifts its ankle a fifth of the leg, and the model placed the standing
    ankle, hidden by a metal chair, up near its knee. Judged on the two ankles' mean, the person was told
    "Please stand up behind the chair" for 1.7 s in mid-hold and the rep was split in two; the standing
    foot is the lower ankle."""
    extractor = FeatureExtractor(get_exercise("side-leg-raise"), (640, 480))
    xy = _standing()
    lift = np.radians(40.0)
    xy[LM.LEFT_KNEE] = (320 + 100 * np.sin(lift), 200 + 100 * np.cos(lift))
    xy[LM.LEFT_ANKLE] = (320 + 200 * np.sin(lift), 200 + 200 * np.cos(lift))
    xy[LM.RIGHT_ANKLE] = (282, 262)  # hidden behind the chair, placed just under the knee
    vis = np.ones(33, np.float32)
    vis[[LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX]] = 0.3
    pose = Pose(xy, np.zeros((33, 3), np.float32), vis, np.ones(33, np.float32))
    features = [extractor(pose, k * 33) for k in range(30)][-1]
    assert features.view_ok, features.view_issue
    assert features.frame.sides["left"]["hip_abduction_deg"] == pytest.approx(40.0, abs=0.5)


@pytest.mark.parametrize("abduction_deg", [20.0, 35.0, 45.0])
@pytest.mark.parametrize("flexion_deg", [0.0, 15.0, 30.0, 45.0])
def test_the_knee_from_the_thighs_motion_is_an_isosceles_legs_flexion(abduction_deg: float,
                                                                    flexion_deg: float) -> None:
    """A leg lifted ``abduction_deg`` (its hip-to-foot line) with the knee bent ``flexion_deg`` in the picture's plane,
    thigh and shank equally long: the thigh points out further by half the flexion, and the motion's reading of
    the two directions gives the flexion back."""
    hip = np.zeros(2)
    thigh_dir_deg = abduction_deg + flexion_deg / 2
    knee = hip + 0.5 * np.array([math.sin(math.radians(thigh_dir_deg)), math.cos(math.radians(thigh_dir_deg))])
    shank_dir_deg = thigh_dir_deg - flexion_deg
    ankle = knee + 0.5 * np.array([math.sin(math.radians(shank_dir_deg)), math.cos(math.radians(shank_dir_deg))])
    leg_deg = math.degrees(math.atan2(ankle[0], ankle[1]))  # what the leg's fan reads: the foot from the hip
    assert leg_deg == pytest.approx(abduction_deg, abs=1e-9)
    assert registry.knee_flexion_from_motion_deg(leg_deg, thigh_dir_deg) == pytest.approx(flexion_deg, abs=1e-9)
    assert 180.0 - registry.angle_at(hip, knee, ankle) == pytest.approx(flexion_deg, abs=1e-6)  # the drawn knee


def test_a_thigh_pointing_inside_the_leg_reads_a_straight_knee() -> None:
    """A knee bends one way: a thigh read inside the hip-to-foot line (its hidden part, sway) is straight, not
    negative."""
    assert registry.knee_flexion_from_motion_deg(30.0, 27.0) == 0.0
    assert math.isnan(registry.knee_flexion_from_motion_deg(30.0, float("nan")))
