"""``posecount evaluate DIR``: replay clips that have ground truth and score the analysis against it.

A clip ``NAME.mp4`` is evaluated when ``NAME.truth.json`` sits beside it (format: samples/README.md).
Attempts are matched to true reps one to one: same side, overlapping in time, best overlap first.
A clip is OK when the counts per side are exact, every true rep is matched and no attempt is extra, each
matched rep's counted flag agrees, every expected fault is raised on its rep, and no fault is raised on a
clean rep.

A function-test clip (truth with a ``test`` object, samples/exercises/README.md) is analysed as that test
(``posecount test``) and is OK only when the test agrees too (:func:`score_function_test`): the sit-to-stand
tests are given the truth's "go" (``start_s``, as an examiner's "go" would be) and must match its ``score``
exactly, ``time_s`` and each stand's time within ``TIME_TOLERANCE_S``, and ``voided_by``; the balance test finds
its own start and must match the stances (names in order, held flags, ``held_s`` within ``TIME_TOLERANCE_S``),
``ended_by`` and ``fall_risk``. A clip whose exercise (or test) does not exist is listed as such, not OK, and the
run goes on.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from posecount.errors import ConfigError, InputError
from posecount.exercises import get_exercise
from posecount.exercises.protocols import get_protocol, protocol_exercise
from posecount.exercises.spec import ExerciseSpec
from posecount.pipeline import FunctionTestRequest, run_analysis
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack

#: A function test's times (the time, each stand, each stance's held time) agree within this.
TIME_TOLERANCE_S = 0.2


@dataclass
class TestScore:
    """A function test's outcome against its truth: ``cell`` for the scorecard, ``problems`` what differs."""

    name: str
    cell: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
    #: the function test against the truth's ``test`` (None: not a function-test clip)
    test: TestScore | None = None
    #: why the clip could not be analysed (its exercise or test does not exist): it is not OK
    unavailable: str | None = None

    @property
    def counts_exact(self) -> bool:
        return all(self.truth_counts.get(s, 0) == self.counts.get(s, 0) for s in ("left", "right", "both"))

    @property
    def ok(self) -> bool:
        return (self.unavailable is None and self.counts_exact and self.matched == self.truth_reps == self.attempts
                and self.counted_agree == self.matched and self.faults_caught == self.faults_expected
                and not self.false_faults and (self.test is None or self.test.ok))

    @classmethod
    def not_analysed(cls, name: str, truth: dict, why: str) -> ClipScore:
        """A clip that could not be analysed (``why``): its truth's counts, nothing found."""
        reps = len(truth.get("reps", []))
        return cls(name=name, exercise=truth.get("exercise", ""), truth_counts=truth.get("counts", {}), counts={},
                   truth_reps=reps, attempts=0, matched=0, counted_agree=0, faults_expected=0, faults_caught=0,
                   unavailable=why)


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
        if got - expected:  # a fault the rep did not have, on a clean rep or beside its real ones
            s.false_faults.append(f"{t['side']} rep at {t['start_s']:.1f} s: {', '.join(sorted(got - expected))}")
        if expected - got:
            s.missed.append(f"{t['side']} rep at {t['start_s']:.1f} s missed {', '.join(sorted(expected - got))}")
    for i, t in enumerate(truth_reps):
        if i not in used_t:
            s.missed.append(f"{t['side']} rep at {t['start_s']:.1f}-{t['end_s']:.1f} s not found")
    for j, r in enumerate(reps):
        if j not in used_r:
            s.extra.append(f"{r['side']} attempt at {r['start_s']:.1f}-{r['end_s']:.1f} s")
    return s


def _close(got: object, want: object, tolerance_s: float = TIME_TOLERANCE_S) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return abs(float(got) - float(want)) <= tolerance_s + 1e-9  # type: ignore[arg-type]


def _times(label: str, got: list, want: list, problems: list[str]) -> None:
    """Each of ``want`` (seconds) matched in order by ``got`` within the tolerance."""
    if len(got) != len(want):
        problems.append(f"{len(got)} {label}s, truth {len(want)}")
        return
    for i, (g, w) in enumerate(zip(got, want, strict=True), 1):
        if not _close(g, w):
            problems.append(f"{label} {i} at {g:.2f} s, truth {w:.2f} s")


