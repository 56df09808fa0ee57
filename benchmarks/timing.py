"""What every benchmark prints beside its numbers: the machine's load, and a clock for one call.

Benchmarks are run as scripts (``python benchmarks/bench_x.py``), so this module is imported from
the scripts' own folder. A ratio printed by a benchmark is measured side by side in one run;
the load average says whether the machine was quiet while it ran.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import torch


def load() -> str:
    """The 1-, 5- and 15-minute load averages, as printed after each table."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call ``fn()``; on a GPU, work queued
    before the call and by it is waited for, so the wall time is the call's own."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    w, c = time.perf_counter(), time.process_time()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - w, time.process_time() - c
