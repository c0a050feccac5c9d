"""Developer tool: ``python -m posecount.synth samples [--set first|realistic|exercises|all] [--only NAME] [--verify]``.

The first set is written to ``--out`` (default: the repo's ``samples/``), the realistic set to
``OUT/realistic/``, the exercise set (issue 9) to ``OUT/exercises/``; each directory gets its README.

Also ``python -m posecount.synth render SCRIPT.json OUT.mp4`` renders any motion script (and writes
``OUT.truth.json`` beside the clip; a script's ``container`` mov or webm is written as such, whatever the
name's suffix), and ``python -m posecount.synth check SCRIPT.json`` checks one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from posecount.atomic import atomic_open
from posecount.errors import PosecountError
from posecount.synth.rules import check_script
from posecount.synth.samples import (
    EXERCISES_SIZE_BUDGET_BYTES,
    REALISTIC_SIZE_BUDGET_BYTES,
    SAMPLE_SETS,
    SIZE_BUDGET_BYTES,
    Sample,
    file_sha256,
    sample_by_name,
    sample_set_of,
    sample_video_name,
    write_readme,
    write_sample,
)
from posecount.synth.script import MotionScript
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import h264_by_pyav, same_pictures, write_clip

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "samples"


_BUDGETS = {"first": SIZE_BUDGET_BYTES, "realistic": REALISTIC_SIZE_BUDGET_BYTES,
            "exercises": EXERCISES_SIZE_BUDGET_BYTES}


def _set_dir(out: Path, sample_set: str) -> Path:
    return out / SAMPLE_SETS[sample_set][1] if SAMPLE_SETS[sample_set][1] else out


def _cmd_samples(args: argparse.Namespace) -> int:
    sets = list(SAMPLE_SETS) if args.set == "all" else [args.set]
    if args.list:
        for name in sets:
            for s in SAMPLE_SETS[name][0]:
                print(f"{s.name:28s} [{name}] {s.description}")
        return 0
    try:
        chosen = ([sample_by_name(n) for n in args.only] if args.only
                  else [s for name in sets for s in SAMPLE_SETS[name][0]])
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if args.verify:
        return _verify(chosen, out)
    for s in chosen:
        t0 = time.monotonic()
        clip, _ = write_sample(s, _set_dir(out, sample_set_of(s)))
        print(f"{s.name:28s} {clip.frames:5d} frames  {clip.bytes / 1024:7.0f} KiB  {clip.fourcc}  "
              f"{time.monotonic() - t0:5.1f} s")
    for name in dict.fromkeys(sample_set_of(s) for s in chosen):
        directory = _set_dir(out, name)
        readme = write_readme(directory, name)
        total = sum(p.stat().st_size for p in directory.glob("*") if p.is_file())
        print(f"wrote {readme}; {name} samples total {total / 1024 / 1024:.2f} MiB")
        if total > _BUDGETS[name]:
            print(f"warning: over the {_BUDGETS[name] / 1024 / 1024:.0f} MiB budget", file=sys.stderr)
    return 0


def _verify(chosen: list[Sample], committed: Path) -> int:
    bad = 0
    with tempfile.TemporaryDirectory(prefix="posecount-synth-") as tmp:
        for s in chosen:
            name = sample_set_of(s)
            here, there = _set_dir(committed, name), _set_dir(Path(tmp), name)
            there.mkdir(parents=True, exist_ok=True)
            write_sample(s, there)
            for filename in (sample_video_name(s), f"{s.name}.truth.json"):
                a, b = here / filename, there / filename
                same = a.exists() and (file_sha256(a) == file_sha256(b) or (
                    filename == sample_video_name(s) and h264_by_pyav(s.script) and same_pictures(a, b)))
                bad += not same
                print(f"{'same' if same else 'DIFFERS':8s} {a.relative_to(committed)}")
        for name, (members, _) in SAMPLE_SETS.items():
            if all(s in chosen for s in members):
                here, there = _set_dir(committed, name), _set_dir(Path(tmp), name)
                write_readme(there, name)
                same = (here / "README.md").exists() and \
                    (here / "README.md").read_bytes() == (there / "README.md").read_bytes()
                bad += not same
                print(f"{'same' if same else 'DIFFERS':8s} {(here / 'README.md').relative_to(committed)}")
    return 1 if bad else 0


def _cmd_render(args: argparse.Namespace) -> int:
    script = MotionScript.from_json(Path(args.script).read_text(encoding="utf-8"))
    problems = check_script(script)
    if problems and not args.force:
        print("error: " + "\n  ".join(["the script breaks the truth rules (use --force):", *problems]),
              file=sys.stderr)
        return 2
    out = Path(args.output)
    clip = write_clip(script, out)
    truth = out.with_name(out.name.removesuffix(out.suffix) + ".truth.json")
    with atomic_open(truth, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(truth_json(build_truth(script, out.name)))
    print(f"wrote {out} ({clip.frames} frames, {clip.fourcc}) and {truth}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    script = MotionScript.from_json(Path(args.script).read_text(encoding="utf-8"))
    problems = check_script(script)
    for p in problems:
        print(p)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m posecount.synth",
                                     description="Synthetic exercise clips with exact ground truth.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("samples", help="regenerate the committed sample set")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (default: the repo's samples/)")
    p.add_argument("--set", choices=[*SAMPLE_SETS, "all"], default="all",
                   help="which set: the first (samples/), the realistic one (samples/realistic/), the other "
                        "exercises and function tests (samples/exercises/) or all")
    p.add_argument("--only", action="append", metavar="NAME", help="only this sample (repeatable)")
    p.add_argument("--verify", action="store_true", help="regenerate in a temp dir and compare with --out")
    p.add_argument("--list", action="store_true", help="list the samples and exit")
    p.set_defaults(func=_cmd_samples)
    p = sub.add_parser("render", help="render a motion script JSON to a clip and its truth")
    p.add_argument("script")
    p.add_argument("output")
    p.add_argument("--force", action="store_true", help="render even if the truth rules are broken")
    p.set_defaults(func=_cmd_render)
    p = sub.add_parser("check", help="check a motion script JSON against the truth rules")
    p.add_argument("script")
    p.set_defaults(func=_cmd_check)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except PosecountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
