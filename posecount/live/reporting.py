"""The report of a live Session (the same format as analyze): the source as the frames showed it, the counts,
the warnings and the provenance; and the :class:`Segment` an earlier exercise (Tab), file or routine exercise
leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posecount.exercises.spec import ExerciseSpec
from posecount.pipeline import Session
from posecount.report import Report, provenance
from posecount.sources import Frame, SourceInfo


@dataclass
class Segment:
    """An exercise segment ended by Tab: its own report, and when it ran (seconds of the source)."""

    report: Report
    start_s: float
    end_s: float


def source_info(info: SourceInfo, label: str, frame_wh: tuple[int, int] | None, last_frame: Frame | None
                ) -> SourceInfo:
    """The source for the report: ``label``, the size of the frames seen, and its duration by the frames'
    own timestamps."""
    w, h = frame_wh or (info.width, info.height)
    # The duration by the frames' own timestamps (a variable-frame-rate file, a camera that runs slow):
    # the last frame seen ends one nominal interval after its timestamp.
    end_s = (last_frame.timestamp_ms / 1000.0 + (1.0 / info.fps if info.fps > 0 else 0.0)
             if last_frame is not None else None)
    return SourceInfo(path=label, fps=info.fps, frames=info.frames, width=w, height=h,
                      measured_duration_s=end_s)


def build_report(session: Session, spec: ExerciseSpec, info: SourceInfo, *, frames_read: int,
                 session_start_ms: int | None, model_path: Path | None, landmarks: str | None) -> Report:
    """The report of ``session`` (begun at ``session_start_ms`` of the source; ``frames_read``: what the source
    delivered)."""
    t = session.tally
    span_s = max(1e-3, (session.last_ms - (session_start_ms or 0)) / 1000.0)
    # The session saw only the frames the model kept up with: convert its frame counts at that rate.
    processing_fps = t.frames / span_s if t.frames > 1 else info.fps
    made_with, settings = provenance(spec, model_path, landmarks)
    return Report(exercise=spec.name, source=info, frames_read=frames_read, tracks=spec.tracks,
                  unit=spec.drive.unit,
                  reps=list(session.counter.reps), pose_detected_fraction=t.pose_frames / max(1, t.frames),
                  warnings=session.warnings(processing_fps), made_with=made_with, settings=settings)
