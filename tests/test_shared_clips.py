"""Real footage from ../shared/clips (third-party; read in place, never copied into the repo).

Every clip goes through the model once (the ``recorded`` fixture: the code of ``posecount pose``, cached
for the run) and is then analysed under every built-in exercise from that recording (the replay path of
``posecount analyze``), so the pose stage and the engine meet vertical, 1080p, 60 fps, grayscale and
title-card footage. People dancing, walking, running, dribbling, skipping or doing jumping jacks must
produce no counted rep. Every report keeps the contract: attempts in order inside the video, each side's
attempts apart in time, a counted rep reached the target and held, an attempt not counted says why.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from conftest import RecordFn

from posecount.exercises import builtin_exercises, get_exercise
from posecount.pipeline import replay_track, run_analysis

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "clips"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.model,
    pytest.mark.skipif(not (CLIPS / "manifest.tsv").is_file(),
                       reason=f"no real clips at {CLIPS} (they live in ../shared, not in the repo)"),
]


def _manifest() -> list[dict[str, str]]:
    if not (CLIPS / "manifest.tsv").is_file():
        return []
    with open(CLIPS / "manifest.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


MANIFEST = _manifest()
NO_REP_CLIPS = {row["file"] for row in MANIFEST
                if row["category"].startswith("3 distractor") or "jumping jacks" in row["category"]}


#: Faults that say why an attempt was not counted (contract: "an attempt that is not counted says why").
REASONS = {"hold_too_short", "range_too_small", "incomplete", "lost_sight"}


def check_report(report: dict, duration_s: float) -> None:
    reps = report["reps"]
    assert [r["index"] for r in reps] == list(range(1, len(reps) + 1))
    for side in ("left", "right", "both"):
        mine = [r for r in reps if r["side"] == side]
        for a, b in itertools.pairwise(mine):
            assert a["end_s"] <= b["start_s"], f"{side} attempts overlap: {a} {b}"
    for r in reps:
        assert 0 <= r["start_s"] <= r["peak_s"] <= r["end_s"] <= duration_s + 0.1, r
        assert r["hold_s"] >= 0
        if r["counted"]:
            assert not set(r["faults"]) & REASONS, f"counted, yet a reason not to count: {r}"
        else:
            assert set(r["faults"]) & REASONS, f"not counted, and no reason given: {r}"


#: The exercises a real clip's files are written under, one per clip in turn (the seed's two and a whole-body one):
#: each is written from a third of the real clips, and every exercise's reps are checked on every clip by replay.
FILE_CONTRACT_EXERCISES = ("side-leg-raise", "seated-knee-extension", "sit-to-stand")


@pytest.mark.slow
@pytest.mark.parametrize("row", MANIFEST, ids=[r["file"] for r in MANIFEST])
def test_pose_then_analyze_every_exercise(row: dict[str, str], recorded: RecordFn, tmp_path: Path) -> None:
    clip = CLIPS / row["file"]
    track = recorded(clip)
    assert track.image_xy.shape[1:] == (33, 2)
    assert len(track) > 0.9 * float(row["duration_s"]) * float(row["fps"])
    # The whole replay path of `posecount analyze` (the video decoded again for its frames' times, every file
    # written) under one exercise: decoding a real clip costs more than counting it, so once per clip
    exercise = FILE_CONTRACT_EXERCISES[MANIFEST.index(row) % len(FILE_CONTRACT_EXERCISES)]
    dest = tmp_path / exercise
    report = run_analysis(clip, get_exercise(exercise), dest, None, write_video=False, landmarks=track)
    saved = json.loads((dest / "report.json").read_text())
    assert saved == json.loads(json.dumps(report.to_dict()))
    duration_s = saved["source"]["duration_s"]
    check_report(saved, duration_s)
    for name in ("reps.csv", "frames.csv", "timeline.png"):
        assert (dest / name).is_file()
    with open(dest / "frames.csv", newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == report.frames_read == len(track)
    # Every exercise: the same rules for its reps, from the recording alone (no video). The one above gives the
    # same reps either way: the video decoded again is the frames the recording was made from.
    for spec in builtin_exercises().values():
        session, _ = replay_track(track, spec)
        reps = json.loads(json.dumps([r.to_dict() for r in session.counter.reps]))
        check_report({"reps": reps}, duration_s)
        if spec.name == exercise:
            assert reps == saved["reps"]


@pytest.mark.parametrize("clip", sorted(NO_REP_CLIPS))
def test_distractors_count_nothing_under_any_exercise(clip: str, recorded: RecordFn) -> None:
    """Dancing, walking, running, dribbling, skipping rope, jumping jacks, arm raises: not one counted rep
    under any built-in exercise (the calf raise, mini squat, march and hamstring curl included), replayed from
    the clip's recording (made by the model once, then cached)."""
    track = recorded(CLIPS / clip)
    counted = {}
    for name, spec in builtin_exercises().items():
        session, _ = replay_track(track, spec)
        counted[name] = [r for r in session.counter.reps if r.counted]
    assert not any(counted.values()), {name: reps for name, reps in counted.items() if reps}


#: Counts a person watching these clips gives (counted by eye here; the manifest withholds some).
KNOWN_COUNTS = {
    ("seated_knee_extension_side_pcproject_1.mp4", "seated-knee-extension"): {"left": 0, "right": 3},
    ("sit_to_stand_side_techfit_1.mp4", "sit-to-stand"): {"both": 4},
}


@pytest.mark.parametrize(("clip", "exercise"), list(KNOWN_COUNTS), ids=[c for c, _ in KNOWN_COUNTS])
def test_real_clips_count_what_a_person_counts(clip: str, exercise: str, recorded: RecordFn, tmp_path: Path) -> None:
    report = run_analysis(CLIPS / clip, get_exercise(exercise), tmp_path, None, write_video=False,
                          landmarks=recorded(CLIPS / clip))
    counts = report.counts
    assert {k: counts[k] for k in KNOWN_COUNTS[clip, exercise]} == KNOWN_COUNTS[clip, exercise], report.reps


def test_the_other_real_sit_to_stand_gives_a_plausible_count(recorded: RecordFn, tmp_path: Path) -> None:
    """A filmed five-times sit-to-stand (its count is withheld in the manifest): every attempt a full stand,
    between 4 and 6 of them, each rise under 3 s."""
    clip = CLIPS / "sit_to_stand_side_frailtyvision_1.mp4"
    report = run_analysis(clip, get_exercise("sit-to-stand"), tmp_path, None, write_video=False,
                          landmarks=recorded(clip))
    assert 4 <= report.counts["both"] <= 6 and all(r.counted for r in report.reps), report.reps
    assert all(r.peak_s - r.start_s < 3.0 for r in report.reps)
