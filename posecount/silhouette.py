"""The person's silhouette (MediaPipe's segmentation mask) → the direction of each foot.

Side-on, MediaPipe's foot landmarks (heel, foot index) are squashed toward a fixed angle: over 85 drawn
seated reps a neutral foot (drawn 0-18° of plantarflexion) read anywhere from -8° to 44° and a pointed one
(42-46°) 24-36°, so no line told a pointed foot from a neutral one (see
:func:`~posecount.features.registry.ankle_plantarflexion_deg`). The segmentation mask the same model
returns outlines the foot sharply, whatever the landmarks say: the foot is the part of the silhouette beyond
the ankle, and its long axis is the foot's direction.

:func:`foot_axes_deg` measures it per leg: the silhouette's pixels within ``REACH`` × the hip→ankle length
of the ankle, on the far side of the line through the ankle square to the shank (knee landmark → ankle), the
piece of them joined to the leg at the ankle, and the principal axis of that piece: a line, not an arrow
(which end is the toes is the feature's to say, from the way the person faces: the toes of a foot are on
the shin's front). Measured on the 254 drawn seated holds of 99 clips (the held-out seeds 202-1010 and
the samples), as the seated rule reads it (the hold's most-up fifth): every neutral foot (drawn 0-18°, 226
holds) read under 23°, and 24 of 28 pointed ones (drawn 36-49°) over 30°; the hold's median came within
-4..+7° of the drawn angle for 90 % of the neutral feet. The other four pointed feet were on legs the model
had lost or misplaced (medians of -14° and -10° on two of them). Before the piece was cut out, a stray bit of
silhouette within reach (the resting foot, a speck of chair) turned the axis by ~16° on some frames.

The mask costs about 1.3 ms a frame on top of ~16 ms of inference, and reading both feet from it ~0.8 ms
(this machine, 640×480), so it is asked for only when an exercise reads a feature that needs it
(:attr:`PoseOptions.silhouette`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from posecount.pose import LEG

#: (hip, knee, ankle) of the left and the right leg, in :func:`foot_axes_deg`'s order
_LEGS = (LEG["left"][:3], LEG["right"][:3])

#: the foot is looked for within this share of the hip→ankle length of the ankle (a foot is ~0.3 of it)
REACH = 0.45
#: fewer silhouette pixels than this beyond the ankle: no foot to measure
MIN_PIXELS = 20


def foot_axes_deg(mask: np.ndarray, image_xy: np.ndarray) -> np.ndarray:
    """The image direction of each foot's long axis, as ``atan2(dy, dx)`` in degrees (x right, y down) of
    a line, in [-90, 90), for the left and the right leg: shape (2,), NaN where no foot is found.

    ``mask``: (H, W), the person's silhouette: bool, or MediaPipe's float confidence (a pixel is the person's
    above 0.5; only the pieces around the ankles are thresholded, not a whole HD frame);
    ``image_xy``: (33, 2) landmark pixels of the same frame.
    """
    out = np.full(2, np.nan, dtype=np.float32)
    for k, (hip_i, knee_i, ankle_i) in enumerate(_LEGS):
        out[k] = _foot_axis_deg(mask, image_xy[hip_i], image_xy[knee_i], image_xy[ankle_i])
    return out


def _foot_axis_deg(mask: np.ndarray, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> float:
    shank = ankle - knee
    shank_px = float(np.hypot(*shank))
    reach_px = REACH * float(np.hypot(*(ankle - hip)))
    if not (np.all(np.isfinite([shank_px, reach_px])) and shank_px > 1.0 and reach_px > 2.0):
        return math.nan
    along = shank / shank_px
    h, w = mask.shape
    x0, x1 = max(0, int(ankle[0] - reach_px)), min(w, int(ankle[0] + reach_px) + 1)
    y0, y1 = max(0, int(ankle[1] - reach_px)), min(h, int(ankle[1] + reach_px) + 1)
    if x0 >= x1 or y0 >= y1:
        return math.nan
    ys, xs = np.nonzero(mask[y0:y1, x0:x1] > 0.5)
    p = np.stack([xs + x0 - ankle[0], ys + y0 - ankle[1]], axis=1).astype(np.float64)
    dist = np.hypot(p[:, 0], p[:, 1])
    near = (p @ along > 0.0) & (dist < reach_px)
    ys, xs, p, dist = ys[near], xs[near], p[near], dist[near]
    if len(p) < MIN_PIXELS:
        return math.nan
    # Only the piece joined to the leg at the ankle: a stray bit of silhouette in reach (the other foot, a
    # speck of chair) would turn the axis.
    region = np.zeros((y1 - y0, x1 - x0), np.uint8)
    region[ys, xs] = 1
    _, labels = cv2.connectedComponents(region, connectivity=8)
    piece = labels[ys, xs] == labels[ys, xs][np.argmin(dist)]
    p = p[piece]
    if len(p) < MIN_PIXELS:
        return math.nan
    centred = p - p.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    axis = vectors[:, 1]  # the long axis
    return (math.degrees(math.atan2(axis[1], axis[0])) + 90.0) % 180.0 - 90.0


__all__ = ["MIN_PIXELS", "REACH", "foot_axes_deg"]
