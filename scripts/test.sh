#!/usr/bin/env bash
# Install everything the tests need (Debian packages, a virtual environment with posecount and its test
# tools, the pose model) and run the tests. The README's test command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: a virtual X server for the real-window test (screenshots come from its frame buffer),
# chromium for the physiotherapist's report in a real headless browser, espeak-ng for the spoken cues.
need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[dev,speech]"
.venv/bin/posecount model fetch >/dev/null   # the pose model: verified, or built from the mediapipe wheel
.venv/bin/ruff check posecount tests benchmarks scripts
echo "set-up took ${SECONDS} s (Debian packages, virtual environment, pose model); now the tests"
# Two workers (pytest-xdist) on the two cores; the 15 slowest tests are listed at the end. --maxschedchunk 1: a
# worker is handed the next test (in tests/conftest.py's order: slow first) as it finishes one, rather than an eighth
# of the suite up front; so neither waits on a real clip's recording that the other is making (the tests that replay
# a recording run long after the test that makes it), and neither sits idle while the other works through its share.
exec .venv/bin/python -m pytest -n "${POSECOUNT_TEST_WORKERS:-2}" --maxschedchunk 1 --durations=15 "$@"
