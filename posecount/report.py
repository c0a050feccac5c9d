"""The report (the outward contract in ../shared/CONTRACT.md) and its writers: json, csv, png.

Every file is written whole or not at all (temporary name, then rename).
"""

from __future__ import annotations

import csv
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from posecount.atomic import atomic_open, atomic_path
from posecount.exercises.engine import RepRecord, count_reps
from posecount.exercises.spec import SIDES, ExerciseSpec, Track
from posecount.sources import SourceInfo

SCHEMA_VERSION = 1
REP_FIELDS = ["index", "side", "start_s", "peak_s", "end_s", "hold_s", "peak_angle_deg", "counted", "faults"]


def rep_fields(unit: str = "deg") -> list[str]:
    """reps.csv's columns: the contract's for a degree drive; a drive in another unit has ``peak_<unit>``."""
    return REP_FIELDS if unit == "deg" else [("peak_" + unit if f == "peak_angle_deg" else f) for f in REP_FIELDS]


@dataclass
class Report:
    exercise: str
    source: SourceInfo
    frames_read: int
    reps: list[RepRecord]
    pose_detected_fraction: float
    warnings: list[str] = field(default_factory=list)
    #: how the report was made (see :func:`provenance`): added fields, ignored by schema_version 1 readers
    made_with: dict[str, object] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)

    #: the spec's tracks: both legs, or ("both",) for an exercise counted for the whole body
    tracks: tuple[Track, ...] = SIDES
    unit: str = "deg"  # the drive's unit (reps.csv names its peak column after it)
    #: a function test's outcome (posecount test): protocol, score or time, norm and its source
    test: dict[str, object] | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Counted reps per leg and in total; a whole-body exercise adds ``both`` (the contract)."""
        return count_reps(self.reps, self.tracks)

    @property
    def duration_s(self) -> float:
        """Seconds of video: by the timestamps when the source measured them (files: right for variable frame
        rates), else the frames read at the source's rate (a live session)."""
        if self.source.measured_duration_s is not None:
            return self.source.measured_duration_s
        fps = self.source.fps
        return self.frames_read / fps if fps else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "exercise": self.exercise,
            "source": {"path": self.source.path, "fps": round(self.source.fps, 3), "frames": self.frames_read,
                       "duration_s": round(self.duration_s, 3),
                       "width": self.source.width, "height": self.source.height},
            "counts": self.counts,
            "reps": [r.to_dict() for r in self.reps],
            "pose_detected_fraction": round(self.pose_detected_fraction, 4),
            "warnings": list(self.warnings),
            **({"made_with": self.made_with} if self.made_with else {}),
            **({"settings": self.settings} if self.settings else {}),
            **({"test": self.test} if self.test is not None else {}),
        }

    def write_json(self, path: Path) -> None:
        with atomic_open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, ensure_ascii=False)
            fh.write("\n")

    def write_reps_csv(self, path: Path) -> None:
        with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=rep_fields(self.unit), extrasaction="ignore")
            writer.writeheader()
            for rep in self.reps:
                row = rep.to_dict()
                row["faults"] = ";".join(rep.faults)
                row["counted"] = str(rep.counted).lower()
                writer.writerow(row)


def provenance(spec: ExerciseSpec, model_path: Path | None = None, landmarks: str | None = None
               ) -> tuple[dict[str, object], dict[str, object]]:
    """(made_with, settings) for a report: the versions, the model file and its SHA-256 (or the recording
    replayed), and the exercise's thresholds with the personal targets and holds per leg in force."""
    from posecount import __version__
    from posecount.posecache import file_sha256, mediapipe_version

    made_with: dict[str, object] = {"posecount": __version__, "mediapipe": mediapipe_version()}
    if model_path is not None:
        made_with["model"] = {"file": Path(model_path).name, "sha256": file_sha256(Path(model_path))}
    if landmarks is not None:
        made_with["landmarks"] = landmarks
    d = spec.drive
    settings: dict[str, object] = {
        "drive": d.model_dump(exclude={"hold_band_deg"}),
        "per_side": {track: {f"target_{d.unit}": spec.target(track), "min_hold_s": spec.min_hold_s(track)}
                     for track in spec.tracks},
        "personal": bool(spec.per_side),
        "rules": [{"code": r.code, "feature": r.feature, "min": r.min, "max": r.max} for r in spec.rules],
    }
    return made_with, settings


