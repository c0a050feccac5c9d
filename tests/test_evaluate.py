"""`posecount evaluate`: the scorecard's matching rules (pure) and every shipped sample through the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from posecount.evaluate import score

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def rep(side: str, start: float, end: float, counted: bool = True, faults: tuple[str, ...] = ()) -> dict:
    return {"side": side, "start_s": start, "peak_s": start + 1, "end_s": end, "hold_s": 2.0, "peak_angle_deg": 30.0,
            "counted": counted, "faults": list(faults)}


def doc(*reps: dict) -> dict:
    counted = [r for r in reps if r["counted"]]
    left = sum(r["side"] == "left" for r in counted)
    return {"exercise": "side-leg-raise", "reps": list(reps),
            "counts": {"left": left, "right": len(counted) - left, "total": len(counted)}}


def test_exact_match_is_ok() -> None:
    truth = doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)))
    report = doc(rep("left", 1.4, 6.2), rep("right", 8.5, 12.8, False, ("hold_too_short", "trunk_lean")))
    s = score("x", truth, report)
    assert s.ok and s.matched == 2 and s.faults_caught == 1


@pytest.mark.parametrize(
    ("report", "why"),
    [
        (doc(rep("left", 1, 6)), "a true rep is missing"),
        (doc(rep("left", 1, 6), rep("left", 8, 13, False, ("hold_too_short",))), "wrong side"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, False, ())), "expected fault not raised"),
        (doc(rep("left", 1, 6, True, ("trunk_lean",)), rep("right", 8, 13, False, ("hold_too_short",))),
         "fault on a clean rep"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)), rep("left", 20, 22, False)),
         "an extra attempt"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, True, ("hold_too_short",))), "counted flag disagrees"),
    ],
)
def test_anything_off_is_not_ok(report: dict, why: str) -> None:
    truth = doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)))
    assert not score("x", truth, report).ok, why


def posecount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posecount", *args], capture_output=True, text=True, timeout=1800)


@pytest.mark.model
def test_every_sample_comes_out_exactly_right(model_path: Path, tmp_path: Path) -> None:
    """The replay of every shipped sample through the real model, scored against its truth."""
    n = len(list(SAMPLES.glob("*.truth.json")))
    assert n >= 16
    r = posecount("evaluate", str(SAMPLES), "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{n} of {n} clips exactly right" in r.stdout
    for truth_path in SAMPLES.glob("*.truth.json"):
        name = truth_path.name.removesuffix(".truth.json")
        report = json.loads((tmp_path / name / "report.json").read_text())
        assert report["counts"] == json.loads(truth_path.read_text())["counts"], name


@pytest.mark.model
def test_evaluate_exits_non_zero_when_off(model_path: Path, tmp_path: Path) -> None:
    name = "slr_hold_too_short"
    (tmp_path / f"{name}.mp4").symlink_to(SAMPLES / f"{name}.mp4")
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    truth["counts"]["left"] += 1  # a wrong truth: the analysis cannot match it
    (tmp_path / f"{name}.truth.json").write_text(json.dumps(truth))
    r = posecount("evaluate", str(tmp_path))
    assert r.returncode == 1
    assert "0 of 1 clips exactly right" in r.stdout
