"""The command line: parse, call the pipeline, map our errors to one-line messages and exit codes."""

from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from posecount import __version__
from posecount.errors import PosecountError

if TYPE_CHECKING:  # the commands import the heavy modules lazily, so that --help stays fast
    from posecount.exercises.spec import ExerciseSpec
    from posecount.pipeline import FunctionTestRequest
    from posecount.report import Report

app = typer.Typer(name="posecount", add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Counts leg-exercise repetitions per leg, times holds and coaches form.")
model_app = typer.Typer(no_args_is_help=True, help="Where the pose model is; fetch, build or verify it.")
app.add_typer(model_app, name="model")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("posecount")

ModelVariant = Literal["lite", "full", "heavy"]


def _version(value: bool) -> None:
    if value:
        out.print(f"posecount {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("posecount.models").setLevel(logging.INFO)
    if not verbose:  # OpenCV's own warnings ("can't capture by name") would break our one-line errors
        import cv2.utils.logging as cv_logging

        cv_logging.setLogLevel(cv_logging.LOG_LEVEL_ERROR)


# -- shared options -------------------------------------------------------------------------------------
ExerciseOpt = Annotated[str, typer.Option("--exercise", "-e", help="Exercise name (see `posecount exercises`) "
                                          "or a path to your own .toml spec.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Pose model: lite, full or heavy, or a path to a .task file.")]
TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", help="A leg's own target, e.g. --target left=15 --target right=25 (degrees).")]
HoldOpt = Annotated[list[str] | None, typer.Option("--hold", help="A leg's own hold time, e.g. --hold left=3 (s).")]
PrescriptionOpt = Annotated[Path | None, typer.Option(
    "--prescription", help="A TOML file with per-leg targets and holds per exercise ([NAME] target_deg = {...}).")]
DetConfOpt = Annotated[float, typer.Option("--min-detection-confidence", min=0.0, max=1.0)]
TrackConfOpt = Annotated[float, typer.Option("--min-tracking-confidence", min=0.0, max=1.0)]
DbOpt = Annotated[Path | None, typer.Option("--db", help="The history file (default: $POSECOUNT_DB, else "
                                            "history.sqlite3 in your data directory, ~/.local/share/posecount).")]
NoHistoryOpt = Annotated[bool, typer.Option("--no-history", help="Do not store this run in the history.")]
ResultsOpt = Annotated[Path, typer.Option("--out", "-o", help="Directory for the results.")]
NoVideoOpt = Annotated[bool, typer.Option("--no-video", help="Skip annotated.mp4 (faster).")]
LandmarksOpt = Annotated[Path | None, typer.Option(
    "--landmarks", help="Replay landmarks recorded by `posecount pose` instead of running the model.")]


def _pose_options(model: str, det: float, track: float):
    from posecount.models import ensure_model
    from posecount.pose import PoseOptions

    if model in ("lite", "full", "heavy"):
        path = ensure_model(model, progress=sys.stderr.isatty())  # type: ignore[arg-type]
    else:
        path = Path(model)
        if not path.is_file():
            raise PosecountError(f"model file {path} not found")
    return PoseOptions(model_path=path, min_pose_detection_confidence=det, min_pose_presence_confidence=det,
                       min_tracking_confidence=track)


def _spec(exercise: str, target: list[str] | None, hold: list[str] | None, prescription: Path | None):
    """The exercise, with the person's own per-leg targets and holds (the prescription file first, then
    --target/--hold on top)."""
    from posecount.exercises import get_exercise, load_prescription, parse_side_values, personalise

    spec = get_exercise(exercise)
    targets, holds = load_prescription(prescription, spec.name) if prescription else ({}, {})
    targets |= parse_side_values(target or [], "--target")
    holds |= parse_side_values(hold or [], "--hold")
    return personalise(spec, targets, holds)


def _counts_text(c: dict[str, int]) -> str:
    """``left 2, right 1, total 3 counted``; a whole-body exercise: ``3 counted``."""
    if "both" in c:
        return f"{c['both']} counted"
    return f"left {c['left']}, right {c['right']}, total {c['total']} counted"


def _analyse(label: str, video: Path, spec: ExerciseSpec, out_dir: Path, no_video: bool, landmarks: Path | None,
             model: tuple[str, float, float], test: FunctionTestRequest | None = None) -> Report:
    """run_analysis with a progress bar: from ``landmarks`` when given, else through the model."""
    from posecount.pipeline import run_analysis
    from posecount.recording import PoseTrack

    track = PoseTrack.load(landmarks) if landmarks else None
    options = None if track else _pose_options(*model)
    with _progress() as progress:
        task = progress.add_task(label, total=None)
        return run_analysis(
            video, spec, out_dir, options, write_video=not no_video, landmarks=track,
            on_start=lambda info: progress.update(task, total=info.frames or None),
            on_frame=lambda n: progress.update(task, completed=n), test=test)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err,
                    disable=not err.is_terminal and not os.environ.get("POSECOUNT_PROGRESS"))


# -- commands -------------------------------------------------------------------------------------------
@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="Video file to analyse.")],
    exercise: ExerciseOpt,
    out_dir: ResultsOpt = Path("posecount-out"),
    no_video: NoVideoOpt = False,
    landmarks: LandmarksOpt = None,
    target: TargetOpt = None,
    hold: HoldOpt = None,
    prescription: PrescriptionOpt = None,
    model: ModelOpt = "full",
    min_detection_confidence: DetConfOpt = 0.5,
    min_tracking_confidence: TrackConfOpt = 0.5,
    no_history: NoHistoryOpt = False,
    db: DbOpt = None,
) -> None:
    """Count and coach an exercise in a recorded video; write report.json, reps.csv, frames.csv,
    timeline.png and annotated.mp4 into --out."""
    from posecount.history import RunRecorder

    recorder = RunRecorder(db, enabled=not no_history)

    spec = _spec(exercise, target, hold, prescription)
    report = _analyse(f"analyze {video.name}", video, spec, out_dir, no_video, landmarks,
                      (model, min_detection_confidence, min_tracking_confidence))
    out.print(f"{spec.title}: {_counts_text(report.counts)} "
              f"({len(report.reps)} attempts) in {report.to_dict()['source']['duration_s']} s")  # type: ignore[index]
    for rep in report.reps:
        mark = "counted" if rep.counted else "not counted"
        faults = f" ({', '.join(rep.faults)})" if rep.faults else ""
        peak = f"{rep.peak:5.1f}°" if rep.unit == "deg" else f"{rep.peak:5.2f}"
        out.print(f"  #{rep.index} {rep.side:5s} {rep.start_s:6.1f}-{rep.end_s:6.1f} s  hold {rep.hold_s:4.1f} s  "
                  f"peak {peak}  {mark}{faults}")
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(f"results in {out_dir}/")
    recorder.record(report, "analyze", out_dir)


