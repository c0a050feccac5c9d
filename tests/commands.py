"""The installed ``posecount`` command run as a user runs it, and the check of its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def command() -> list[str]:
    """The argv that starts the installed entry point."""
    exe = Path(sys.executable).with_name("posecount")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "posecount"]


def posecount(*args: str, env: dict[str, str] | None = None, timeout_s: float = 600
              ) -> subprocess.CompletedProcess[str]:
    """The installed entry point with ``args`` (a wide terminal, so rich wraps nothing)."""
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exactly one line on stderr, ours, and no traceback; returns the line."""
    assert r.returncode != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posecount: error: "), r.stderr
    return lines[0]
