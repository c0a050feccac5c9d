"""The pose stage: a MediaPipe PoseLandmarker in VIDEO mode. Frame in, :class:`Pose` (or None) out.

MediaPipe does no smoothing across frames in the Tasks API; that is :mod:`posecount.smoothing`'s job.
Asked for the silhouette too (:attr:`PoseOptions.silhouette`), it reads each foot's direction from the
segmentation mask (:mod:`posecount.silhouette`) and keeps only that, not the mask.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from posecount.errors import ModelError

log = logging.getLogger(__name__)

LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)

LM = IntEnum("LM", {name.upper(): i for i, name in enumerate(LANDMARK_NAMES)}, start=0)  # type: ignore[misc]
"""Landmark indices by name: ``LM.LEFT_HIP`` is 23."""

#: Each leg's landmarks, the person's own left and right: hip, knee, ankle, heel, foot index. The one table
#: the features, the leg-swap repair and the silhouette read.
LEG: dict[Literal["left", "right"], tuple[int, int, int, int, int]] = {
    "left": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    "right": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
}

def leg_abduction_deg(image_xy: np.ndarray, side: Literal["left", "right"]) -> float:
    """The hip→ankle line's angle from the image vertical, degrees, positive away from the midline for a
    person facing the camera (their left leg toward the image right); 0 = the ankle straight below the hip.
    :func:`posecount.features.registry.hip_abduction_deg` is this; :mod:`posecount.motion` reads it too."""
    hip, _, ankle, _, _ = LEG[side]
    d = image_xy[ankle] - image_xy[hip]
    outward = 1.0 if side == "left" else -1.0
    return math.degrees(math.atan2(outward * float(d[0]), float(d[1])))


#: Bones drawn as the skeleton (pairs of landmark indices).
SKELETON: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (0, 7), (0, 8),
)


@dataclass(frozen=True, slots=True)
class Pose:
    """One person's landmarks in one frame.

    image_xy:   (33, 2) float32, pixels in the frame (x right, y down)
    world_xyz:  (33, 3) float32, metres, origin between the hips (x right, y down, z toward the camera)
    visibility: (33,) float32 in [0, 1], how likely the landmark is visible (not occluded)
    presence:   (33,) float32 in [0, 1], how likely the landmark is inside the frame
    foot_axis_deg: (2,) float32, the left and the right foot's direction read from the silhouette
                (:func:`posecount.silhouette.foot_axes_deg`; NaN where not found), or None when the
                landmarker was not asked for the silhouette
    leg_motion_deg: (2,) float32, the left and the right leg's abduction read from motion against the scene
                at rest (:class:`posecount.motion.LegMotion`; NaN where no leg sticks out), or None when
                the landmarker was not asked for it
    thigh_motion_deg: (2,) float32, the left and the right thigh's direction from its hip read alike (NaN
                where no thigh sticks out), or None when the landmarker was not asked for leg motion
    knee_motion_deg: (2,) float32, side-on and seated, the left and the right knee's interior angle read
                from motion against the scene at rest (:class:`posecount.motion.KneeMotion`; NaN where no
                shank sticks out; both legs read the same extended shank), or None when not asked for
    """

    image_xy: np.ndarray
    world_xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    foot_axis_deg: np.ndarray | None = None
    leg_motion_deg: np.ndarray | None = None
    knee_motion_deg: np.ndarray | None = None
    thigh_motion_deg: np.ndarray | None = None

    def visible(self, index: int, threshold: float = 0.5) -> bool:
        return bool(self.visibility[index] >= threshold)


@dataclass(frozen=True)
class PoseOptions:
    """How the landmarker runs. Confidences are MediaPipe's own, each in [0, 1]."""

    model_path: Path
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    #: also ask for the person's silhouette and read each foot's direction from it (~2 ms a frame more)
    silhouette: bool = False
    #: also read each leg's sideways lift from motion against the scene at rest (front view, behind a
    #: chair: :mod:`posecount.motion`; ~1 ms a frame more)
    leg_motion: bool = False
    #: also read a seated knee's extension from motion against the scene at rest (side view:
    #: :class:`posecount.motion.KneeMotion`; ~1.5-3 ms a frame more, most of it the CIELAB conversion)
    knee_motion: bool = False


