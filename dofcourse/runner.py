"""Run every chapter headless, keep the executed notebooks, check the stated run times.

``python -m dofcourse.runner`` (``make course``) runs in quick mode unless ``--mode full``
(``make course MODE=full``: hours on a CPU; each chapter's stated time is printed before it
starts); ``--only 03`` runs the chapters whose names start
with ``03``. Executed notebooks and HTML pages go to ``build/course/`` (``build/course-quick/``).

For each chapter it prints the wall time, the kernel's CPU time and peak memory, and the time
the chapter's header states for that mode, and flags a header that is off by more than 50 %.
A header states its times in one line of its first markdown cells, in this form::

    **Time:** quick ≈ 40 s, full ≈ 6 min (2-core CPU)

(``≈`` or ``~``; each time one or more of ``<number> h``, ``min`` or ``s``, such as ``1 h 20 min``
or ``1.5 min``; anything after the full time, such as the machine in brackets, is free text).
``--strict`` makes a flagged or missing line an error.

``--ship`` (full mode; ``make ship``) writes every result the run computes or reads to the results
that ship with the course (``dofcourse/results/full/``, or the folder given: see
``dofcourse.shipped``), then prints their size and fails when it is over the 20 MB limit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

TOLERANCE = 0.5  # a stated time is flagged when the measured one is off by more than 50 %
_DURATION = r"(?:\d+(?:\.\d+)?\s*(?:h|min|s)\b\s*)+"
TIME_LINE = re.compile(
    rf"\*\*Time:\*\*\s*quick\s*[≈~]\s*(?P<quick>{_DURATION}),\s*full"
    rf"(?:\s*[≈~]\s*(?P<full>{_DURATION})|:\s*not measured)"
)
_UNIT = {"h": 3600.0, "min": 60.0, "s": 1.0}
_MARK = "__dofcourse_measure__"
_MEASURE_CELL = f"""\
import json as _j, resource as _r, sys as _s
_u, _c = _r.getrusage(_r.RUSAGE_SELF), _r.getrusage(_r.RUSAGE_CHILDREN)
_k = 1 if _s.platform == "darwin" else 1024
print("{_MARK}" + _j.dumps({{
    "cpu": _u.ru_utime + _u.ru_stime + _c.ru_utime + _c.ru_stime,
    "peak": max(_u.ru_maxrss, _c.ru_maxrss) * _k}}))
"""


def parse_duration(text: str) -> float:
    """Seconds in ``"6 min"``, ``"40 s"``, ``"1 h 20 min"``, ``"1.5 min"``."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|min|s)\b", text)
    if not parts:
        raise ValueError(f"no duration in {text!r}")
    return sum(float(number) * _UNIT[unit] for number, unit in parts)


@dataclass(frozen=True)
class StatedTime:
    """The run times a chapter's header states, in seconds; ``full`` is None where the header
    says "full: not measured" (a full-mode run then reports it as not stated)."""

    quick: float
    full: float | None

    def for_mode(self, mode: str) -> float | None:
        return self.quick if mode == "quick" else self.full


def parse_stated(text: str) -> StatedTime | None:
    """The ``**Time:** quick ≈ …, full ≈ …`` line in ``text``, or None when there is none."""
    match = TIME_LINE.search(text)
    if not match:
        return None
    full = parse_duration(match["full"]) if match["full"] else None
    return StatedTime(parse_duration(match["quick"]), full)


def stated_time(notebook) -> StatedTime | None:
    """The stated times from the notebook's markdown cells (the first line found)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found = parse_stated(cell.source)
            if found:
                return found
    return None


def off_by(measured: float, stated: float) -> float:
    """How far the stated time is off, as a fraction of it: +1.0 means it took twice as long."""
    return measured / stated - 1.0


def is_flagged(measured: float, stated: float | None, tolerance: float = TOLERANCE) -> bool:
    """True when there is no stated time, or the measured one is off by more than ``tolerance``."""
    return stated is None or abs(off_by(measured, stated)) > tolerance


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class ChapterRun:
    """One chapter executed: wall time, the kernel's CPU time and peak memory, stated time."""

    name: str
    seconds: float
    cpu_seconds: float | None
    peak_bytes: int | None
    stated: StatedTime | None


QUICK_CELL_TIMEOUT = 3600  # seconds: a quick-mode cell that runs an hour is stuck


def cell_timeout(mode: str, given: int | None) -> int | None:
    """Seconds a cell may run (None: no limit): ``given``, else an hour in quick mode and no limit
    in full mode, where one cell (chapter 05's phase grid) trains for hours."""
    if given is not None:
        return given
    return QUICK_CELL_TIMEOUT if mode == "quick" else None


