"""Named features of a pose (the registry), the view check, and which leg is working.

* :mod:`posecount.features.registry`: every feature a spec can name (``FEATURES``), each a documented
  function of the smoothed pose with its unit, the landmarks it needs, the views it is valid in, whether it
  is per leg or whole-body, and the values it can take. Specs are checked against it when they load.
* :mod:`posecount.features.extractor`: :class:`FeatureExtractor` computes, frame by frame, only the
  features its spec uses, checks the view, picks the working leg side-on, and handles partial framing.

Why these features (measured on drawn clips with exact ground truth, see samples/ and tests):

* **Front view (side-leg-raise).** MediaPipe tracks both legs well front-on. The driving angle is
  ``hip_abduction_deg``: the hip→ankle line from vertical, outward positive. Hip and ankle are the most
  reliable leg landmarks, and the straight line between them is insensitive to where the knee is placed.
  The image vertical stands in for gravity (the camera is upright); the pelvis is not used as reference
  because a patient who hikes the hip would otherwise hide the lift.
* **Side view (seated-knee-extension).** Seen side-on MediaPipe places the knee of a straight leg
  mid-thigh (the hip-knee-ankle angle reads 120-150° instead of ~175°) and swaps the two legs' labels
  every few frames, while hip and ankle stay accurate. So the knee is *reconstructed*: while the leg rests
  bent (knee landmark reliable) we learn the thigh vector hip→knee; the thigh lies on the seat and does
  not move during the exercise (:class:`~posecount.features.registry.SeatedThigh`, the one stateful
  feature state). ``knee_angle_deg`` then comes from hip, ankle and that thigh alone
  (:func:`seated_knee_angle_deg`). Labels are not trusted either: both legs are candidates and the more
  extended one (the larger drive value) is the working leg, credited to the leg nearer the camera (facing
  image-right, that is the person's right; facing image-left, their left), which is what the exercise asks
  for (camera at the side of the working leg). Nor is the labels' visibility: side-on it is the model's
  belief that the leg it calls the far one is hidden, and it often gives that label to the straightened near
  leg (visibility 0.3-0.45) while it puts the other label's ankle between the two feet with high
  visibility: a leg 30-40° more bent than the one drawn. So side-on a leg is measured down to a visibility
  of 0.2 (``ViewSettings.side_leg_min_visibility``) and the more extended candidate wins. Over the seated
  held-out clips (seeds 202-808 and the samples) this cut the frames of a straight knee read more than 15°
  low from 3,013 to 1,026 of 21,600, against 21 frames of a resting knee read more than 15° high instead of
  18 (of 30,000). At 0.15 the first falls to 842 but the second rises to 51.
* 2D image coordinates, not MediaPipe's world coordinates: the exercises move in a plane facing the
  camera (frontal plane front-on, sagittal plane side-on), where 2D angles are true angles, while the world
  landmarks' depth is the least reliable axis.

A leg is measured when the drive feature's landmarks are visible and inside the picture; each other
per-leg feature additionally needs its own landmarks (else NaN). A side that is not measured, or every
side while the view is wrong, gets NaN: the engine freezes it.

**Partial framing (recorded video only).** Demonstrations filmed close up (a person on a treatment table, a
phone propped too near) often show the working foot only while the leg is extended: at rest it hangs below
the picture. With :attr:`ViewSettings.assume_rest_below_frame` a leg whose hip and knee are in view and
whose ankle is below the bottom edge (MediaPipe's guess lands there, or it is not visible and a shank as
long as the thigh, hanging from the knee, would reach the edge) is *at rest, unseen*: it has no angle, but
the engine may end an attempt on it as on a leg seen back at rest (``FeatureFrame.at_rest_unseen``), and
the view check does not ask the person to move back. What is counted is what is seen: an attempt starts
when the foot comes into view above the start line. Live keeps the set-up banner instead, because there
the person can simply step back.
"""

from __future__ import annotations

from posecount.features.extractor import FeatureExtractor, Features, ViewSettings
from posecount.features.registry import (
    FEATURES,
    LEG,
    NAN,
    FeatureDef,
    FeatureState,
    SeatedThigh,
    angle_at,
    angle_between,
    ankle_plantarflexion_deg,
    hip_abduction_deg,
    knee_angle_deg,
    knee_flexion_deg,
    seated_knee_angle_deg,
    trunk_lean_deg,
)

__all__ = ["FEATURES", "LEG", "NAN", "FeatureDef", "FeatureExtractor", "FeatureState", "Features", "SeatedThigh",
           "ViewSettings", "angle_at", "angle_between", "ankle_plantarflexion_deg", "hip_abduction_deg",
           "knee_angle_deg", "knee_flexion_deg", "seated_knee_angle_deg", "trunk_lean_deg"]
