"""Which device to compute on, and a one-call report of the machine.

The course prefers a CUDA GPU, then Apple's MPS, then the CPU. Every chapter runs on the CPU in
quick mode; a GPU only makes full mode faster.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import torch


def get_device() -> torch.device:
    """The best available device: CUDA → MPS → CPU (``DOFCOURSE_DEVICE`` overrides)."""
    forced = os.environ.get("DOFCOURSE_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def report() -> dict[str, str | int | float]:
    """Device, torch version, CPU threads and memory, as a dict of plain values."""
    device = get_device()
    info: dict[str, str | int | float] = {
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu threads (torch)": torch.get_num_threads(),
        "cpu cores": os.cpu_count() or 1,
        "memory total (GB)": round(psutil.virtual_memory().total / 2**30, 1),
        "memory available (GB)": round(psutil.virtual_memory().available / 2**30, 1),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info["gpu"] = props.name
        info["gpu memory (GB)"] = round(props.total_memory / 2**30, 1)
    return info


def print_report() -> None:
    """Print :func:`report` as an aligned two-column table."""
    info = report()
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one intra-op CPU thread, then restore the setting.

    For tiny models (a few hundred parameters) splitting each small tensor operation across
    threads costs more in synchronisation than it gains, and on a busy machine a second thread
    that is not scheduled stalls every operation (measured on two shared cores: 20x slower).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
