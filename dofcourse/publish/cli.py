"""The shared command line of ``python -m dofcourse.slides`` and ``python -m dofcourse.website``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dofcourse.publish.assets import ROOT


def build_parser(description: str, out: Path) -> argparse.ArgumentParser:
    """The command line of ``make slides`` and ``make site``: which chapters (``--chapters``,
    ``--only``), where to write (``--out``), in which mode, from which executed notebooks
    (``--executed``; missing ones are executed with ``--timeout`` seconds per cell)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--chapters", type=Path, default=ROOT / "chapters")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--mode", choices=["quick", "full"], default="quick")
    parser.add_argument("--executed", type=Path, help="default build/course[-quick]/")
    parser.add_argument("--only", default="", help="only chapters starting with this prefix")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    return parser


def parse_build_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``, set the mode for the notebooks that will be executed, and fill in the
    folder of executed notebooks that ``make course`` writes for that mode."""
    args = parser.parse_args(argv)
    os.environ["DOFCOURSE_QUICK"] = "1" if args.mode == "quick" else "0"
    course = "course" if args.mode == "full" else "course-quick"
    args.executed = args.executed or ROOT / "build" / course
    return args
