"""Recorded landmarks: what ``posecount pose`` writes, and the replay format for tests.

``landmarks.npz`` (numpy, load with ``np.load``), N frames, 33 MediaPipe landmarks (names in
``landmark_names``):

=================  =================  ==========================================================
array              shape, dtype       meaning
=================  =================  ==========================================================
frame              (N,) int64         frame index in the video
timestamp_ms       (N,) int64         the video's own timestamp of the frame
detected           (N,) bool          a pose was found
image_xy           (N, 33, 2) float32 pixels, x right, y down (NaN where not detected)
world_xyz          (N, 33, 3) float32 metres, origin between the hips (NaN where not detected)
visibility         (N, 33) float32    0..1 (NaN where not detected)
presence           (N, 33) float32    0..1 (NaN where not detected)
foot_axis_deg      (N, 2) float32     only when recorded with the silhouette (as ``posecount pose``
                                      always records): the left and the right foot's direction read from
                                      the segmentation mask, degrees, ``atan2(dy, dx)`` in the image
                                      (NaN where not found; see :mod:`posecount.silhouette`)
leg_motion_deg     (N, 2) float32     only when recorded with leg motion (as ``posecount pose`` always
                                      records): the left and the right leg's abduction read from motion
                                      against the scene at rest, degrees (NaN where no leg sticks out;
                                      see :mod:`posecount.motion`)
thigh_motion_deg   (N, 2) float32     with leg motion: the left and the right thigh's direction from its
                                      hip, read alike (degrees from straight down, outward positive; NaN
                                      where no thigh sticks out; absent from recordings made before it)
knee_motion_deg    (N, 2) float32     only when recorded with knee motion (as ``posecount pose`` always
                                      records): side-on, seated, the left and the right knee's interior
                                      angle read from motion against the scene at rest, degrees (NaN
                                      where no shank sticks out; see :class:`posecount.motion.KneeMotion`)
landmark_names     (33,) str
source             () str             JSON: path, fps, frames, width, height
=================  =================  ==========================================================

A *compact* file (``save_npz(path, compact=True)``; how the samples' recordings are committed) keeps
``frame``, ``timestamp_ms``, ``detected``, ``landmark_names`` and ``source``, and for the detected frames
only, as integer steps from the previous detected frame (which compress about three times better):
``image_xy_dpx`` (1/10 px), ``world_xyz_mm`` (1 mm), ``visibility_e3`` and ``presence_e3`` (1/1000);
``foot_axis_deg``, ``leg_motion_deg``, ``thigh_motion_deg`` and ``knee_motion_deg``, when there are, are kept
as they are.
:meth:`PoseTrack.load` reads both kinds.

``landmarks.csv``: one row per frame, ``frame, t_s, detected``, then for every landmark NAME the columns
``NAME_x_px, NAME_y_px, NAME_wx_m, NAME_wy_m, NAME_wz_m, NAME_visibility`` (empty where not detected);
recorded with the silhouette, then ``left_foot_axis_deg, right_foot_axis_deg`` (empty where not found);
recorded with leg motion, then ``left_leg_motion_deg, right_leg_motion_deg`` (empty where none);
recorded with knee motion, then ``left_knee_motion_deg, right_knee_motion_deg`` (empty where none);
recorded with leg motion, last ``left_thigh_motion_deg, right_thigh_motion_deg`` (empty where none).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecount.atomic import atomic_open, atomic_path
from posecount.errors import InputError
from posecount.pose import LANDMARK_NAMES, NUM_LANDMARKS, Pose
from posecount.sources import SourceInfo


@dataclass
class PoseTrack:
    """Landmarks of every frame of one video."""

    source: SourceInfo
    frame: np.ndarray
    timestamp_ms: np.ndarray
    detected: np.ndarray
    image_xy: np.ndarray
    world_xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    foot_axis_deg: np.ndarray | None = None  # (N, 2), recorded with the silhouette only
    leg_motion_deg: np.ndarray | None = None  # (N, 2), recorded with leg motion only
    knee_motion_deg: np.ndarray | None = None  # (N, 2), recorded with knee motion only
    thigh_motion_deg: np.ndarray | None = None  # (N, 2), recorded with leg motion only

    def __len__(self) -> int:
        return int(self.frame.shape[0])

    def pose(self, i: int) -> Pose | None:
        if not self.detected[i]:
            return None
        feet = None if self.foot_axis_deg is None else self.foot_axis_deg[i]
        motion = None if self.leg_motion_deg is None else self.leg_motion_deg[i]
        knees = None if self.knee_motion_deg is None else self.knee_motion_deg[i]
        thighs = None if self.thigh_motion_deg is None else self.thigh_motion_deg[i]
        return Pose(self.image_xy[i], self.world_xyz[i], self.visibility[i], self.presence[i], feet, motion, knees,
                    thighs)

    def __iter__(self) -> Iterator[tuple[int, int, Pose | None]]:
        """(frame index, timestamp_ms, pose or None) for every frame."""
        for i in range(len(self)):
            yield int(self.frame[i]), int(self.timestamp_ms[i]), self.pose(i)

    @property
    def detected_fraction(self) -> float:
        return float(self.detected.mean()) if len(self) else 0.0

    def save_npz(self, path: Path, compact: bool = False) -> None:
        """Write ``path`` (whole or not at all); ``compact``: integer steps (see the module docstring)."""
        if compact:
            rows = self.detected
            arrays = {f"{name}_{unit}": _delta_encode(getattr(self, name)[rows], per_unit)
                      for name, unit, per_unit in _COMPACT}
        else:
            arrays = {"image_xy": self.image_xy, "world_xyz": self.world_xyz, "visibility": self.visibility,
                      "presence": self.presence}
        for name in _PER_LEG:
            values = getattr(self, name)
            if values is not None:
                arrays[name] = values.astype(np.float32)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, frame=self.frame, timestamp_ms=self.timestamp_ms, detected=self.detected,
                landmark_names=np.array(LANDMARK_NAMES), source=np.array(json.dumps(_info_dict(self.source))),
                **arrays)

    def save_csv(self, path: Path) -> None:
        header = ["frame", "t_s", "detected"]
        for name in LANDMARK_NAMES:
            header += [f"{name}_x_px", f"{name}_y_px", f"{name}_wx_m", f"{name}_wy_m", f"{name}_wz_m",
                       f"{name}_visibility"]
        per_leg = [(name, getattr(self, name)) for name in _PER_LEG if getattr(self, name) is not None]
        for name, _ in per_leg:
            header += [f"left_{name}", f"right_{name}"]
        with atomic_open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for i in range(len(self)):
                row: list[object] = [int(self.frame[i]), f"{self.timestamp_ms[i] / 1000:.3f}", int(self.detected[i])]
                if self.detected[i]:
                    for j in range(NUM_LANDMARKS):
                        x, y = self.image_xy[i, j]
                        wx, wy, wz = self.world_xyz[i, j]
                        row += [f"{x:.2f}", f"{y:.2f}", f"{wx:.4f}", f"{wy:.4f}", f"{wz:.4f}",
                                f"{self.visibility[i, j]:.3f}"]
                else:
                    row += [""] * (6 * NUM_LANDMARKS)
                for _, values in per_leg:
                    row += ["" if not np.isfinite(v) else f"{v:.1f}" for v in values[i]]
                writer.writerow(row)

    @classmethod
    def load(cls, path: Path) -> PoseTrack:
        try:
            with np.load(path, allow_pickle=False) as data:
                info = json.loads(str(data["source"]))
                detected = data["detected"]
                if f"image_xy_{_COMPACT[0][1]}" in data:
                    arrays = {name: _delta_decode(data[f"{name}_{unit}"], per_unit, detected)
                              for name, unit, per_unit in _COMPACT}
                else:
                    arrays = {name: data[name] for name, _, _ in _COMPACT}
                for name in _PER_LEG:
                    if name in data:
                        arrays[name] = data[name]
                return cls(source=SourceInfo(**info), frame=data["frame"], timestamp_ms=data["timestamp_ms"],
                           detected=detected, **arrays)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a posecount landmarks file ({exc})") from exc


#: Optional per-leg arrays (N, 2), stored as they are in both formats.
_PER_LEG = ("foot_axis_deg", "leg_motion_deg", "knee_motion_deg", "thigh_motion_deg")

#: The compact format's arrays: (PoseTrack field, unit suffix, steps per unit of the field).
_COMPACT: tuple[tuple[str, str, int], ...] = (("image_xy", "dpx", 10), ("world_xyz", "mm", 1000),
                                              ("visibility", "e3", 1000), ("presence", "e3", 1000))


def _delta_encode(rows: np.ndarray, per_unit: int) -> np.ndarray:
    """Rows (detected frames) quantised to ``1/per_unit`` and stored as steps from the row before."""
    if not np.isfinite(rows).all():
        raise ValueError("a detected pose with non-finite landmarks cannot be stored compactly")
    q = np.rint(rows.astype(np.float64) * per_unit).astype(np.int64)
    return np.diff(q, axis=0, prepend=np.zeros_like(q[:1])).astype(np.int32)


def _delta_decode(steps: np.ndarray, per_unit: int, detected: np.ndarray) -> np.ndarray:
    out = np.full((detected.shape[0], *steps.shape[1:]), np.nan, np.float32)
    out[detected] = (np.cumsum(steps.astype(np.int64), axis=0) / per_unit).astype(np.float32)
    return out


def _info_dict(info: SourceInfo) -> dict[str, object]:
    return {"path": info.path, "fps": info.fps, "frames": info.frames, "width": info.width, "height": info.height}


class PoseRecorder:
    """Collects per-frame poses into a :class:`PoseTrack`; with ``silhouette`` (``leg_motion``,
    ``knee_motion``: the landmarker read it) the track has ``foot_axis_deg`` (``leg_motion_deg`` and
    ``thigh_motion_deg``, ``knee_motion_deg``) even if no frame had a person."""

    def __init__(self, source: SourceInfo, silhouette: bool = False, leg_motion: bool = False,
                 knee_motion: bool = False) -> None:
        self.source = source
        self.silhouette = silhouette
        self.leg_motion = leg_motion
        self.knee_motion = knee_motion
        self._frames: list[int] = []
        self._ts: list[int] = []
        self._poses: list[Pose | None] = []

    def add(self, index: int, timestamp_ms: int, pose: Pose | None) -> None:
        self._frames.append(index)
        self._ts.append(timestamp_ms)
        self._poses.append(pose)

    def track(self) -> PoseTrack:
        n = len(self._frames)
        xy = np.full((n, NUM_LANDMARKS, 2), np.nan, np.float32)
        world = np.full((n, NUM_LANDMARKS, 3), np.nan, np.float32)
        vis = np.full((n, NUM_LANDMARKS), np.nan, np.float32)
        pres = np.full((n, NUM_LANDMARKS), np.nan, np.float32)
        detected = np.zeros(n, bool)
        per_leg = {name: None if not (asked or any(pose is not None and getattr(pose, name) is not None
                                                   for pose in self._poses)) else np.full((n, 2), np.nan, np.float32)
                   for name, asked in (("foot_axis_deg", self.silhouette), ("leg_motion_deg", self.leg_motion),
                                       ("knee_motion_deg", self.knee_motion), ("thigh_motion_deg", self.leg_motion))}
        for i, pose in enumerate(self._poses):
            if pose is not None:
                detected[i] = True
                xy[i], world[i], vis[i], pres[i] = pose.image_xy, pose.world_xyz, pose.visibility, pose.presence
                for name, values in per_leg.items():
                    if values is not None and getattr(pose, name) is not None:
                        values[i] = getattr(pose, name)
        info = SourceInfo(path=self.source.path, fps=self.source.fps, frames=n, width=self.source.width,
                          height=self.source.height)
        return PoseTrack(info, np.array(self._frames, np.int64), np.array(self._ts, np.int64), detected, xy, world,
                         vis, pres, per_leg["foot_axis_deg"], per_leg["leg_motion_deg"], per_leg["knee_motion_deg"],
                         per_leg["thigh_motion_deg"])
