"""``python -m dofcourse.shipped [add DIR]``: the shipped results by function, and their size."""

from __future__ import annotations

import sys
from pathlib import Path

from dofcourse.shipped.catalog import Entry, add, entries, left_out_lines, summary, total_bytes
from dofcourse.shipped.layer import MAX_TOTAL_BYTES


def main(argv: list[str] | None = None) -> int:
    """``python -m dofcourse.shipped [add DIR]``: the shipped results' size by function, after
    adding a staging folder's entries when asked."""
    import argparse

    parser = argparse.ArgumentParser(description="the results that ship with the course")
    parser.add_argument("action", nargs="?", choices=["list", "add"], default="list")
    parser.add_argument("source", nargs="?", type=Path, help="for add: a --ship DIR folder")
    args = parser.parse_args(argv)
    if args.action == "add":
        if args.source is None:
            parser.error("add needs the folder a `--ship DIR` run wrote")
        copied, left = add(args.source)
        print(f"added {len(copied)} entries from {args.source}")
        print("\n".join(left_out_lines(left)))
    by_function: dict[str, list[Entry]] = {}
    for e in entries():
        by_function.setdefault(e.function, []).append(e)
    for name, es in sorted(by_function.items()):
        cpu = sum(e.seconds or 0.0 for e in es)
        print(f"{name:60s} {len(es):4d} entries {sum(e.nbytes for e in es) / 2**20:7.2f} MB "
              f"{cpu / 60:7.1f} min CPU")  # fmt: skip
    print(summary())
    return 1 if total_bytes() > MAX_TOTAL_BYTES else 0


if __name__ == "__main__":
    sys.exit(main())
