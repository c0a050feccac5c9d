"""The exercise registry: every ``*.toml`` beside this module is an exercise, looked up by name.

``get_exercise("side-leg-raise")`` or a path to a user's own ``.toml`` spec.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from posecount.errors import ConfigError
from posecount.exercises.spec import ExerciseSpec

_HERE = Path(__file__).parent


def load_spec(path: Path) -> ExerciseSpec:
    """Read and validate one spec file; any problem is a one-line ConfigError."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read exercise spec ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc


@cache
def builtin_exercises() -> dict[str, ExerciseSpec]:
    specs = (load_spec(p) for p in sorted(_HERE.glob("*.toml")))
    return {s.name: s for s in specs}


def get_exercise(name_or_path: str) -> ExerciseSpec:
    """An exercise by name, or a spec file by path; an unknown name lists the valid ones."""
    specs = builtin_exercises()
    if name_or_path in specs:
        return specs[name_or_path]
    if name_or_path.endswith(".toml"):
        return load_spec(Path(name_or_path))
    raise ConfigError(f"unknown exercise {name_or_path!r}; choose one of: {', '.join(specs)}")
