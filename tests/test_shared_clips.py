"""Real footage from ../shared/clips (third-party; read in place, never copied into the repo).

Every clip goes through `posecount pose` (the model, once per clip) and then `posecount analyze` under both
exercises from the recorded landmarks (the replay path), so both commands meet vertical, 1080p, 60 fps,
grayscale and title-card footage. People dancing, walking, running, dribbling, skipping or doing jumping
jacks must produce no counted rep.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def posecount(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "posecount", *args], capture_output=True, text=True, env=env,
                          timeout=900)


@pytest.fixture(scope="module")
def landmarks_dir(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Path:
    return tmp_path_factory.mktemp("shared-landmarks")


@pytest.mark.parametrize("row", MANIFEST, ids=[r["file"] for r in MANIFEST])
def test_pose_then_analyze_both_exercises(row: dict[str, str], landmarks_dir: Path, tmp_path: Path) -> None:
    clip = CLIPS / row["file"]
    out = landmarks_dir / clip.stem
    r = posecount("pose", str(clip), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    npz = out / "landmarks.npz"
    assert npz.is_file() and (out / "landmarks.csv").is_file()
    import numpy as np

    with np.load(npz) as data:
        assert data["image_xy"].shape[1:] == (33, 2)
        assert len(data["frame"]) > 0.9 * float(row["duration_s"]) * float(row["fps"])
    for exercise in ("side-leg-raise", "seated-knee-extension"):
        dest = tmp_path / exercise
        r = posecount("analyze", str(clip), "--exercise", exercise, "--landmarks", str(npz), "--no-video",
                      "--out", str(dest))
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        report = json.loads((dest / "report.json").read_text())
        assert report["counts"]["total"] == sum(1 for rep in report["reps"] if rep["counted"])
        for name in ("reps.csv", "frames.csv", "timeline.png"):
            assert (dest / name).is_file()
        if row["file"] in NO_REP_CLIPS:
            assert report["counts"]["total"] == 0, f"{row['file']} under {exercise}: {report['reps']}"