@app.command("test")
def function_test(
    name: Annotated[str, typer.Argument(help="The function test (see `posecount exercises`).")],
    video: Annotated[Path, typer.Argument(help="Video file of the test.")],
    age: Annotated[int | None, typer.Option("--age", min=18, max=120, help="The person's age (norms).")] = None,
    sex: Annotated[Literal["female", "male"] | None, typer.Option("--sex", help="female or male (norms).")] = None,
    start: Annotated[float | None, typer.Option(
        "--start", min=0, help="When 'go' was said (seconds of the video); default: the first movement.")] = None,
    out_dir: ResultsOpt = Path("posecount-out"),
    no_video: NoVideoOpt = False,
    landmarks: LandmarksOpt = None,
    model: ModelOpt = "full",
    min_detection_confidence: DetConfOpt = 0.5,
    min_tracking_confidence: TrackConfOpt = 0.5,
    no_history: NoHistoryOpt = False,
    db: DbOpt = None,
) -> None:
    """Score a camera-scored function test (30-s chair stand, 5-times sit-to-stand) against its norms; the
    analysis files go into --out and report.json gains a `test` object."""
    from posecount.exercises.protocols import get_protocol, protocol_exercise
    from posecount.history import RunRecorder
    from posecount.pipeline import FunctionTestRequest

    recorder = RunRecorder(db, enabled=not no_history)

    protocol = get_protocol(name)
    spec = protocol_exercise(protocol)
    report = _analyse(f"{name} {video.name}", video, spec, out_dir, no_video, landmarks,
                      (model, min_detection_confidence, min_tracking_confidence),
                      FunctionTestRequest(protocol, start_s=start, age=age, sex=sex))
    for line in _test_lines(protocol.title, protocol.norm_source, report.test or {}):
        out.print(line, markup=False, highlight=False)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(f"results in {out_dir}/")
    recorder.record(report, "test", out_dir)


