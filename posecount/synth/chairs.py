"""Chairs of several designs in front of a standing person (front view), as projected 3D parts.

A standing side leg raise is done behind a chair, holding its back, with the camera in front: the chair
stands between the camera and the person and hides parts of the legs the way a real one does. A slatted
back hides stripes of the thighs, a solid back hides the thighs, the seat hides the knees' height, and the
chair's legs and stretchers cross in front of the shins.

Each design is a few parts in the chair's own frame (units of the person's height H: x toward the person's
left = image right, y up from the chair's floor, z from the back's plane toward the camera), turned by the
design's yaw and projected by a pinhole camera ``CAMERA_DISTANCE_H`` in front of the back at height
``CAMERA_HEIGHT_H``. At z = 0 the projection is the flat 2D frame the first design (``rail``, drawn by
:func:`posecount.synth.figure.chair_front_shapes`) uses, so the hands find the top rail where it is drawn.

Pure geometry, no drawing and no imports from the body or figure modules; the caller passes the anchor
(``centre_x_px``, the top rail's ``rail_y_px``, the chair's ``floor_y_px``) and ``height_px`` = H.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Point = tuple[float, float]
Point3 = tuple[float, float, float]
#: How a part is coloured: ``wood`` (the chair colour), ``wood_far`` (darker, the back legs), ``seat``
#: (lighter), ``panel`` (a solid back or a plastic band), ``steel`` (a metal tube).
Role = Literal["wood", "wood_far", "seat", "panel", "steel"]

CAMERA_DISTANCE_H = 4.0
CAMERA_HEIGHT_H = 0.6
SEAT_HEIGHT_H = 0.265


@dataclass(frozen=True)
class ChairPart:
    points: np.ndarray  # (N, 2) float64, pixels
    role: Role


@dataclass(frozen=True)
class Design:
    """A chair design's dimensions (units of H)."""

    half_width: float  # the back's half width (post centres)
    front_half_width: float  # the front legs' half width
    depth: float  # back plane to the front legs
    member: float  # width of the posts and legs
    hand_x: float  # where the hands hold the top rail, from the centre
    yaw_deg: float = 0.0  # turned about the vertical through the back's centre; + brings its left end nearer


DESIGNS: dict[str, Design] = {
    "slatted": Design(half_width=0.15, front_half_width=0.16, depth=0.24, member=0.026, hand_x=0.125),
    "solid": Design(half_width=0.16, front_half_width=0.165, depth=0.25, member=0.03, hand_x=0.13),
    "metal": Design(half_width=0.13, front_half_width=0.145, depth=0.24, member=0.014, hand_x=0.11),
    "kitchen-angle": Design(half_width=0.14, front_half_width=0.15, depth=0.23, member=0.024, hand_x=0.115,
                            yaw_deg=28.0),
}


@dataclass(frozen=True)
class ChairCamera:
    """Projects chair-frame points (units of H) to pixels."""

    centre_x_px: float
    floor_y_px: float
    height_px: float
    design: Design

    def turn(self, p: Point3) -> Point3:
        """Turn by the design's yaw about the vertical through the back's centre (which stays put)."""
        x, y, z = p
        a = math.radians(self.design.yaw_deg)
        c, s = math.cos(a), math.sin(a)
        return (x * c - z * s, y, x * s + z * c)

    def scale_at(self, p: Point3) -> float:
        """Apparent size relative to the back's plane (1 there; nearer the camera, larger)."""
        return CAMERA_DISTANCE_H / (CAMERA_DISTANCE_H - self.turn(p)[2])

    def project(self, p: Point3) -> Point:
        x, y, _ = self.turn(p)
        k = self.scale_at(p)
        h = self.height_px
        horizon = self.floor_y_px - CAMERA_HEIGHT_H * h
        return (self.centre_x_px + x * h * k, horizon + (CAMERA_HEIGHT_H - y) * h * k)


def _camera(design_name: str, centre_x_px: float, floor_y_px: float, height_px: float) -> ChairCamera:
    try:
        design = DESIGNS[design_name]
    except KeyError:
        raise ValueError(f"unknown chair design {design_name!r}; known: rail, {', '.join(DESIGNS)}") from None
    return ChairCamera(centre_x_px, floor_y_px, height_px, design)


def _rail_top_h(rail_y_px: float, floor_y_px: float, height_px: float) -> float:
    """The top rail's upper edge above the chair's floor (units of H), where the hands rest."""
    return (floor_y_px - rail_y_px) / height_px + 0.016


def hand_targets(design_name: str, centre_x_px: float, rail_y_px: float, floor_y_px: float,
                 height_px: float) -> dict[str, Point]:
    """Where each wrist rests on the chair's top rail (``left``/``right`` = the person's own sides)."""
    cam = _camera(design_name, centre_x_px, floor_y_px, height_px)
    top = _rail_top_h(rail_y_px, floor_y_px, height_px)
    return {side: cam.project((s * cam.design.hand_x, top + 0.004, 0.0))
            for side, s in (("left", 1.0), ("right", -1.0))}


