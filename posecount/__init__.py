"""posecount: counts leg-exercise repetitions per leg, times holds and coaches form.

The whole program is one loop (wired in :mod:`posecount.pipeline`)::

    for frame in source:                                   # sources.py: Frame(image, index, timestamp_ms)
        pose = estimator.estimate(frame)                   # pose.py: Pose or None
        features = extractor(smoother(pose), frame)        # smoothing.py, features/: the registry of named angles
        events = counter.update(features, frame.timestamp_ms)  # exercises/engine.py: RepEvents
        sink.write(draw_overlay(frame.image, pose, counter.state, events))  # overlay.py, report.py
"""

__version__ = "0.1.0"