class FramesCsv:
    """Streams ``frames.csv`` (one row per frame) into ``fh`` (the caller makes it atomic).

    Keeps a compact copy of the angles for the timeline plot (a few floats per frame).
    """

    def __init__(self, fh: IO[str], spec: ExerciseSpec) -> None:
        self.angle_names = _angle_columns(spec)
        self._writer = csv.writer(fh)
        self._writer.writerow(["frame", "t_s", "pose_found", "view_ok", *self.angle_names,
                               *(f"phase_{s}" for s in spec.tracks)])
        self.t_s: list[float] = []
        self.values: list[list[float]] = []

    def add(self, frame: int, t_s: float, pose_found: bool, view_ok: bool, angles: list[float],
            phases: list[str]) -> None:
        self._writer.writerow([frame, f"{t_s:.3f}", int(pose_found), int(view_ok),
                               *("" if not math.isfinite(a) else f"{a:.2f}" for a in angles), *phases])
        self.t_s.append(t_s)
        self.values.append(angles)


def _angle_columns(spec: ExerciseSpec) -> list[str]:
    """The drive per leg (or once, for a whole-body drive), then each rule's feature (per leg, or once)."""
    whole = spec.tracks == ("both",)
    names = [spec.drive.feature] if whole else [f"{spec.drive.feature}_{s}" for s in SIDES]
    for rule in spec.rules:
        cols = [f"{rule.feature}_{s}" for s in SIDES] if rule.side == "working" and not whole else [rule.feature]
        names += [c for c in cols if c not in names]
    return names


def preload_timeline() -> threading.Thread:
    """Import what :func:`write_timeline` draws with (matplotlib: ~0.5 s, and its first figure ~0.25 s more
    in a fresh process) on a background thread, started when an analysis starts: the import runs while the
    model infers (which releases the GIL), not after the last frame. :func:`write_timeline` needs nothing
    from the thread: its own import waits for one in progress (Python's per-module import lock)."""
    thread = threading.Thread(target=_import_matplotlib, name="posecount-timeline-preload")
    thread.start()  # not a daemon: an interpreter never exits in the middle of an import
    return thread


def _import_matplotlib() -> None:
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401


def write_timeline(path: Path, spec: ExerciseSpec, frames: FramesCsv, reps: list[RepRecord]) -> None:
    """Angles over time with the thresholds, each attempt shaded (green counted, red not)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # no pyplot: no global backend or figure state
    from matplotlib.figure import Figure

    t = np.asarray(frames.t_s)
    values = np.asarray(frames.values, dtype=float).reshape(len(t), -1) if len(t) else np.zeros((0, 2))
    colours = {"left": "#1f77b4", "right": "#ff7f0e", "both": "#1f77b4"}
    fig = Figure(figsize=(11, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, track in enumerate(spec.tracks):
        if values.shape[0]:
            ax.plot(t, values[:, i], color=colours[track], lw=1.4,
                    label=spec.drive.feature + ("" if track == "both" else f" ({track})"))
    d = spec.drive
    mark = "°" if d.unit == "deg" else ""
    ax.axhline(d.target, color="green", ls="--", lw=1, label=f"target {d.target:g}{mark}")
    ax.axhline(d.start, color="grey", ls=":", lw=1, label=f"attempt starts {d.start:g}{mark}")
    for rep in reps:
        ax.axvspan(rep.start_s, rep.end_s, color="#2ca02c" if rep.counted else "#d62728", alpha=0.15, lw=0)
        label = f"{rep.side[0].upper()}{'✓' if rep.counted else '✗'}"
        if rep.faults:
            label += "\n" + "\n".join(f.replace("_", " ") for f in rep.faults)
        ax.annotate(label, (rep.peak_s, rep.peak), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("angle (°)" if d.unit == "deg" else d.unit)
    ax.set_title(f"{spec.title}: {sum(r.counted for r in reps)} counted of {len(reps)} attempts")
    top = max([d.target, d.start, *(r.peak for r in reps)] + ([float(np.nanmax(values))] if np.isfinite(
        values).any() else []))
    ax.set_ylim(top=top + 0.18 * abs(top) + (5 if d.unit == "deg" else 0.05))  # room for the rep labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, ncol=4, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