class _Builder:
    def __init__(self, cam: ChairCamera) -> None:
        self.cam = cam
        self.parts: list[ChairPart] = []

    def bar(self, a: Point3, b: Point3, width_h: float, role: Role) -> None:
        """A straight member of constant apparent width (a post, a leg, a tube, a stretcher)."""
        pa, pb = self.cam.project(a), self.cam.project(b)
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        d = math.hypot(dx, dy) or 1.0
        wa = 0.5 * width_h * self.cam.height_px * self.cam.scale_at(a)
        wb = 0.5 * width_h * self.cam.height_px * self.cam.scale_at(b)
        nx, ny = -dy / d, dx / d
        self.parts.append(ChairPart(np.array([(pa[0] + nx * wa, pa[1] + ny * wa), (pb[0] + nx * wb, pb[1] + ny * wb),
                                              (pb[0] - nx * wb, pb[1] - ny * wb), (pa[0] - nx * wa, pa[1] - ny * wa)],
                                             dtype=np.float64), role))

    def panel(self, corners: list[Point3], role: Role) -> None:
        """A flat part (a seat, a slat, a back panel) through its corners."""
        self.parts.append(ChairPart(np.array([self.cam.project(c) for c in corners], dtype=np.float64), role))

    def plank(self, x0: float, x1: float, y0: float, y1: float, z: float, role: Role) -> None:
        """A rectangle in a plane of constant z (x0..x1 across, y0..y1 up)."""
        self.panel([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)], role)


def chair_parts(design_name: str, centre_x_px: float, rail_y_px: float, floor_y_px: float,
                height_px: float) -> list[ChairPart]:
    """The chair's parts, back to front (draw them in order, over the person)."""
    cam = _camera(design_name, centre_x_px, floor_y_px, height_px)
    d = cam.design
    b = _Builder(cam)
    top = _rail_top_h(rail_y_px, floor_y_px, height_px)
    hw, fw, dp, m = d.half_width, d.front_half_width, d.depth, d.member
    seat = SEAT_HEIGHT_H
    metal = design_name == "metal"
    leg_role: Role = "steel" if metal else "wood"
    far_role: Role = "steel" if metal else "wood_far"
    # the back legs and posts (one piece from the floor to the top rail), the back stretcher
    for s in (-1.0, 1.0):
        foot_x = s * (hw + (0.012 if metal else 0.0))  # a metal frame splays a little
        b.bar((foot_x, 0.0, 0.0), (s * hw, seat, 0.0), m, far_role)
        b.bar((s * hw, seat, 0.0), (s * hw, top - 0.004, 0.0), m, leg_role)
    if not metal:
        b.plank(-hw, hw, 0.085, 0.105, 0.0, "wood_far")
    # the back
    if design_name == "slatted":
        b.plank(-hw, hw, seat + 0.045, seat + 0.072, 0.0, "wood")  # lower back rail
        for k in range(5):
            x = -0.1 + 0.05 * k
            b.plank(x - 0.011, x + 0.011, seat + 0.06, top - 0.03, 0.0, "wood")
        b.plank(-hw - 0.014, hw + 0.014, top - 0.042, top, 0.0, "wood")
    elif design_name == "solid":
        b.plank(-hw - 0.016, hw + 0.016, seat + 0.03, top, 0.0, "panel")
        b.plank(-hw - 0.016, hw + 0.016, top - 0.03, top, 0.0, "wood")
    elif metal:
        b.plank(-hw - 0.008, hw + 0.008, top - 0.095, top, 0.0, "panel")
        b.bar((-hw, top - 0.002, 0.0), (hw, top - 0.002, 0.0), m, "steel")
    else:  # kitchen: a ladder back of three horizontal slats
        for y0, y1 in ((seat + 0.07, seat + 0.1), (top - 0.16, top - 0.125), (top - 0.048, top)):
            b.plank(-hw - 0.01, hw + 0.01, y0, y1, 0.0, "wood")
    # the seat: its top seen from above, then its front edge
    b.panel([(-hw - 0.012, seat, 0.0), (hw + 0.012, seat, 0.0), (fw + 0.015, seat, dp + 0.015),
             (-fw - 0.015, seat, dp + 0.015)], "panel" if metal else "seat")
    b.panel([(-fw - 0.015, seat, dp + 0.015), (fw + 0.015, seat, dp + 0.015), (fw + 0.015, seat - 0.028, dp + 0.015),
             (-fw - 0.015, seat - 0.028, dp + 0.015)], "panel" if metal else "wood")
    # the front legs and stretcher
    for s in (-1.0, 1.0):
        b.bar((s * (fw + (0.015 if metal else 0.0)), 0.0, dp + (0.02 if metal else 0.0)),
              (s * fw, seat - 0.02, dp), m, leg_role)
    b.bar((-fw, 0.1 if metal else 0.12, dp), (fw, 0.1 if metal else 0.12, dp), m * 0.8, leg_role)
    return b.parts