def _test_lines(title: str, norm_source: str, result: dict[str, object]) -> list[str]:
    """A function test's result for the terminal: the verdict; when go was and the stands (a stances test: each
    stance held or not); the norms' source."""
    lines = [f"{title}: {result.get('verdict')}"]
    go = f"  go at {result.get('start_s')} s ({result.get('start_from')})"
    stances = result.get("stances")
    if result.get("kind") == "stances" and isinstance(stances, list):
        done = [f"{s['name'].replace('_', '-')} {s['held_s']:.1f} s {'held' if s['held'] else 'not held'}"
                for s in stances if isinstance(s, dict)]
        lines.append(f"{go}; stances: {', '.join(done) if done else 'none taken'}")
    else:
        stands = result.get("stands_s")
        times = [f"{t:.1f}" for t in stands] if isinstance(stands, list) else []
        lines.append(f"{go}; stands at {', '.join(times)} s" if times else f"{go}; no stands")
    lines.append(f"  norms: {norm_source}")
    return lines


@app.command()
def pose(
    video: Annotated[Path, typer.Argument(help="Video file.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for landmarks.npz and landmarks.csv.")],
    model: ModelOpt = "full",
    min_detection_confidence: DetConfOpt = 0.5,
    min_tracking_confidence: TrackConfOpt = 0.5,
) -> None:
    """Landmarks of every frame (33 MediaPipe landmarks, pixels and world metres, and each foot's direction
    from the silhouette) to landmarks.npz/.csv."""
    from posecount.pipeline import run_pose_extraction

    options = _pose_options(model, min_detection_confidence, min_tracking_confidence)
    with _progress() as progress:
        task = progress.add_task(f"pose {video.name}", total=None)
        track = run_pose_extraction(
            video, out_dir, options, on_start=lambda info: progress.update(task, total=info.frames or None),
            on_frame=lambda n: progress.update(task, completed=n))
    out.print(f"{len(track)} frames, pose found in {100 * track.detected_fraction:.1f}% "
              f"→ {out_dir}/landmarks.npz, {out_dir}/landmarks.csv")


