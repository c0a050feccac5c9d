"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The verified full pose model. Built into the checkout's models/ on first use, reused after."""
    from posecount.models import ensure_model

    return ensure_model("full", progress=False)
