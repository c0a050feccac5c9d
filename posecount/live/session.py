"""A whole ``posecount live`` session: open the source, the model (or the recordings), the window and the voice;
run the loop; write ``report.json`` and its segments (:func:`save_live_result`); close everything."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from posecount.atomic import atomic_open, output_dir
from posecount.display import NullWindow, OpenCVWindow, Window
from posecount.errors import InputError
from posecount.exercises import get_exercise
from posecount.exercises.spec import ExerciseSpec
from posecount.live.loop import LiveLoop, LiveResult
from posecount.live.options import LiveOptions
from posecount.live.sources import (
    EstimateFn,
    OpenedSource,
    Playlist,
    _ModelClock,
    _open_file,
    _recordings,
    open_live_source,
    replay_estimate,
)
from posecount.live.stats import ArrivalStamps
from posecount.pipeline import options_for
from posecount.pose import PoseEstimator
from posecount.report import Report
from posecount.sources import LatestFrame
from posecount.speech import Speaker, default_voice

log = logging.getLogger("posecount.live")  # the live path's one logger (tests and --verbose read it by name)


def run_live_session(options: LiveOptions, window: Window | None = None, speaker: Speaker | None = None
                     ) -> LiveResult:
    """Open source, model, window and voice; run the loop; write ``report.json``; close everything."""
    with output_dir(Path(options.out_dir)) as out_dir:  # a source that cannot be opened leaves no directory
        recordings = _recordings(options)
        source, label, live = open_live_source(options)
    arrivals = ArrivalStamps(source)
    model = _ModelClock()

    def estimate_for(path: str) -> EstimateFn:
        return replay_estimate(recordings[path]) if recordings else model.next_file()

    playlist = Playlist(options.playlist, lambda path: _open_file(path, options, estimate_for(path)))
    own_window = window is None
    own_speaker = speaker is None
    try:
        if not recordings:
            if options.pose is None:
                raise InputError("no pose model given, and no --landmarks to replay")
            model.estimator = PoseEstimator(options_for(_reachable(options), options.pose))
        if window is None:
            window = NullWindow() if options.headless else OpenCVWindow()
        if speaker is None:
            speaker = Speaker(default_voice, muted=options.mute)
        first = OpenedSource(LatestFrame(arrivals, stall_timeout_s=options.stall_timeout_s), label, live,
                             estimate_for(label), arrivals)
        playlist.current = first
        loop = LiveLoop(options.spec, first.feed, first.estimate, window, speaker, source_label=label,
                        mirror=options.mirror, live_source=live, arrivals=arrivals, draw=not options.headless,
                        display_min_height_px=options.display_min_height_px,
                        model_path=options.pose.model_path if options.pose is not None and not recordings else None,
                        exercises=options.exercises, history=options.history, routine=options.routine,
                        sources=playlist, answer_wait_s=0.0 if options.headless else options.answer_wait_s,
                        landmarks=str(options.landmarks) if recordings else None, test=options.test)
        result = loop.run()
    finally:
        if playlist.current is not None:
            playlist.close()
        else:
            source.close()
        if model.estimator is not None:
            model.estimator.close()
        if own_window and window is not None:
            window.close()
        if own_speaker and speaker is not None:
            speaker.close()
    save_live_result(result, out_dir)
    s = result.stats.summary()
    log.info("live: %s after %.1f s; %.1f fps shown, %d of %d frames skipped (longest gap %.0f ms), "
             "capture-to-display %.0f ms (p95 %.0f)", result.end_reason, result.stats.elapsed_s, s["display_fps"],
             result.stats.frames_skipped, result.stats.frames_captured, s["max_gap_ms"], s["latency_ms_p50"],
             s["latency_ms_p95"])
    return result


def _reachable(options: LiveOptions) -> list[ExerciseSpec]:
    """Every exercise the session may count (the first, Tab's list, the routine's): the landmarker is set up
    once for all of them."""
    routine = options.routine.exercises if options.routine is not None else ()
    return [options.spec, *options.exercises, *(get_exercise(exercise.ref) for exercise in routine)]


def save_live_result(result: LiveResult, out_dir: Path) -> None:
    """``report.json`` (the exercise on screen at the end) and one ``report-segment-N-EXERCISE.json`` per
    earlier exercise segment, each named in report.json's warnings; with a routine, ``routine.json`` (its
    sets per leg and the answers). report.json is written last."""
    out_dir = Path(out_dir)
    for n, segment in enumerate(result.segments, start=1):
        path = out_dir / f"report-segment-{n}-{segment.report.exercise}.json"
        segment.report.write_json(path)
        result.segment_files.append(path)
        c = segment.report.counts
        what = ("an earlier part of the session" if result.routine is not None
                else "the exercise was switched during the session")
        result.report.warnings.append(
            f"{what}: {segment.report.exercise} from {segment.start_s:.1f} "
            f"to {segment.end_s:.1f} s (left {c['left']}, right {c['right']} counted) is in {path.name}")
    if result.routine is not None:
        with atomic_open(out_dir / "routine.json", "w", encoding="utf-8") as fh:
            json.dump(result.routine, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    result.report.write_json(out_dir / "report.json")


def run_live(options: LiveOptions) -> Report:
    """``posecount live``: the session's report (also written to ``options.out_dir/report.json``)."""
    return run_live_session(options).report
