"""``posecount evaluate DIR``: replay clips that have ground truth and score the analysis against it.

A clip ``NAME.mp4`` is evaluated when ``NAME.truth.json`` sits beside it (format: samples/README.md).
Attempts are matched to true reps one to one: same side, overlapping in time, best overlap first.
A clip is OK when the counts per side are exact, every true rep is matched and no attempt is extra, each
matched rep's counted flag agrees, every expected fault is raised on its rep, and no fault is raised on a
clean rep.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from posecount.errors import InputError
from posecount.exercises import get_exercise
from posecount.pipeline import run_analysis
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack


@dataclass
class ClipScore:
    name: str
    exercise: str
    truth_counts: dict[str, int]
    counts: dict[str, int]
    truth_reps: int
    attempts: int
    matched: int
    counted_agree: int
    faults_expected: int
    faults_caught: int
    false_faults: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def counts_exact(self) -> bool:
        return all(self.truth_counts.get(s, 0) == self.counts.get(s, 0) for s in ("left", "right", "both"))

    @property
    def ok(self) -> bool:
        return (self.counts_exact and self.matched == self.truth_reps == self.attempts
                and self.counted_agree == self.matched and self.faults_caught == self.faults_expected
                and not self.false_faults)


def _overlap(a: dict, b: dict) -> float:
    return min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"])


def score(name: str, truth: dict, report: dict) -> ClipScore:
    """Compare one report with its truth (both as the JSON dicts)."""
    truth_reps = list(truth.get("reps", []))
    reps = list(report.get("reps", []))
    pairs = sorted(((_overlap(t, r), i, j) for i, t in enumerate(truth_reps) for j, r in enumerate(reps)
                    if t["side"] == r["side"] and _overlap(t, r) > 0), reverse=True)
    used_t: set[int] = set()
    used_r: set[int] = set()
    matches: list[tuple[int, int]] = []
    for _, i, j in pairs:
        if i not in used_t and j not in used_r:
            used_t.add(i)
            used_r.add(j)
            matches.append((i, j))
    s = ClipScore(name=name, exercise=truth.get("exercise", ""), truth_counts=truth.get("counts", {}),
                  counts=report.get("counts", {}), truth_reps=len(truth_reps), attempts=len(reps),
                  matched=len(matches), counted_agree=0, faults_expected=0, faults_caught=0)
    for i, j in sorted(matches):
        t, r = truth_reps[i], reps[j]
        s.counted_agree += int(bool(t["counted"]) == bool(r["counted"]))
        expected = set(t.get("faults", []))
        got = set(r.get("faults", []))
        s.faults_expected += len(expected)
        s.faults_caught += len(expected & got)
        if not expected and got:
            s.false_faults.append(f"{t['side']} rep at {t['start_s']:.1f} s: {', '.join(sorted(got))}")
        elif expected - got:
            s.missed.append(f"{t['side']} rep at {t['start_s']:.1f} s missed {', '.join(sorted(expected - got))}")
    for i, t in enumerate(truth_reps):
        if i not in used_t:
            s.missed.append(f"{t['side']} rep at {t['start_s']:.1f}-{t['end_s']:.1f} s not found")
    for j, r in enumerate(reps):
        if j not in used_r:
            s.extra.append(f"{r['side']} attempt at {r['start_s']:.1f}-{r['end_s']:.1f} s")
    return s


def find_clips(directory: Path) -> list[tuple[Path, Path]]:
    """(video, truth) pairs in ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    clips = []
    for truth_path in sorted(directory.glob("*.truth.json")):
        name = truth_path.name.removesuffix(".truth.json")
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{truth_path}: not a readable truth file ({exc})") from exc
        video = directory / truth.get("video", f"{name}.mp4")
        if not video.exists():
            raise InputError(f"{truth_path}: its video {video.name} is missing")
        clips.append((video, truth_path))
    if not clips:
        raise InputError(f"{directory}: no NAME.truth.json files to evaluate")
    return clips


def evaluate_directory(directory: Path, options: PoseOptions | None, out_dir: Path | None = None,
                       on_clip: Callable[[int, int], None] | None = None,
                       landmarks_dir: Path | None = None) -> list[ClipScore]:
    """Score every clip of ``directory``; with ``landmarks_dir``, replay ``NAME.npz`` recordings from it
    (``posecount pose`` output, or the samples' committed ones) instead of running the model."""
    clips = find_clips(directory)
    if landmarks_dir is None and options is None:
        raise ValueError("evaluate needs pose options or a directory of recordings")
    recordings = {}
    if landmarks_dir is not None:
        for _, truth_path in clips:
            name = truth_path.name.removesuffix(".truth.json")
            npz = Path(landmarks_dir) / f"{name}.npz"
            if not npz.is_file():
                raise InputError(f"{landmarks_dir}: no recording {npz.name} for {name}")
            recordings[name] = PoseTrack.load(npz)
    results = []
    with tempfile.TemporaryDirectory(prefix="posecount-eval-") as tmp:
        base = Path(out_dir) if out_dir else Path(tmp)
        for k, (video, truth_path) in enumerate(clips):
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            spec = get_exercise(truth["exercise"])
            name = truth_path.name.removesuffix(".truth.json")
            report = run_analysis(video, spec, base / name, options, write_video=False,
                                  landmarks=recordings.get(name))
            results.append(score(name, truth, report.to_dict()))
            if on_clip:
                on_clip(k + 1, len(clips))
    return results


def _counts_cell(c: dict[str, int]) -> str:
    """``2/1`` per leg; a whole-body clip's one count (``4``)."""
    if "both" in c and not c.get("left") and not c.get("right"):
        return str(c["both"])
    return f"{c.get('left', 0)}/{c.get('right', 0)}"


def render_scorecard(results: list[ClipScore], console: Console) -> None:
    if not console.is_terminal:
        console.width = max(console.width, 120)  # a log or a pipe: do not squeeze the table
    table = Table(title="posecount evaluate", show_lines=False)
    table.add_column("clip", no_wrap=True)
    for col in ("counts L/R or all (truth)", "reps matched", "counted agree", "faults caught", "false faults",
                "extra", "ok"):
        table.add_column(col, no_wrap=True)
    for s in results:
        table.add_row(
            s.name, f"{_counts_cell(s.counts)} ({_counts_cell(s.truth_counts)})",
            f"{s.matched}/{s.truth_reps}", f"{s.counted_agree}/{s.matched}", f"{s.faults_caught}/{s.faults_expected}",
            str(len(s.false_faults)), str(len(s.extra)), "[green]yes[/]" if s.ok else "[red]NO[/]")
    console.print(table)
    for s in results:
        for line in s.missed + [f"false fault: {f}" for f in s.false_faults] + [f"extra: {e}" for e in s.extra]:
            console.print(f"  {s.name}: {line}")
    good = sum(s.ok for s in results)
    console.print(f"{good} of {len(results)} clips exactly right")
