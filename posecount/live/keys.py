"""The keys of ``posecount live``: what each key code means (q/Esc quit, space pause, r reset, m mute, Tab next
exercise, Enter a routine's next stage). What an action does is the loop's (:meth:`LiveLoop.apply`)."""

from __future__ import annotations

from enum import StrEnum

from posecount.display import KEY_ESC, KEY_SPACE, KEY_TAB

#: Enter, as OpenCV's back-ends report it (carriage return; some give line feed).
KEY_ENTER = 13


class Action(StrEnum):
    QUIT = "quit"
    PAUSE = "pause"
    RESET = "reset"
    MUTE = "mute"
    SWITCH = "switch"
    NEXT = "next"  # a routine's next stage (Tab does the same in a routine)


KEY_ACTIONS: dict[int, Action] = {
    ord("q"): Action.QUIT, ord("Q"): Action.QUIT, KEY_ESC: Action.QUIT,
    KEY_SPACE: Action.PAUSE,
    ord("r"): Action.RESET, ord("R"): Action.RESET,
    ord("m"): Action.MUTE, ord("M"): Action.MUTE,
    KEY_TAB: Action.SWITCH,
    KEY_ENTER: Action.NEXT, 10: Action.NEXT,
}


def action_for_key(key: int | None) -> Action | None:
    return None if key is None else KEY_ACTIONS.get(key)
