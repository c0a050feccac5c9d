"""Developer tool: ``python -m posecount.synth samples [--only NAME] [--out DIR] [--verify]``.

Also ``python -m posecount.synth render SCRIPT.json OUT.mp4`` renders any motion script (and writes
``OUT.truth.json`` beside the clip), and ``python -m posecount.synth check SCRIPT.json`` checks one.
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
    SAMPLES,
    SIZE_BUDGET_BYTES,
    Sample,
    file_sha256,
    sample_by_name,
    write_readme,
    write_sample,
)
from posecount.synth.script import MotionScript
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import write_clip

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "samples"


def _cmd_samples(args: argparse.Namespace) -> int:
    names = args.only or [s.name for s in SAMPLES]
    try:
        chosen = [sample_by_name(n) for n in names]
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.list:
        for s in SAMPLES:
            print(f"{s.name:28s} {s.description}")
        return 0
    if args.verify:
        return _verify(chosen, Path(args.out))
    out = Path(args.out)
    for s in chosen:
        t0 = time.monotonic()
        clip, _ = write_sample(s, out)
        print(f"{s.name:28s} {clip.frames:5d} frames  {clip.bytes / 1024:7.0f} KiB  {clip.fourcc}  "
              f"{time.monotonic() - t0:5.1f} s")
    readme = write_readme(out)
    total = sum(p.stat().st_size for p in out.glob("*") if p.is_file())
    print(f"wrote {readme}; samples total {total / 1024 / 1024:.2f} MiB")
    if total > SIZE_BUDGET_BYTES:
        print(f"warning: over the {SIZE_BUDGET_BYTES / 1024 / 1024:.0f} MiB budget", file=sys.stderr)
    return 0


def _verify(chosen: list[Sample], committed: Path) -> int:
    bad = 0
    with tempfile.TemporaryDirectory(prefix="posecount-synth-") as tmp:
        for s in chosen:
            write_sample(s, Path(tmp))
            for suffix in (".mp4", ".truth.json"):
                a, b = committed / f"{s.name}{suffix}", Path(tmp) / f"{s.name}{suffix}"
                same = a.exists() and file_sha256(a) == file_sha256(b)
                bad += not same
                print(f"{'same' if same else 'DIFFERS':8s} {a.name}")
        if len(chosen) == len(SAMPLES):
            write_readme(Path(tmp))
            same = (committed / "README.md").read_bytes() == (Path(tmp) / "README.md").read_bytes()
            bad += not same
            print(f"{'same' if same else 'DIFFERS':8s} README.md")
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
