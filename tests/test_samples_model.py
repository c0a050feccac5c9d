"""The committed synthetic clips and the real pose model: does MediaPipe see the mannequin, and where?

The samples' committed recordings (``samples/*/landmarks``, made by ``scripts/record_sample_landmarks.py``)
are what every test that needs no model replays. Asserted:

* the current model reproduces them within ``REPRODUCE_*``, and replaying either gives the same reps, on
  the first ``FIRST_S`` seconds of every sample of every set (the model runs on those frames here, once
  per run): a model or mediapipe change moves the landmarks from the first frame on, so it is caught here,
  not silently absorbed, and the committed files are then re-made on purpose (the script's ``--check``
  compares whole clips). The whole clips through the model would take over half the suite's ~10 min
  budget; ``POSECOUNT_EXHAUSTIVE=1`` runs them (``test_evaluate``: every sample exact from fresh recordings);
* on the committed recordings (which the check above ties to the model): every clip with a person has a
  pose on >= 98 % of frames;
* standing (front view) clips: hip, knee and ankle landmarks near the renderer's joints (the model's
  left/right compared with the person's own left/right), as a fraction of the body height (floor to top
  of head), per joint: median <= ``STANDING_BOUNDS[joint][0]``, 95th percentile <= ``[1]``;
* "nobody" clips: a pose on <= 2 % of frames.

Reported, not asserted (``pytest -s`` prints one line per clip; also ``record_property``): the driving
angle's error (abduction from the model's hip→ankle line, or the working leg's raw hip–knee–ankle angle
seated), and for seated clips the working knee's error at rest and at the top, and how often the labels
are swapped while the legs are apart. Side-on MediaPipe is known to misplace the knee of a straight leg
and to swap the legs' labels; :mod:`posecount.features` is built to survive that.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import EVERY_SAMPLE_SET, committed_landmarks

from posecount.exercises import builtin_exercises, get_exercise
from posecount.pipeline import record_track, replay_track
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack
from posecount.synth.body import joints_at
from posecount.synth.motion import angles_at, rep_phase_at
from posecount.synth.script import MotionScript

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"
TRUTHS = sorted(SAMPLES_DIR.glob("*.truth.json"))
JOINTS = ("hip", "knee", "ankle")
LANDMARK = {("left", "hip"): 23, ("right", "hip"): 24, ("left", "knee"): 25, ("right", "knee"): 26,
            ("left", "ankle"): 27, ("right", "ankle"): 28}
OTHER = {"left": "right", "right": "left"}

MIN_DETECTION = 0.98
MAX_DETECTION_EMPTY = 0.02
#: (median, 95th percentile) landmark error bounds, fractions of body height, standing clips.
#: Measured on the committed clips (worst clip): hip 3.0 % / 3.6 % (MediaPipe puts the hips ~2.7 % of the
#: height lower than the drawn hip joints), knee 2.2 % / 3.1 %, ankle 1.8 % / 2.2 %. The bounds leave
#: about a third of headroom for other CPUs' arithmetic.
STANDING_BOUNDS: dict[str, tuple[float, float]] = {"hip": (0.04, 0.05), "knee": (0.03, 0.04),
                                                   "ankle": (0.025, 0.03)}


@dataclass
class ClipResult:
    name: str
    frames: int = 0
    found: int = 0
    #: per joint ("left_hip", ...): errors in body heights, the model's label vs the person's own side
    errors: dict[str, list[float]] = field(default_factory=dict)
    #: per detected frame: the rep phase ("rest", "rise", "hold", "lower") and the working side
    phase: list[str] = field(default_factory=list)
    working: list[str | None] = field(default_factory=list)
    #: per detected frame: driving angle error (model − truth) for the working side, or both sides at rest
    drive_err_deg: list[float] = field(default_factory=list)
    #: side view, per detected frame: the working (near) leg's ankle label lands nearer the other leg's ankle
    swapped: list[bool] = field(default_factory=list)

    @property
    def detection_rate(self) -> float:
        return self.found / self.frames if self.frames else 0.0

    def joint_errors(self, joint: str) -> np.ndarray:
        return np.array(self.errors.get(f"left_{joint}", []) + self.errors.get(f"right_{joint}", []))


_CACHE: dict[str, ClipResult] = {}


def _interior(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, w = a - b, c - b
    return math.degrees(math.acos(float(np.clip(u @ w / (np.linalg.norm(u) * np.linalg.norm(w)), -1, 1))))


def _abduction(hip: np.ndarray, ankle: np.ndarray, side: str) -> float:
    d = ankle - hip
    return math.degrees(math.atan2((1.0 if side == "left" else -1.0) * float(d[0]), float(d[1])))


def _analyse(truth_path: Path) -> ClipResult:
    """Compare the model's committed recording of one clip with the renderer's joints and angles."""
    name = truth_path.name.removesuffix(".truth.json")
    if name in _CACHE:
        return _CACHE[name]
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    script = MotionScript.from_dict(truth["script"])
    track = committed_landmarks(name)
    res = ClipResult(name)
    height_px = script.look.height_px
    near = script.near_side
    for i, (index, _, pose) in enumerate(track):
        res.frames += 1
        if pose is None:
            continue
        res.found += 1
        if not script.person_present:
            continue
        t_s = index / script.fps
        joints = {k: np.asarray(v) for k, v in joints_at(script, t_s).items()}
        angles = angles_at(script, t_s)
        ph = rep_phase_at(script, t_s)
        xy = track.image_xy[i].astype(np.float64)
        model = {(s, j): xy[LANDMARK[(s, j)]] for s in ("left", "right") for j in JOINTS}
        for side in ("left", "right"):
            for j in JOINTS:
                e = float(np.linalg.norm(model[(side, j)] - joints[f"{side}_{j}"])) / height_px
                res.errors.setdefault(f"{side}_{j}", []).append(e)
        res.phase.append(ph.phase)
        work = ph.timing.side if ph.timing else None
        res.working.append(work)
        if script.view == "front":
            sides = [work] if work else ["left", "right"]
            for s in sides:
                res.drive_err_deg.append(_abduction(model[(s, "hip")], model[(s, "ankle")], s)
                                         - angles[f"{s}_abduction_deg"])
        elif near is not None:
            raw = _interior(model[(near, "hip")], model[(near, "knee")], model[(near, "ankle")])
            res.drive_err_deg.append(raw - angles[f"{near}_knee_deg"])
            own = np.linalg.norm(model[(near, "ankle")] - joints[f"{near}_ankle"])
            other = np.linalg.norm(model[(near, "ankle")] - joints[f"{OTHER[near]}_ankle"])
            res.swapped.append(bool(other < own))
    _CACHE[name] = res
    return res


def _truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name.removesuffix(".truth.json") for p in paths]


WITH_PERSON = [p for p in TRUTHS if _truth(p)["person_present"]]
NOBODY = [p for p in TRUTHS if not _truth(p)["person_present"]]
STANDING = [p for p in WITH_PERSON if _truth(p)["view"] == "front"]
SEATED = [p for p in WITH_PERSON if _truth(p)["view"] != "front"]


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else math.nan


def _report(res: ClipResult, script: MotionScript, record_property) -> str:
    parts = [f"{res.name}: pose on {res.found}/{res.frames} ({100 * res.detection_rate:.1f} %)"]
    record_property("detection_pct", round(100 * res.detection_rate, 2))
    for j in JOINTS:
        e = res.joint_errors(j)
        if e.size:
            parts.append(f"{j} {100 * _pct(e, 50):.1f}/{100 * _pct(e, 95):.1f} %H")
            record_property(f"{j}_median_pct", round(100 * _pct(e, 50), 2))
            record_property(f"{j}_p95_pct", round(100 * _pct(e, 95), 2))
    drive = np.abs(np.array(res.drive_err_deg))
    if drive.size:
        what = "abduction" if script.view == "front" else "raw knee angle"
        parts.append(f"{what} |err| median {_pct(drive, 50):.1f}° p95 {_pct(drive, 95):.1f}°")
        record_property("drive_err_median_deg", round(_pct(drive, 50), 2))
    if script.view != "front" and script.near_side and res.phase:
        phase = np.array(res.phase)
        knee = np.array(res.errors[f"{script.near_side}_knee"])
        signed = np.array(res.drive_err_deg)
        swapped = np.array(res.swapped)
        for label, mask in (("rest", phase == "rest"), ("top", phase == "hold")):
            if mask.any():
                parts.append(f"{label}: working knee {100 * _pct(knee[mask], 50):.1f} %H, knee angle err "
                             f"{_pct(signed[mask], 50):+.1f}°")
                record_property(f"knee_err_{label}_pct", round(100 * _pct(knee[mask], 50), 2))
        apart = phase == "hold"
        if apart.any():
            share = 100 * float(swapped[apart].mean())
            parts.append(f"working ankle labelled as the other leg on {share:.0f} % of top frames")
            record_property("swapped_top_pct", round(100 * float(swapped[apart].mean()), 1))
    line = "; ".join(parts)
    print(line)
    return line


def test_there_are_samples() -> None:
    assert WITH_PERSON and NOBODY and STANDING and SEATED


@pytest.mark.parametrize("truth_path", WITH_PERSON, ids=_ids(WITH_PERSON))
def test_pose_found_on_almost_every_frame(truth_path: Path, record_property) -> None:
    res = _analyse(truth_path)
    truth = _truth(truth_path)
    _report(res, MotionScript.from_dict(truth["script"]), record_property)
    assert res.frames == truth["source"]["frames"]
    assert res.detection_rate >= MIN_DETECTION, f"{res.name}: pose on only {100 * res.detection_rate:.1f} %"


@pytest.mark.parametrize("truth_path", STANDING, ids=_ids(STANDING))
def test_standing_landmarks_match_the_renderer(truth_path: Path) -> None:
    res = _analyse(truth_path)
    for j in JOINTS:
        e = res.joint_errors(j)
        med, p95 = _pct(e, 50), _pct(e, 95)
        max_med, max_p95 = STANDING_BOUNDS[j]
        assert med <= max_med, f"{res.name} {j}: median error {100 * med:.1f} % of body height"
        assert p95 <= max_p95, f"{res.name} {j}: 95th percentile error {100 * p95:.1f} % of body height"


@pytest.mark.parametrize("truth_path", SEATED, ids=_ids(SEATED))
def test_seated_clips_are_measured(truth_path: Path) -> None:
    """Seated landmark quality is reported by the detection test, not asserted; here: the data is there."""
    res = _analyse(truth_path)
    assert len(res.swapped) == len(res.phase) == res.found


@pytest.mark.parametrize("truth_path", NOBODY, ids=_ids(NOBODY))
def test_nobody_is_found_in_an_empty_room(truth_path: Path, record_property) -> None:
    res = _analyse(truth_path)
    record_property("detection_pct", round(100 * res.detection_rate, 2))
    print(f"{res.name}: pose on {res.found}/{res.frames} frames")
    assert res.detection_rate <= MAX_DETECTION_EMPTY, f"{res.name}: pose on {100 * res.detection_rate:.1f} %"


#: How close the current model must come to the committed recordings. The same model and mediapipe on
#: another CPU differ by float rounding only (measured here: identical to the 1/10 px the files keep);
#: anything past these bounds is a different model or runtime, to be looked at and re-recorded on purpose.
REPRODUCE_DETECTED_FRAMES = 2  # frames whose detected flag may differ, per clip
REPRODUCE_MEDIAN_PX = 0.5
REPRODUCE_P99_PX = 3.0
#: the silhouette's foot directions, median over the frames both found a foot in
REPRODUCE_MEDIAN_DEG = 1.0


#: The model is checked on this many seconds at the start of every sample (see the module docstring). A model or
#: runtime change moves the landmarks from the first frame on; each second costs ~25 s of the suite's time over
#: the 45 samples (the model, the silhouette and both motion readers), so 4, not the 6 it was.
FIRST_S = 4.0

EVERY_SAMPLE = [t for clips, _ in EVERY_SAMPLE_SET for t in sorted(clips.glob("*.truth.json"))]


@pytest.mark.parametrize(("clips", "landmarks"), EVERY_SAMPLE_SET, ids=[c.name for c, _ in EVERY_SAMPLE_SET])
def test_every_sample_has_a_committed_recording(clips: Path, landmarks: Path) -> None:
    assert sorted(p.stem for p in landmarks.glob("*.npz")) == sorted(_ids(sorted(clips.glob("*.truth.json"))))
    for recording in landmarks.glob("*.npz"):  # as `posecount pose` records: they replay every exercise
        assert PoseTrack.load(recording).foot_axis_deg is not None, f"{recording.name}: no silhouette"


def _first_frames(track: PoseTrack, n: int) -> PoseTrack:
    """The first ``n`` frames of ``track``."""
    return dataclasses.replace(track, **{f.name: getattr(track, f.name)[:n] for f in dataclasses.fields(track)
                                         if isinstance(getattr(track, f.name), np.ndarray)})


def _same_motion(name: str, what: str, now: np.ndarray | None, committed: np.ndarray | None) -> None:
    """A motion reading (the legs' or the knees') of a fresh pass: found on the same frames as committed (to
    the detection's tolerance), and no further from it in the median than the feet may turn."""
    assert now is not None and committed is not None, f"{name}: recorded with {what}"
    both = np.isfinite(now) & np.isfinite(committed)
    assert int((np.isfinite(now) != np.isfinite(committed)).sum()) <= \
        REPRODUCE_DETECTED_FRAMES + 0.01 * both.size, f"{name}: {what} found on other frames"
    if both.any():
        change = np.abs(now[both] - committed[both])
        assert float(np.median(change)) <= REPRODUCE_MEDIAN_DEG, f"{name}: median {what} change {np.median(change)}"


@pytest.mark.model
@pytest.mark.parametrize("truth_path", EVERY_SAMPLE, ids=[f"{t.parent.name}/{_ids([t])[0]}" for t in EVERY_SAMPLE])
def test_the_model_reproduces_the_committed_recording(truth_path: Path, model_path: Path) -> None:
    truth = _truth(truth_path)
    name = truth_path.name.removesuffix(".truth.json")
    options = PoseOptions(model_path=model_path, silhouette=True, leg_motion=True, knee_motion=True)  # as recorded
    now = record_track(truth_path.parent / truth["video"], options, until_s=FIRST_S)
    whole = committed_landmarks(name, truth_path.parent)
    assert 0 < len(now) < len(whole)
    committed = _first_frames(whole, len(now))
    assert committed.timestamp_ms[-1] < FIRST_S * 1000 <= whole.timestamp_ms[len(now)]
    np.testing.assert_array_equal(now.frame, committed.frame)
    np.testing.assert_array_equal(now.timestamp_ms, committed.timestamp_ms)
    assert int((now.detected != committed.detected).sum()) <= REPRODUCE_DETECTED_FRAMES
    both = now.detected & committed.detected
    if both.any():
        d = np.linalg.norm(now.image_xy[both] - committed.image_xy[both], axis=-1)
        assert float(np.median(d)) <= REPRODUCE_MEDIAN_PX, f"{name}: median landmark shift {np.median(d):.2f} px"
        assert float(np.percentile(d, 99)) <= REPRODUCE_P99_PX, f"{name}: p99 shift {np.percentile(d, 99):.2f} px"
    assert now.foot_axis_deg is not None and committed.foot_axis_deg is not None, "recorded with the silhouette"
    feet = np.isfinite(now.foot_axis_deg) & np.isfinite(committed.foot_axis_deg)
    if feet.any():
        turn = (now.foot_axis_deg[feet] - committed.foot_axis_deg[feet] + 180.0) % 360.0 - 180.0
        assert float(np.median(np.abs(turn))) <= REPRODUCE_MEDIAN_DEG, f"{name}: median foot turn {turn}"
    for what in ("leg_motion_deg", "knee_motion_deg"):
        _same_motion(name, what, getattr(now, what), getattr(committed, what))
    if truth["exercise"] not in builtin_exercises():  # the balance test: stances from the feet, no reps
        return
    spec = get_exercise(truth["exercise"])
    reps_now = [r.to_dict() for r in replay_track(now, spec)[0].counter.reps]
    reps_committed = [r.to_dict() for r in replay_track(committed, spec)[0].counter.reps]
    assert [(r["side"], r["counted"], r["faults"]) for r in reps_now] == \
        [(r["side"], r["counted"], r["faults"]) for r in reps_committed]
    for a, b in zip(reps_now, reps_committed, strict=True):
        assert abs(a["hold_s"] - b["hold_s"]) <= 0.1
        if "peak_angle_deg" in a:  # a whole-body exercise's peak is a ratio of the standing height
            assert abs(a["peak_angle_deg"] - b["peak_angle_deg"]) <= 1.0
        else:
            assert abs(a["peak_ratio"] - b["peak_ratio"]) <= 0.01