def score_function_test(truth: dict, got: dict | None) -> TestScore:
    """Compare a report's ``test`` object with the truth's (module docstring: what must agree)."""
    name = str(truth.get("name", "?"))
    if got is None:
        return TestScore(name, "not scored", ["the analysis scored no test"])
    problems: list[str] = []
    if got.get("name") != name:
        problems.append(f"scored as {got.get('name')!r}, truth {name!r}")
    if "stances" in truth:
        want = truth.get("stances", [])
        have = got.get("stances") or []
        names, truth_names = [s["name"] for s in have], [s["name"] for s in want]
        if names != truth_names:
            problems.append(f"stances {', '.join(names) or 'none'}; truth {', '.join(truth_names) or 'none'}")
        for g, w in zip(have, want, strict=False):
            if g["name"] != w["name"]:
                break
            if bool(g["held"]) != bool(w["held"]):
                problems.append(f"{w['name']} {'held' if g['held'] else 'not held'}, truth "
                                f"{'held' if w['held'] else 'not held'}")
            if not _close(g["held_s"], w["held_s"]):
                problems.append(f"{w['name']} held {g['held_s']:.2f} s, truth {w['held_s']:.2f} s")
        for key in ("ended_by", "fall_risk"):
            if got.get(key) != truth.get(key):
                problems.append(f"{key} {got.get(key)}, truth {truth.get(key)}")
        held = sum(bool(s["held"]) for s in have)
        cell = f"{held}/{len(have)} held, {'fall risk' if got.get('fall_risk') else 'no risk'}"
        return TestScore(name, cell, problems)
    if "score" in truth:
        if got.get("score") != truth["score"]:
            problems.append(f"score {got.get('score')}, truth {truth['score']}")
        cell = f"{got.get('score')} ({truth['score']})"
    else:
        if not _close(got.get("time_s"), truth.get("time_s")):
            problems.append(f"time {got.get('time_s')} s, truth {truth.get('time_s')} s")
        t, w = got.get("time_s"), truth.get("time_s")
        cell = f"{'-' if t is None else f'{t:.2f}'} s ({'-' if w is None else f'{w:.2f}'})"
    if got.get("voided_by") != truth.get("voided_by"):
        problems.append(f"voided by {got.get('voided_by')}, truth {truth.get('voided_by')}")
    _times("stand", list(got.get("stands_s") or []), list(truth.get("stands_s") or []), problems)
    return TestScore(name, cell, problems)


def _plan(truth: dict) -> tuple[ExerciseSpec, FunctionTestRequest | None]:
    """What to run for a clip: its exercise, and for a function-test clip the test (given "go" when the test
    counts reps: the truth's start is an examiner's "go"; a stances test finds its own start)."""
    test = truth.get("test")
    if not test:
        return get_exercise(truth["exercise"]), None
    protocol = get_protocol(str(test["name"]))
    go = test.get("start_s") if protocol.exercise is not None else None
    return protocol_exercise(protocol), FunctionTestRequest(protocol, start_s=go)


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
            name = truth_path.name.removesuffix(".truth.json")
            try:
                spec, test = _plan(truth)
            except ConfigError as exc:  # e.g. an exercise not added yet: list it, go on with the others
                results.append(ClipScore.not_analysed(name, truth, str(exc)))
            else:
                report = run_analysis(video, spec, base / name, options, write_video=False,
                                      landmarks=recordings.get(name), test=test)
                result = score(name, truth, report.to_dict())
                if test is not None:
                    result.test = score_function_test(truth["test"], report.test)
                results.append(result)
            if on_clip:
                on_clip(k + 1, len(clips))
    return results


def _counts_cell(c: dict[str, int]) -> str:
    """``2/1`` per leg; a whole-body clip's one count (``4``)."""
    if "both" in c and not c.get("left") and not c.get("right"):
        return str(c["both"])
    return f"{c.get('left', 0)}/{c.get('right', 0)}"


def render_scorecard(results: list[ClipScore], console: Console) -> None:
    tests = any(s.test is not None for s in results)
    if not console.is_terminal:  # a log or a pipe: do not squeeze the table
        console.width = max(console.width, 180 if tests else 120)
    table = Table(title="posecount evaluate", show_lines=False)
    table.add_column("clip", no_wrap=True)
    for col in ("counts L/R or all (truth)", "reps matched", "counted agree", "faults caught", "false faults",
                "extra", *(("test (truth)",) if tests else ()), "ok"):
        table.add_column(col, no_wrap=True)
    for s in results:
        test_cell = () if not tests else ("" if s.test is None else
                                          f"{s.test.cell}" if s.test.ok else f"[red]{s.test.cell}[/]",)
        if s.unavailable is not None:
            table.add_row(s.name, "[red]no such exercise[/]", "", "", "", "", "", *(("",) if tests else ()),
                          "[red]NO[/]")
            continue
        table.add_row(
            s.name, f"{_counts_cell(s.counts)} ({_counts_cell(s.truth_counts)})",
            f"{s.matched}/{s.truth_reps}", f"{s.counted_agree}/{s.matched}", f"{s.faults_caught}/{s.faults_expected}",
            str(len(s.false_faults)), str(len(s.extra)), *test_cell, "[green]yes[/]" if s.ok else "[red]NO[/]")
    console.print(table)
    for s in results:
        lines = s.missed + [f"false fault: {f}" for f in s.false_faults] + [f"extra: {e}" for e in s.extra]
        lines += [f"{s.test.name}: {p}" for p in s.test.problems] if s.test is not None else []
        lines += [f"not analysed: {s.unavailable}"] if s.unavailable is not None else []
        for line in lines:
            console.print(f"  {s.name}: {line}", markup=False, highlight=False)
    good = sum(s.ok for s in results)
    console.print(f"{good} of {len(results)} clips exactly right")