@app.command()
def evaluate(
    directory: Annotated[Path, typer.Argument(help="Directory of clips with NAME.truth.json beside NAME.mp4.")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Keep each clip's results here.")] = None,
    landmarks: Annotated[Path | None, typer.Option(
        "--landmarks", help="Replay NAME.npz recordings from this directory instead of running the model "
        "(e.g. samples/landmarks).")] = None,
    model: ModelOpt = "full",
) -> None:
    """Analyse every clip that has a NAME.truth.json and print a scorecard; exit 1 if anything is off."""
    from posecount.evaluate import evaluate_directory, render_scorecard

    options = None if landmarks else _pose_options(model, 0.5, 0.5)
    with _progress() as progress:
        task = progress.add_task("evaluate", total=None)
        results = evaluate_directory(directory, options, out_dir, landmarks_dir=landmarks,
                                     on_clip=lambda i, n: progress.update(task, completed=i, total=n))
    render_scorecard(results, out)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def live(
    exercise: Annotated[str | None, typer.Option(
        "--exercise", "-e", help="Exercise name (see `posecount exercises`) or a path to your own .toml spec; "
        "or give --routine.")] = None,
    routine: Annotated[str | None, typer.Option(
        "--routine", help="Walk through a routine: `seed` (built in) or a routine file (.toml) with exercises, "
        "sets, reps per leg and rests; it ends asking pain and effort (keys 0-9, T for 10).")] = None,
    test: Annotated[str | None, typer.Option(
        "--test", help="Run a function test (see `posecount exercises`): a spoken countdown, then its clock; the "
        "result against the norms goes into report.json's `test` and the history.")] = None,
    age: Annotated[int | None, typer.Option("--age", min=18, max=120, help="With --test: your age (norms).")] = None,
    sex: Annotated[Literal["female", "male"] | None, typer.Option(
        "--sex", help="With --test: female or male (norms).")] = None,
    countdown: Annotated[float, typer.Option(
        "--countdown", min=0.0, max=60.0, help="With --test: seconds from being in position to 'go' (a recorded "
        "--source: on the clip's own clock).")] = 3.0,
    camera: Annotated[int, typer.Option("--camera", help="Camera index.")] = 0,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Play a video file or stream URL through the live path (paced in real time). Given "
        "several times: the files one after another (with --routine, each set-up starts on the next file).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where report.json goes.")] = Path("posecount-out"),
    width: Annotated[int, typer.Option("--width", help="Requested camera width.")] = 1280,
    height: Annotated[int, typer.Option("--height", help="Requested camera height.")] = 720,
    fps: Annotated[float, typer.Option("--fps", help="Requested camera fps.")] = 30.0,
    mute: Annotated[bool, typer.Option("--mute", help="No spoken cues.")] = False,
    no_mirror: Annotated[bool, typer.Option("--no-mirror", help="Do not mirror the display.")] = False,
    headless: Annotated[bool, typer.Option("--headless", help="No window (count and report only).")] = False,
    speed: Annotated[float, typer.Option("--speed", min=0.1, max=10.0,
                                         help="Playback speed of --source files (1 = real time).")] = 1.0,
    landmarks: Annotated[Path | None, typer.Option(
        "--landmarks", help="Replay recordings made by `posecount pose` instead of running the model: a .npz for "
        "one --source, or a directory holding NAME.npz for each --source NAME.mp4.")] = None,
    target: TargetOpt = None,
    hold: HoldOpt = None,
    prescription: PrescriptionOpt = None,
    model: ModelOpt = "full",
    min_detection_confidence: DetConfOpt = 0.5,
    min_tracking_confidence: TrackConfOpt = 0.5,
    no_history: NoHistoryOpt = False,
    db: DbOpt = None,
) -> None:
    """Live coaching in a window from a camera (or --source); writes report.json into --out at the end.
    With --routine, a guided routine: routine.json too, and the session in the history as a routine.
    With --test, a function test: countdown, clock, the result against the norms (as `posecount test`)."""
    from posecount.errors import ConfigError
    from posecount.exercises import builtin_exercises
    from posecount.history import SessionWriter
    from posecount.live import LiveOptions, run_live_session

    sources = list(source or [])
    plan = None
    cycle: tuple[ExerciseSpec, ...] = ()
    live_test = None
    if test is None and (age is not None or sex is not None):
        raise ConfigError("--age and --sex go with --test (the norms of a function test)")
    if test is not None:
        from posecount.exercises.protocols import get_protocol, protocol_exercise
        from posecount.live import LiveTest

        if routine is not None or exercise is not None:
            raise ConfigError(f"--test runs on its own: not with --{'routine' if routine is not None else 'exercise'}")
        if target or hold or prescription:
            raise ConfigError("--target, --hold and --prescription go with --exercise, not with --test")
        if len(sources) > 1:
            raise ConfigError("--test plays one --source (a recording of the test), not several")
        protocol = get_protocol(test)
        spec = protocol_exercise(protocol)
        live_test = LiveTest(protocol, age=age, sex=sex, countdown_s=countdown)
    elif routine is not None:
        from posecount.routine import load_routine, routine_specs

        if exercise is not None:
            raise ConfigError("choose --exercise or --routine, not both")
        if target or hold or prescription:
            raise ConfigError("--target, --hold and --prescription go with --exercise; a routine's per-leg targets "
                              "and holds are in its file (target_deg, min_hold_s)")
        plan = load_routine(routine)
        spec = routine_specs(plan)[0]
    elif exercise is None:
        raise ConfigError("give --exercise NAME (see `posecount exercises`), --routine FILE.toml (or seed) or "
                          "--test NAME")
    else:
        spec = _spec(exercise, target, hold, prescription)
        # Tab cycles through the built-in exercises, each with the prescription's targets (--target and --hold
        # are in the chosen exercise's own units, so they stay with it).
        if spec.name in builtin_exercises():
            cycle = tuple(spec if name == spec.name else _spec(name, None, None, prescription)
                          for name in builtin_exercises())
    # The session goes into the history as it runs (each finished attempt on disk at once).
    label = " + ".join(sources) if sources else f"camera:{camera}"
    kind = "test" if live_test else ("routine" if plan else "live")
    writer = None if no_history else SessionWriter.start(db, kind, spec, label, out_dir)
    options = None if landmarks else _pose_options(model, min_detection_confidence, min_tracking_confidence)
    result = run_live_session(LiveOptions(
        spec=spec, pose=options, out_dir=out_dir, camera=camera, source=sources[0] if sources else None,
        playlist=tuple(sources[1:]), resolution_wh=(width, height), fps=fps, mute=mute, mirror=not no_mirror,
        headless=headless, speed=speed, exercises=cycle, history=writer, routine=plan, landmarks=landmarks,
        test=live_test))
    report = result.report
    if live_test is not None:
        p = live_test.protocol
        for line in (_test_lines(p.title, p.norm_source, report.test) if report.test else
                     [f"{p.title}: no result (the test did not start)"]):
            out.print(line, markup=False, highlight=False)
        out.print(f"→ {out_dir}/report.json", markup=False)
    elif result.routine is not None:
        for line in _routine_lines(result.routine):
            out.print(line, markup=False, highlight=False)
        out.print(f"→ {out_dir}/routine.json, {out_dir}/report.json", markup=False)
    else:
        out.print(f"{spec.title}: {_counts_text(report.counts)} ({len(report.reps)} attempts) → {out_dir}/report.json")
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    if writer is not None:
        writer.finish(report)