def quiet_native_logs() -> None:
    """MediaPipe's C++ core logs start-up chatter to stderr; keep only errors unless asked otherwise."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _native_stderr_to_log() -> Iterator[None]:
    """MediaPipe's C++ and TFLite print start-up chatter straight to file descriptor 2 (XNNPACK delegate,
    feedback tensors, alignment notes) that environment variables do not silence. Catch it while the
    landmarker starts and runs its first frame, and pass it to the log at debug level instead."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured): nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode(errors="replace").splitlines():
                if line.strip():
                    log.debug("mediapipe: %s", line)


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode. Use as a context manager: it must be closed explicitly.

    ``estimate(image_bgr, timestamp_ms)`` returns the most prominent person's :class:`Pose` or None.
    Timestamps must strictly increase (MediaPipe tracks across frames in VIDEO mode).
    """

    def __init__(self, options: PoseOptions) -> None:
        quiet_native_logs()
        from mediapipe.tasks.python import BaseOptions, vision

        # here, not at the top: these import LEG from this module
        from posecount.motion import KneeMotion, LegMotion, read_motion
        from posecount.silhouette import foot_axes_deg

        self._vision = vision
        self._foot_axes = foot_axes_deg if options.silhouette else None
        self._leg_motion = LegMotion() if options.leg_motion else None
        self._knee_motion = KneeMotion() if options.knee_motion else None
        self._read_motion = read_motion
        path = Path(options.model_path)
        if not path.is_file():
            raise ModelError(f"pose model not found at {path}; run `posecount model fetch`")
        task_options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=options.min_pose_detection_confidence,
            min_pose_presence_confidence=options.min_pose_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
            output_segmentation_masks=options.silhouette,
        )
        try:
            with _native_stderr_to_log():
                self._landmarker = vision.PoseLandmarker.create_from_options(task_options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pose model {path} cannot be loaded ({exc}); run `posecount model fetch --force`"
                             ) from exc
        self._last_ts = -1
        self._frames_seen = 0

    def estimate(self, image_bgr: np.ndarray, timestamp_ms: int) -> Pose | None:
        import mediapipe as mp

        ts = int(timestamp_ms)
        if ts <= self._last_ts:  # MediaPipe rejects non-increasing timestamps
            ts = self._last_ts + 1
        self._last_ts = ts
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._frames_seen < 2:  # the graph logs its set-up on the first frames
            with _native_stderr_to_log():
                result = self._landmarker.detect_for_video(image, ts)
        else:
            result = self._landmarker.detect_for_video(image, ts)
        self._frames_seen += 1
        if not result.pose_landmarks:
            return None
        h, w = image_bgr.shape[:2]
        norm = result.pose_landmarks[0]
        world = result.pose_world_landmarks[0]
        image_xy = np.array([(lm.x * w, lm.y * h) for lm in norm], dtype=np.float32)
        world_xyz = np.array([(lm.x, lm.y, lm.z) for lm in world], dtype=np.float32)
        visibility = np.array([lm.visibility or 0.0 for lm in norm], dtype=np.float32)
        presence = np.array([lm.presence or 0.0 for lm in norm], dtype=np.float32)
        feet = None
        if self._foot_axes is not None and result.segmentation_masks:
            mask = result.segmentation_masks[0].numpy_view().reshape(h, w)  # confidence: cut at 0.5 near the feet
            feet = self._foot_axes(mask, image_xy)
        motion = self._read_motion(self._leg_motion, self._knee_motion, image_bgr, image_xy, ts)
        return Pose(image_xy=image_xy, world_xyz=world_xyz, visibility=visibility, presence=presence,
                    foot_axis_deg=feet, leg_motion_deg=motion.legs, knee_motion_deg=motion.knees,
                    thigh_motion_deg=motion.thighs)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