def measure_chapter(path: Path, out_dir: Path | None, timeout: int | None) -> ChapterRun:
    """Execute the notebook at ``path`` in a fresh kernel and measure it (``timeout``: seconds per
    cell, None for no limit); write the executed ``.ipynb`` and ``.html`` to ``out_dir`` (unless
    None)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_MEASURE_CELL))
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's start-up warning about local TCP would interleave with the table
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    ).execute()
    seconds = time.perf_counter() - start
    measured = notebook.cells.pop()
    cpu = peak = None
    for output in measured.get("outputs", []):
        text = output.get("text", "")
        if _MARK in text:
            data = json.loads(text.split(_MARK, 1)[1])
            cpu, peak = float(data["cpu"]), int(data["peak"])
    if out_dir is not None:
        from nbconvert import HTMLExporter

        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, out_dir / path.name)
        html, _ = HTMLExporter().from_notebook_node(notebook)
        (out_dir / path.with_suffix(".html").name).write_text(html, encoding="utf-8")
    return ChapterRun(path.stem, seconds, cpu, peak, stated_time(notebook))


def run_chapter(path: Path, out_dir: Path, timeout: int | None) -> float:
    """Execute the notebook at ``path``, write ``.ipynb`` and ``.html`` to ``out_dir``; seconds."""
    return measure_chapter(path, out_dir, timeout).seconds


HEADER = f"{'chapter':<28} {'measured':>9} {'CPU':>9} {'peak':>8} {'stated':>9} {'off by':>7}"


def format_row(run: ChapterRun, mode: str) -> str:
    """One line of the table: measured vs stated, and a flag when off by more than 50 %."""
    cpu = format_seconds(run.cpu_seconds) if run.cpu_seconds is not None else "?"
    peak = f"{run.peak_bytes / 2**30:.2f} GB" if run.peak_bytes else "?"
    stated = run.stated.for_mode(mode) if run.stated else None
    line = f"{run.name:<28} {format_seconds(run.seconds):>9} {cpu:>9} {peak:>8} "
    if stated is None and run.stated:
        return line + f"{'-':>9} {'-':>7}  <- the header says 'not measured': state this time"
    if stated is None:
        return line + f"{'-':>9} {'-':>7}  <- no '**Time:** quick ≈ …, full ≈ …' line"
    line += f"{format_seconds(stated):>9} {off_by(run.seconds, stated):>+7.0%}"
    if is_flagged(run.seconds, stated):
        line += f"  <- header off by more than {TOLERANCE:.0%}"
    return line


def starting_line(path: Path) -> str:
    """What a full-mode run says before it starts a chapter: the full time its header states."""
    stated = stated_time(nbformat.read(path, as_version=4))
    full = stated.full if stated else None
    when = f"its header states full ≈ {format_seconds(full)}" if full else "no full time stated"
    return f"{path.stem}: starting in full mode, {when} (2-core CPU; Ctrl-C stops)"


def machine_line() -> str:
    """CPUs, torch threads and load: the context every time in the table depends on."""
    from dofcourse import device

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{device.available_cpus()} CPUs available to this process, "
        f"{device.choose_threads()} torch threads per kernel, load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=Path, default=Path("chapters"))
    parser.add_argument("--out", type=Path, default=None, help="default build/course[-quick]")
    parser.add_argument("--quick", action="store_true", help="quick mode (the default)")
    parser.add_argument("--mode", choices=["quick", "full"], help="quick (default) or full")
    parser.add_argument("--only", default="", help="run only chapters starting with this prefix")
    parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds per cell (default: 3600 in quick mode, none in full mode, where one cell of "
        "chapter 05 trains for hours)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a header is flagged")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="use an empty temporary cache, so that every result is computed (to time chapters)",
    )
    parser.add_argument(
        "--ship",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="full mode: write every result the run computes or reads to the shipped results "
        "(dofcourse/results/full/, or DIR), plain data only, at most 20 MB in all",
    )
    args = parser.parse_args(argv)
    if args.ship is not None:
        if (args.mode or "quick") != "full":
            parser.error("--ship needs --mode full (only full-mode results ship)")
        from dofcourse import shipped

        ship_dir = Path(args.ship).absolute() if args.ship else shipped.folder()
        ship_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DOFCOURSE_SHIP_TO"] = str(ship_dir)
    if args.fresh:
        os.environ["DOFCOURSE_CACHE"] = tempfile.mkdtemp(prefix="dofcourse-fresh-cache-")
    mode = args.mode or "quick"
    timeout = cell_timeout(mode, args.timeout)
    out = args.out or Path("build/course" if mode == "full" else "build/course-quick")
    os.environ["DOFCOURSE_QUICK"] = "1" if mode == "quick" else "0"
    paths = sorted(args.chapters.glob(f"{args.only}*.ipynb"))
    print(f"{len(paths)} chapters in {mode} mode; {machine_line()}", flush=True)
    from dofcourse import config

    if args.fresh:
        print("an empty cache: every result is computed", flush=True)
    else:
        print(f"results already in {config.cache_dir()} are read, not computed (--fresh, or "
              "FRESH=1 for make, starts from an empty cache)", flush=True)  # fmt: skip
    print(HEADER, flush=True)
    runs = []
    for path in paths:
        if mode == "full":
            print(starting_line(path), flush=True)
        run = measure_chapter(path, out, timeout)
        runs.append(run)
        print(format_row(run, mode), flush=True)
    total = sum(r.seconds for r in runs)
    flagged = [r.name for r in runs if is_flagged(r.seconds, r.stated and r.stated.for_mode(mode))]
    print(f"{'total':<28} {format_seconds(total):>9}  -> {out}/")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if flagged:
        print(f"{len(flagged)} header(s) to correct: {', '.join(flagged)}")
    if args.ship is not None:
        from dofcourse import shipped

        left = shipped.prune(ship_dir)  # judged per function, now that the run is over
        if left:
            print("\n".join(shipped.left_out_lines(left)))
        print(f"shipped: {shipped.summary(ship_dir)}")
        if shipped.total_bytes(ship_dir) > shipped.MAX_TOTAL_BYTES:
            print("the shipped results are larger than the limit: do not commit them as they are")
            return 1
    return 1 if flagged and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
