"""What ``posecount live`` draws each frame, composed from :mod:`posecount.overlay`: the frame (enlarged if
small, mirrored for display only) with the coaching overlay, a routine's panel or a function test's clock.
It decides what goes on screen from the state it is given; it counts nothing and holds no thresholds."""

from __future__ import annotations

from dataclasses import asdict, replace

import cv2
import numpy as np

from posecount.exercises.engine import Phase
from posecount.exercises.spec import SIDES, ExerciseSpec
from posecount.feedback import Message
from posecount.overlay import OverlayState, RoutineBanner, TestPanel, draw_overlay, draw_pose, draw_routine, draw_test
from posecount.pipeline import FrameResult, Session
from posecount.pose import Pose
from posecount.routine import RoutineView, Stage
from posecount.testrun import Stage as TestStage
from posecount.testrun import TestView

#: The banner while paused.
PAUSED_BANNER = "Paused - press space to continue"


def compose(image: np.ndarray, pose: Pose | None, state: OverlayState, *, scale: float, mirror: bool,
            routine: RoutineBanner | None = None, test: TestPanel | None = None, pose_only: bool = False
            ) -> np.ndarray:
    """The screen: the frame enlarged by ``scale`` (when above 1) with the overlay; under a function test its
    ``test`` panel (``pose_only``: the skeleton alone, without the counts and the gauge), else the ``routine``'s
    panel, if any."""
    if scale > 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        if pose is not None:
            pose = replace(pose, image_xy=pose.image_xy * np.float32(scale))
    if test is not None:
        if pose_only:
            return draw_test(draw_pose(image, pose, mirror), test)
        return draw_test(draw_overlay(image, pose, state, mirror=mirror), test)
    out = draw_overlay(image, pose, state, mirror=mirror)
    return draw_routine(out, routine) if routine is not None else out


def bare_screen(image: np.ndarray, routine: RoutineBanner | None, *, scale: float, mirror: bool) -> np.ndarray:
    """The frame without the overlay (no exercise under way): enlarged, mirrored, with the routine's panel."""
    if scale > 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    if mirror:
        image = cv2.flip(image, 1)
    return draw_routine(image, routine) if routine is not None else image.copy()


def coaching_state(session: Session, result: FrameResult | None, spec: ExerciseSpec, *, fps: float | None,
                   flags: tuple[str, ...], paused: bool, banner: str | None = None) -> OverlayState:
    """The coaching overlay's state: the session's view of the last frame (or, before any, the exercise at
    rest), the view issue, the hint and the banner (``paused`` shows its own)."""
    if result is not None:
        state = session.overlay_state(result, fps, flags)
        features = result.features
        state = replace(state, view_issue=features.view_issue if not features.view_ok else None)
    else:
        state = OverlayState(title=spec.title, drive_label=spec.drive.display_name,
                             sides=session.states, start_line=spec.drive.start,
                             target_line=spec.drive.target, min_hold_s=spec.drive.min_hold_s,
                             unit=spec.drive.unit, sign=spec.drive.sign,
                             goal_per_side=spec.goal_per_side, fps=fps, flags=flags)
    if paused and banner is None:
        banner = PAUSED_BANNER
    return replace(state, hint=hint(spec, state), banner=banner)


def routine_state(state: OverlayState, view: RoutineView, spec: ExerciseSpec, message: Message | None
                  ) -> OverlayState:
    """The coaching screen under a routine: each leg's count toward this set's goal; the coaching line
    (``message``, as the routine lets the coach say it) and the hint only while a leg is at work (what the
    set-up check wants goes into the routine's panel)."""
    sides = {track: replace(st, counted=view.counts.get(track, 0)) for track, st in state.sides.items()}
    if view.stage != Stage.EXERCISE:
        return replace(state, sides=sides, goal_per_side=view.goal, message=None, hint=None, view_issue=None)
    hint_ = lift_text(spec, view.leg) if state.hint is not None and view.leg in SIDES else state.hint
    return replace(state, sides=sides, goal_per_side=view.goal, hint=hint_,
                   message=message.text if message else None,
                   message_tone=message.tone.value if message else "step")


def routine_banner(view: RoutineView, state: OverlayState | None, result: FrameResult | None
                   ) -> RoutineBanner | None:
    """The routine's panel (none while the overlay's own banner, paused or a notice, has the middle); in the
    set-up check, what the view lacks (from the last frame's ``result``)."""
    if state is not None and state.banner and view.stage != Stage.EXERCISE:
        return None  # paused, or a notice: that banner has the middle
    detail = view.detail
    features = result.features if result is not None else None
    if view.stage == Stage.SETUP and features is not None and not features.view_ok and features.view_issue:
        detail = features.view_issue
    return RoutineBanner(view.stage.value, view.heading, view.text, detail, view.fraction, view.choices)


def test_panel(view: TestView, result: FrameResult | None) -> TestPanel:
    """A function test's panel; in its set-up, what the view lacks (from the last frame's ``result``)."""
    features = result.features if result is not None else None
    if view.stage == TestStage.SETUP and features is not None and not features.view_ok and features.view_issue:
        view = replace(view, detail=features.view_issue)
    return TestPanel(**asdict(view))


def hint(spec: ExerciseSpec, state: OverlayState) -> str | None:
    """What to do next while both legs rest: lift the leg with fewer reps (the near leg, side-on)."""
    if not state.view_ok or any(st.phase != Phase.REST for st in state.sides.values()):
        return None
    if spec.track_kind == "near_leg":
        side = state.working_side or "working"
    elif spec.track_kind == "whole_body":
        side = "both"
    else:
        side = min(SIDES, key=lambda s: state.sides[s].counted)
    return lift_text(spec, side)


def lift_text(spec: ExerciseSpec, side: str | None) -> str:
    try:
        return spec.messages.lift.format(side=side, hold_s=spec.drive.min_hold_s)
    except (KeyError, IndexError, ValueError):
        return spec.messages.lift
