"""Run every chapter headless and keep the executed notebooks: ``python -m dofcourse.runner``.

Used by ``make course`` (full mode, the default) to check the whole course end to end and to
produce executed notebooks and HTML pages under ``build/course/``, printing each chapter's wall
time. ``--quick`` runs in quick mode instead; ``--only 03`` runs the chapters whose names start
with ``03``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter


def run_chapter(path: Path, out_dir: Path, timeout: int) -> float:
    """Execute the notebook at ``path``, write ``.ipynb`` and ``.html`` to ``out_dir``; seconds."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / path.name)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    (out_dir / path.with_suffix(".html").name).write_text(html, encoding="utf-8")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=Path, default=Path("chapters"))
    parser.add_argument("--out", type=Path, default=Path("build/course"))
    parser.add_argument("--quick", action="store_true", help="run in quick mode")
    parser.add_argument("--only", default="", help="run only chapters starting with this prefix")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()
    os.environ["DOFCOURSE_QUICK"] = "1" if args.quick else "0"
    mode = "quick" if args.quick else "full"
    total = 0.0
    for path in sorted(args.chapters.glob(f"{args.only}*.ipynb")):
        seconds = run_chapter(path, args.out, args.timeout)
        total += seconds
        print(f"{path.stem:<28} {seconds:8.1f} s  ({mode})", flush=True)
    print(f"{'total':<28} {total:8.1f} s  -> {args.out}/")


if __name__ == "__main__":
    main()