def _routine_lines(summary: dict[str, object]) -> list[str]:
    """A routine as it went: one line per leg of each set, then the answers."""
    state = "finished" if summary.get("finished") else ("ended early" if summary.get("ended_early") else
                                                        "not finished")
    lines = [f"Routine {summary.get('routine')}: {state}"]
    for row in summary.get("sets", []):  # type: ignore[attr-defined]
        how = "" if row["ended"] in ("done", None) else f" ({row['ended']})"
        lines.append(f"  {row['exercise']} set {row['set']}, {row['leg']}: {row['counted']}/{row['goal']} counted"
                     f"{how}")
    answers = [f"{name} {'not answered' if summary.get(name) is None else summary.get(name)}"
               for name in ("pain", "effort")]
    lines.append("  " + ", ".join(answers))
    return lines


@app.command()
def exercises() -> None:
    """List the exercise names, and the function tests (`posecount test NAME VIDEO`), one line each."""
    from posecount.exercises import builtin_exercises
    from posecount.exercises.protocols import builtin_protocols

    for name, spec in builtin_exercises().items():
        out.print(f"{name:24s} {spec.description}")
    for name, protocol in builtin_protocols().items():
        out.print(f"{name:24s} test: {protocol.description}", markup=False)


@app.command()
def history(
    exercise: Annotated[str | None, typer.Option("--exercise", "-e", help="Only this exercise.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this local date on (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this local date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout: sessions, per-leg figures, reps.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout: one row per session and exercise.")] = False,
    db: DbOpt = None,
) -> None:
    """The stored sessions (analyze, test and live runs): a table, or --json / --csv on stdout."""
    from posecount.history import read_sessions
    from posecount.history.export import to_csv, to_json, to_table

    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    path, sessions = read_sessions(db, exercise, _date(since, "--since"), _date(until, "--until"), reps=as_json)
    if as_json or as_csv:
        sys.stdout.write(to_json(sessions) if as_json else to_csv(sessions))
    elif sessions:
        out.print(to_table(sessions, f"{len(sessions)} session(s) in {path}"))
    else:
        out.print(f"no sessions{f' of {exercise}' if exercise else ''} in {path}", markup=False)


@app.command("progress")
def progress_cmd(
    exercise: Annotated[str | None, typer.Option("--exercise", "-e", help="Only this exercise.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this local date on (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this local date (YYYY-MM-DD).")] = None,
    chart: Annotated[Path | None, typer.Option("--out", "-o", help="Also draw the chart into this PNG file.")] = None,
    db: DbOpt = None,
) -> None:
    """Progress per leg, day by day: counted reps, mean and best peak (range of motion), mean hold, faults per
    rep and left/right symmetry (a table per exercise), what changed from the first week to the last in plain
    words, and with --out a chart (PNG)."""
    from posecount.history.charts import progress_png, write_png
    from posecount.history.progress import read, to_table

    first, last = _date(since, "--since"), _date(until, "--until")
    path, result = read(db, exercise, first, last)
    if not result:
        span = "".join(f" {word} {d.isoformat()}" for word, d in (("from", first), ("to", last)) if d)
        out.print(f"no sessions{f' of {exercise}' if exercise else ''}{span} in {path}"
                  f"{'; no chart written' if chart else ''}", markup=False)
        return
    days = result.days
    out.print(f"progress in {path}: {len(days)} day(s) trained, {days[0].isoformat()} to {days[-1].isoformat()}",
              markup=False)
    for ex in result.exercises:
        out.print(to_table(ex))
        for line in ex.lines():
            out.print(line, markup=False, highlight=False)
        out.print()
    if chart is not None:
        write_png(chart, progress_png(result))
        out.print(f"chart → {chart}", markup=False)


