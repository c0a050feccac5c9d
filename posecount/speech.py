"""Spoken cues, offline, on a worker thread so the video never waits for a voice.

The voice is the first that works of: pyttsx3 (the ``posecount[speech]`` extra, which drives the system's
espeak-ng; on Linux it plays through ``aplay``, so only with alsa-utils present), the ``espeak-ng`` /
``espeak`` program, and the terminal bell. Which one is used is logged
once; without a real voice that log line says how to get one.

:class:`Speaker` keeps at most one line waiting: a new line replaces the waiting one, and a line that
waited longer than ``max_age_s`` (while an earlier one was still being spoken) is dropped, never said
late. So speech never builds up a backlog behind the exercise.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'posecount[speech]' and the espeak-ng package (Debian/Ubuntu: apt install espeak-ng)"


class Voice(Protocol):
    """Something that can say a line. ``say`` blocks until it has been said."""

    name: str

    def say(self, text: str) -> None: ...

    def stop(self) -> None:
        """Cut the current line short (called from another thread); may do nothing."""
        ...


def spoken_text(text: str) -> str:
    """The screen's line as it should be heard: "Hold… 2 s" → "Hold, 2 seconds"."""
    text = text.replace("…", ",").replace("...", ",")
    text = re.sub(r"\b1 s\b", "1 second", text)
    text = re.sub(r"\b(\d+(?:\.\d+)?) s\b", r"\1 seconds", text)
    return re.sub(r"\s+", " ", text).strip()


class Pyttsx3Voice:
    """pyttsx3 (espeak-ng underneath on Linux). Create it on the thread that will use it."""

    name = "pyttsx3"

    def __init__(self, rate_wpm: int = 160) -> None:
        import pyttsx3

        self._engine = pyttsx3.init()
        self._engine.setProperty("rate", rate_wpm)

    def say(self, text: str) -> None:
        self._engine.say(text)
        self._engine.runAndWait()

    def stop(self) -> None:
        pass  # pyttsx3's engine is not safe to touch from another thread; lines are short anyway


class EspeakVoice:
    """The ``espeak-ng`` (or ``espeak``) program, one process per line."""

    def __init__(self, binary: str, rate_wpm: int = 160, timeout_s: float = 10.0) -> None:
        self.binary = binary
        self.name = binary.rsplit("/", 1)[-1]
        self.rate_wpm = rate_wpm
        self.timeout_s = timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._failures = 0

    def say(self, text: str) -> None:
        try:
            self._proc = subprocess.Popen([self.binary, "-s", str(self.rate_wpm), text], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            code = self._proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            code = -1
        except OSError as exc:
            code = -1
            log.debug("%s: %s", self.binary, exc)
        finally:
            self._proc = None
        if code not in (0, -15):  # -15: stopped on purpose
            self._failures += 1
            if self._failures == 1:
                log.warning("%s failed (exit %s); is there a sound device?", self.name, code)

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()


class BellVoice:
    """No voice: ring the terminal bell (if stderr is a terminal), at most once per ``min_gap_s``."""

    name = "terminal bell"

    def __init__(self, min_gap_s: float = 1.0) -> None:
        self.min_gap_s = min_gap_s
        self._last = -1e9

    def say(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < self.min_gap_s:
            return
        self._last = now
        stream = sys.stderr
        if stream is not None and stream.isatty():
            stream.write("\a")
            stream.flush()

    def stop(self) -> None:
        pass


def _pyttsx3_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyttsx3") is not None


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def default_voice() -> Voice:
    """The best voice available here (see the module docstring); logs which one, once."""
    if _pyttsx3_importable() and sys.platform.startswith("linux") and not shutil.which("aplay"):
        # pyttsx3 >= 2.9 plays its espeak output through `aplay` on Linux (and fails noisily without it).
        log.info("pyttsx3 needs aplay (alsa-utils) on Linux; not using it")
    elif _pyttsx3_importable():
        try:
            voice: Voice = Pyttsx3Voice()
            log.info("spoken cues: pyttsx3")
            return voice
        except Exception as exc:  # pyttsx3 raises whatever its driver raises (OSError, RuntimeError...)
            log.info("pyttsx3 unavailable (%s)", exc)
    binary = espeak_binary()
    if binary:
        log.info("spoken cues: %s", binary)
        return EspeakVoice(binary)
    log.warning("no voice for spoken cues (only the terminal bell); for speech: %s", INSTALL_HINT)
    return BellVoice()


class Speaker:
    """Says lines on a worker thread. ``say`` never blocks; see the module docstring for what is dropped.

    ``voice_factory`` runs on the worker thread (pyttsx3 must be used on the thread that created it), when
    the first line is to be said.
    ``spoken`` keeps the last lines actually handed to the voice, for tests and logs.
    """

    def __init__(self, voice_factory: Callable[[], Voice] = default_voice, muted: bool = False,
                 max_age_s: float = 2.5) -> None:
        self.max_age_s = max_age_s
        self.spoken: deque[str] = deque(maxlen=50)
        self.dropped = 0
        self._muted = muted
        self._voice: Voice | None = None
        self._factory = voice_factory
        self._cond = threading.Condition()
        self._pending: tuple[str, float] | None = None
        self._closed = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="posecount-speech", daemon=True)
        self._thread.start()

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        with self._cond:
            self._muted = value
            if value and self._pending is not None:
                self._pending = None
                self.dropped += 1
        if value and self._voice is not None:
            self._voice.stop()

    @property
    def voice_name(self) -> str | None:
        return self._voice.name if self._voice is not None else None

    def say(self, text: str) -> None:
        """Queue ``text`` in place of any line still waiting."""
        with self._cond:
            if self._muted or self._closed:
                return
            if self._pending is not None:
                self.dropped += 1
            self._pending = (text, time.monotonic())
            self._cond.notify()

    def idle(self) -> bool:
        """Nothing waiting and nothing being said."""
        with self._cond:
            return self._pending is None and not self._busy

    def wait_idle(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.01)
        return self.idle()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify()
        if self._voice is not None:
            self._voice.stop()
        self._thread.join(timeout=2.0)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _make_voice(self) -> Voice:
        try:
            return self._factory()
        except Exception as exc:  # a broken voice must not take the session down
            log.warning("no voice for spoken cues (%s); for speech: %s", exc, INSTALL_HINT)
            return BellVoice()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                text, queued = self._pending  # type: ignore[misc]
                self._pending = None
                if time.monotonic() - queued > self.max_age_s:
                    self.dropped += 1
                    continue
                self._busy = True
            try:
                if self._voice is None:  # made on first use: a muted session never loads (or warns about) one
                    self._voice = self._make_voice()
                self.spoken.append(text)
                self._voice.say(spoken_text(text))
            except Exception as exc:  # keep the worker alive whatever the voice does
                log.warning("speech failed: %s", exc)
            finally:
                with self._cond:
                    self._busy = False


__all__ = ["BellVoice", "EspeakVoice", "Pyttsx3Voice", "Speaker", "Voice", "default_voice", "espeak_binary",
           "spoken_text"]
