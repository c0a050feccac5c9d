"""``posecount live``: coaching in a window from a camera, or from a file or stream played in real time.

The package:

* :mod:`~posecount.live.loop`: :class:`LiveLoop`, each turn a frame through the model, the Session (the same code
  analyze runs), the screen, the keys, the routine or test; report segments; and why it ended (:class:`EndReason`).
* :mod:`~posecount.live.screen`: what is drawn each frame, composed from :mod:`posecount.overlay` (no thresholds).
* :mod:`~posecount.live.keys`: key codes and what they mean (:class:`Action`, :func:`action_for_key`).
* :mod:`~posecount.live.stats`: how the loop kept up (:class:`LiveStats`, :class:`ArrivalStamps`).
* :mod:`~posecount.live.reporting`: a Session's report, and the :class:`Segment` Tab or a new file leaves behind.
* :mod:`~posecount.live.sources`: the camera, file or stream (:func:`open_live_source`), a :class:`Playlist`,
  the model or a recording replayed (:func:`replay_estimate`).
* :mod:`~posecount.live.options`: what it was asked to do (:class:`LiveOptions`, :class:`LiveTest`) and the
  history it writes to as it goes.
* :mod:`~posecount.live.session`: the whole session, opened, run, saved and closed (:func:`run_live_session`,
  :func:`save_live_result`).

It ends on q/Esc, on closing the window, on Ctrl-C, when a ``--source`` ends, or when the camera or
stream stops delivering frames; then ``report.json`` (the same format as analyze) goes into ``--out``.
A camera that cannot be opened at all is an :class:`InputError` (one line, non-zero exit); one that is
lost mid-session ends the session normally, with what was counted so far and a warning.

Keys ``r`` and Tab:

* ``r`` (reset) starts the count over: the report holds only what came after the last reset, and its
  warnings say when the reset happened and how many attempts it discarded.
* Tab switches to the next built-in exercise. ``report.json`` is the report of the exercise on screen at
  the end; every earlier exercise segment that had at least one attempt is saved beside it as
  ``report-segment-N-EXERCISE.json`` (the same format), and report.json's warnings list them.

A routine (``--routine FILE.toml`` or ``seed``; :mod:`posecount.routine`) is walked through as the frames
come: its set-up check before each exercise, each leg's count toward the set, the rest countdown, the next
exercise, and at the end the pain and effort questions. Its clock is the session's own (the frames'
timestamps, paused time left out). Keys change meaning with it:

* Tab or Enter: on to the next stage (past the set-up check, the rest of this leg's reps, the rest, a
  question); ``r`` starts this leg's count over; q/Esc ends the routine early and asks the questions now
  (q again closes at once).
* The answers: 0-9, and T for 10. Any other key is not an answer (the prompt says so) and is ignored.

A function test (``--test NAME``; :mod:`posecount.testrun`) runs on the frames' own clock: the set-up (in view;
for a chair test, seated), a spoken countdown ("3", "2", "1", "go"), then the 30 s clock, the stopwatch to the
fifth stand, or a stopwatch per stance; once over, it is scored with ``posecount test``'s own code ("go" given),
shown, said, and put in report.json's ``test``. With a recorded ``--source``, "go" falls on the clip's own
clock, so a replay scores the same every time. Space and Tab do nothing during a test; ``r`` starts it again.

Every exercise of a routine is a report segment of its own (``report-segment-N-EXERCISE.json``, as with
Tab); ``routine.json`` beside report.json records each set per leg and the answers; the history stores the
session as kind ``routine``, one set per leg of each set, with its pain and effort.

``--source`` given several times is a playlist: the files play one after another, each a report segment
of its own (its clock starts again). With a routine, each set-up (a new exercise, or the chair turned for
the other leg of a seated exercise) starts on the next file, if the one playing already served a set-up;
so a playlist holds one file per set-up: ``slr.mp4 ske_left.mp4 ske_right.mp4`` for one set of the seed.

Everything is logged to the ``posecount.live`` logger. To replace something in a test, patch it in the
module that uses it (``posecount.live.sources.CameraSource``, ``posecount.live.screen.draw_overlay``); the
names below are re-exported here for importing, and patching them here changes only what is looked up here.
"""

from posecount.live.keys import KEY_ACTIONS, KEY_ENTER, Action, action_for_key
from posecount.live.loop import NOTICE_S, RESULT_S, EndReason, LiveLoop, LiveResult
from posecount.live.options import ANSWER_WAIT_S, LiveOptions, LiveTest, RepSink, RoutineSink
from posecount.live.reporting import Segment
from posecount.live.session import run_live, run_live_session, save_live_result
from posecount.live.sources import (
    EstimateFn,
    FrameFeed,
    OpenedSource,
    Playlist,
    SourceQueue,
    open_live_source,
    replay_estimate,
)
from posecount.live.stats import (
    CAMERA_SLOW_FRACTION,
    FPS_WINDOW_FRAMES,
    SKIPPED_WARN_FRACTION,
    STATS_FRAMES,
    ArrivalStamps,
    LiveStats,
)

__all__ = ["ANSWER_WAIT_S", "CAMERA_SLOW_FRACTION", "FPS_WINDOW_FRAMES", "KEY_ACTIONS", "KEY_ENTER", "NOTICE_S",
           "RESULT_S", "SKIPPED_WARN_FRACTION", "STATS_FRAMES", "Action", "ArrivalStamps", "EndReason", "EstimateFn",
           "FrameFeed", "LiveLoop", "LiveOptions", "LiveResult", "LiveStats", "LiveTest", "OpenedSource", "Playlist",
           "RepSink", "RoutineSink", "Segment", "SourceQueue", "action_for_key", "open_live_source",
           "replay_estimate", "run_live", "run_live_session", "save_live_result"]
