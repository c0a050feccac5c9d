"""The live window behind a small protocol: a real OpenCV window, and a null one for tests and --headless.

The live loop only ever calls ``show``, ``poll_key`` and ``is_open``; it never touches ``cv2.imshow``
itself, so the whole loop runs in tests against :class:`NullWindow` (or a fake that feeds keys).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections import deque
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from posecount.errors import PosecountError

log = logging.getLogger(__name__)

#: The window's title, exactly.
WINDOW_TITLE = "posecount"

# Key codes as ``poll_key`` returns them (ASCII; OpenCV's Qt and GTK back-ends both report these).
KEY_ESC = 27
KEY_TAB = 9
KEY_SPACE = 32


class Window(Protocol):
    """Where the live loop shows its frames and reads keys."""

    def show(self, image: np.ndarray) -> None:
        """Display ``image`` (H, W, 3) uint8 BGR."""
        ...

    def poll_key(self, wait_ms: int = 1) -> int | None:
        """Let the window process its events for up to ``wait_ms``; the key pressed meanwhile, or None."""
        ...

    def is_open(self) -> bool:
        """False once the user has closed the window."""
        ...

    def close(self) -> None: ...


class NullWindow:
    """Shows nothing; keys come from ``keys`` (one per ``poll_key`` call, None when exhausted).

    ``frames`` counts what was shown and ``last`` keeps the last image, for tests.
    """

    def __init__(self, keys: Iterable[int | None] = ()) -> None:
        self._keys: deque[int | None] = deque(keys)
        self.frames = 0
        self.last: np.ndarray | None = None
        self.closed = False

    def show(self, image: np.ndarray) -> None:
        self.frames += 1
        self.last = image

    def poll_key(self, wait_ms: int = 1) -> int | None:
        return self._keys.popleft() if self._keys else None

    def is_open(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True


class OpenCVWindow:
    """A resizable HighGUI window titled :data:`WINDOW_TITLE`, first sized to the frame.

    Must be used from the main thread (HighGUI's requirement on every back-end).
    """

    def __init__(self, title: str = WINDOW_TITLE) -> None:
        import cv2

        self._cv2 = cv2
        self.title = title
        problem = display_problem()
        if problem:
            raise PosecountError(f"cannot open a window: {problem}; use --headless to run without one")
        flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | getattr(cv2, "WINDOW_GUI_NORMAL", 0)
        try:
            cv2.namedWindow(title, flags)
        except cv2.error as exc:
            raise PosecountError(f"cannot open a window ({_first_line(exc)}); is there a display? "
                                 "Use --headless to run without one") from exc
        self._sized = False
        self._closed = False

    def show(self, image: np.ndarray) -> None:
        if self._closed:
            return
        if not self._sized:
            h, w = image.shape[:2]
            self._cv2.resizeWindow(self.title, w, h)
            self._sized = True
        self._cv2.imshow(self.title, image)

    def poll_key(self, wait_ms: int = 1) -> int | None:
        if self._closed:
            return None
        key = self._cv2.waitKey(max(1, wait_ms))
        return None if key < 0 else key & 0xFF

    def is_open(self) -> bool:
        if self._closed:
            return False
        try:
            # Qt returns 0 or raises once the window is gone; GTK returns -1 or 0.
            visible = self._cv2.getWindowProperty(self.title, self._cv2.WND_PROP_VISIBLE)
        except self._cv2.error:
            visible = -1.0
        if visible < 1:
            self._closed = True
        return not self._closed

    def close(self) -> None:
        try:
            self._cv2.destroyWindow(self.title)
            self._cv2.waitKey(1)  # let the back-end process the destruction
        except self._cv2.error:
            pass  # already gone (closed by the user)
        self._closed = True


def display_problem() -> str | None:
    """Why no window can be opened here, or None if it can (as far as can be told without opening one).

    On Linux, OpenCV's Qt back-end aborts the whole process when it cannot reach an X server, so ask first.
    """
    if not sys.platform.startswith("linux"):
        return None
    name = os.environ.get("DISPLAY")
    if not name:
        return "no display (DISPLAY is not set)"
    path = ctypes.util.find_library("X11")
    if path is None:
        return None  # cannot probe; let OpenCV try
    try:
        x11 = ctypes.CDLL(path)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        handle = x11.XOpenDisplay(name.encode())
    except (OSError, AttributeError):
        return None
    if not handle:
        return f"cannot connect to display {name}"
    x11.XCloseDisplay(handle)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else type(exc).__name__


__all__ = ["KEY_ESC", "KEY_SPACE", "KEY_TAB", "WINDOW_TITLE", "NullWindow", "OpenCVWindow", "Window",
           "display_problem"]