@app.command("report")
def report_cmd(
    since: Annotated[str, typer.Option("--since", help="From this local date on (YYYY-MM-DD).")],
    html_out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    until: Annotated[str | None, typer.Option("--until", help="Up to this local date (YYYY-MM-DD); default today."
                                              )] = None,
    db: DbOpt = None,
) -> None:
    """One self-contained HTML page for your physiotherapist: the programme, adherence, per-leg trends with
    charts, function tests against their norms, the most frequent form faults and what they mean, pain and
    effort. Opens offline; prints on A4."""
    from posecount.history.html_report import write_report

    first, last = _date(since, "--since"), _date(until, "--until") or date.today()
    assert first is not None
    data = write_report(db, first, last, html_out)
    out.print(f"report of {first.isoformat()} to {last.isoformat()}: {len(data.trained)} of {data.days_in_range} "
              f"day(s) trained, {len(data.progress.exercises)} exercise(s), {len(data.tests)} function test(s) "
              f"→ {html_out}", markup=False)


def _date(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option as a date (None stays None)."""
    from posecount.errors import ConfigError

    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


@model_app.command("path")
def model_path_cmd(variant: Annotated[ModelVariant, typer.Option("--variant")] = "full") -> None:
    """Where the model is (or would be), and whether it is there and verified."""
    from posecount.models import model_info

    info = model_info(variant)
    out.print(str(info["path"]))
    state = "verified" if info.get("verified") else ("present but NOT verified" if info.get("exists") else "missing")
    err.print(f"{variant}: {state}")


@model_app.command("fetch")
def model_fetch(
    variant: Annotated[ModelVariant, typer.Option("--variant")] = "full",
    source: Annotated[Literal["auto", "official", "wheel"], typer.Option(
        "--source", help="official download, build from the mediapipe 0.10.21 wheel, or auto (official, then wheel)"
    )] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Fetch again even if a verified file is there.")] = False,
) -> None:
    """Fetch the pose model into the cache (or models/ in a checkout), verified by SHA-256."""
    from posecount.models import ensure_model

    path = ensure_model(variant, source=source, force=force, progress=True)
    out.print(str(path))


@model_app.command("build")
def model_build(force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Build the full model bundle from the mediapipe 0.10.21 wheel (works where Google's storage is blocked)."""
    from posecount.models import ensure_model

    out.print(str(ensure_model("full", source="wheel", force=force, progress=True)))


@model_app.command("verify")
def model_verify(variant: Annotated[ModelVariant, typer.Option("--variant")] = "full") -> None:
    """Check the model file's SHA-256 against the pinned hashes; exit 1 if it is missing or wrong."""
    from posecount.models import model_info

    info = model_info(variant)
    if not info.get("verified"):
        err.print(f"{info['path']}: {'wrong or corrupt' if info.get('exists') else 'missing'}; "
                  f"run `posecount model fetch --force`")
        raise typer.Exit(1)
    out.print(f"{info['path']}: OK (sha256 {info.get('sha256')})")


def main() -> None:
    """Entry point: one line on stderr and a non-zero exit for our errors, never a traceback.

    Usage errors are typer's own (a short usage message, exit 2).
    """
    # FFmpeg (inside OpenCV) logs demuxer complaints such as "moov atom not found" straight to stderr,
    # next to our own one-line error; it reads this before the first capture is opened.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    try:
        app()
    except PosecountError as exc:
        err.print(f"posecount: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("posecount: interrupted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # anything unexpected: one line, unless debugging
        if os.environ.get("POSECOUNT_DEBUG"):
            raise
        err.print(f"posecount: internal error: {type(exc).__name__}: {exc} (set POSECOUNT_DEBUG=1 for details)",
                  markup=False, highlight=False, soft_wrap=True)
        sys.exit(70)
