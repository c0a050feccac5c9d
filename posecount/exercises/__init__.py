"""The exercise registry: every ``*.toml`` beside this module is an exercise, looked up by name.

``get_exercise("side-leg-raise")`` or a path to a user's own ``.toml`` spec; ``personalise`` applies a
person's own targets and hold times per leg (from the command line or a prescription file)::

    # prescription.toml: one table per exercise, per-leg values
    [side-leg-raise]
    target_deg = { left = 15, right = 25 }
    min_hold_s = { left = 2, right = 3 }
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from posecount.errors import ConfigError
from posecount.exercises.spec import SIDES, ExerciseSpec, Side, SpecFieldError, field_path

_HERE = Path(__file__).parent


def _read_toml(path: Path, what: str) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_spec(path: Path) -> ExerciseSpec:
    """Read and validate one spec file; any problem is a one-line ConfigError."""
    data = _read_toml(path, "exercise spec")
    try:
        return ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        raise _error(str(path), exc) from exc


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


def _error(where: str, exc: ValidationError) -> ConfigError:
    """The first problem as one line: ``FILE: rules[1].feature: what is wrong``."""
    first = exc.errors()[0]
    cause = first.get("ctx", {}).get("error")
    loc = field_path((*first["loc"], *(cause.field if isinstance(cause, SpecFieldError) else ())))
    message = str(first["msg"]).removeprefix("Value error, ")
    return ConfigError(f"{where}: {loc + ': ' if loc else ''}{message}")


def parse_side_values(values: list[str], what: str) -> dict[Side, float]:
    """``["left=15", "right=25"]`` → ``{"left": 15.0, "right": 25.0}``; a bad item is a one-line ConfigError."""
    out: dict[Side, float] = {}
    for item in values:
        side, _, number = item.partition("=")
        side = side.strip().lower()
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if side not in SIDES or value != value:
            raise ConfigError(f"{what} {item!r}: write it as left=NUMBER or right=NUMBER")
        out[side] = value  # type: ignore[index]
    return out


def load_prescription(path: Path, exercise: str) -> tuple[dict[Side, float], dict[Side, float]]:
    """(targets, holds) per leg for ``exercise`` from a prescription file; empty when it has no table for it."""
    table = _read_toml(path, "prescription").get(exercise, {})
    unknown = set(table) - {"target_deg", "min_hold_s"}
    if unknown:
        raise ConfigError(f"{path}: [{exercise}] knows target_deg and min_hold_s, not {', '.join(sorted(unknown))}")
    parts = []
    for key in ("target_deg", "min_hold_s"):
        values = table.get(key, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{exercise}] {key} must be a table like {{ left = 15, right = 25 }}")
        parts.append(parse_side_values([f"{k}={v}" for k, v in values.items()], f"{path}: [{exercise}] {key}"))
    return parts[0], parts[1]


def personalise(spec: ExerciseSpec, targets: dict[Side, float], holds: dict[Side, float]) -> ExerciseSpec:
    """``spec`` with a person's own targets and hold times per leg; nothing given, ``spec`` itself."""
    if not targets and not holds:
        return spec
    try:
        return spec.personalised(targets, holds)
    except ValidationError as exc:
        raise _error(spec.name, exc) from exc
