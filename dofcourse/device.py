"""Which device to compute on, how many CPU threads, and a one-call report of the machine.

The course prefers a CUDA GPU, then Apple's MPS, then the CPU. Every chapter runs on the CPU in
quick mode; a GPU only makes full mode faster.

CPU threads are chosen once, when the package is imported (:func:`configure_threads`), from the
CPUs this process may really use: its CPU affinity and its cgroup CPU quota (a Binder or
Kubernetes container sees every core of the host but may use only one). One CPU is left for
everything else (the Jupyter server, the browser, another program): the course's models are
small, and a thread that shares its core with another busy process stalls every parallel
operation of the others (on two shared cores, two threads made small-model work 3-10x slower
than one). ``DOFCOURSE_THREADS=N`` sets the number; an ``OMP_NUM_THREADS`` already set is kept.

``DOFCOURSE_DEVICE`` forces the device every chapter computes on: ``cpu``, ``cuda`` (or
``cuda:1``, an NVIDIA GPU) or ``mps`` (an Apple GPU); unset, the best available one is chosen. A
name torch does not know (``gpu``), or a device this machine lacks (``cuda`` without a CUDA GPU
or without a CUDA build of torch), is refused when the device is first asked for, with one
``ValueError`` that names the variable and says what to set instead. :func:`resolve` applies the
same check to a ``device=`` argument.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psutil
import torch

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cgroup_cpu_limit(
    cgroup_root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")
) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (``1.5`` for 150 ms per 100 ms), or None.

    Reads cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), in the
    process's own cgroup and each one above it (the smallest quota wins), and at the mount's root
    (what a container sees of its own cgroup).
    """
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    candidates: list[tuple[Path, str]] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        rel = Path(path.lstrip("/"))
        chain = [rel, *rel.parents] if str(rel) != "." else [Path(".")]
        if controllers == "":  # cgroup v2
            candidates += [(cgroup_root / p, "v2") for p in chain]
        elif "cpu" in controllers.split(","):
            for mount in (controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu"):
                candidates += [(cgroup_root / mount / p, "v1") for p in chain]
    candidates += [(cgroup_root, "v2"), (cgroup_root / "cpu", "v1")]
    limits = []
    for folder, version in candidates:
        try:
            if version == "v2":
                quota, period = (folder / "cpu.max").read_text().split()[:2]
            else:
                quota = (folder / "cpu.cfs_quota_us").read_text().strip()
                period = (folder / "cpu.cfs_period_us").read_text().strip()
        except (OSError, ValueError):
            continue
        if quota not in ("max", "-1") and float(period) > 0:
            limits.append(float(quota) / float(period))
    return min(limits) if limits else None


def available_cpus() -> int:
    """CPUs this process may use: its affinity, capped by its cgroup CPU quota (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota)))
    return max(1, cpus)


def choose_threads(available: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """Torch's intra-op threads for this process.

    ``DOFCOURSE_THREADS`` if set, else an ``OMP_NUM_THREADS`` already set, else all available
    CPUs but one (at least one): one thread on a 2-core laptop and on Binder, 7 on 8 cores.
    ``DOFCOURSE_THREADS=auto`` is the default; a value that is not a positive integer
    (``maybe``, ``0``, ``-4``) is a ``ValueError`` naming the variable, as for the course's other
    variables.
    """
    env = os.environ if env is None else env
    value = env.get("DOFCOURSE_THREADS", "").strip()
    if value and value.lower() != "auto":
        if not (value.isdigit() and int(value) > 0):
            raise ValueError(
                f"environment variable DOFCOURSE_THREADS={env['DOFCOURSE_THREADS']!r} is not "
                "understood: set it to a positive number of CPU threads (e.g. 1 or 4), or to "
                "'auto' (or unset it) for all available CPUs but one"
            )
        return int(value)
    value = env.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:  # another program's variable: used when it is valid
        return int(value)
    cpus = available_cpus() if available is None else available
    return max(1, cpus - 1)


def configure_threads(threads: int | None = None) -> int:
    """Apply :func:`choose_threads` (or ``threads``) to torch and to the BLAS libraries loaded
    so far, and to those loaded later and to child processes through ``OMP_NUM_THREADS`` and
    friends. Called once when ``dofcourse`` is imported; returns the number of threads."""
    n = threads or choose_threads()
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, str(n))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")
    except Exception:  # threadpoolctl is a convenience: never fail an import over it
        pass
    return n


def _available() -> list[str]:
    """Device names usable on this machine, best first."""
    names = []
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return [*names, "cpu"]


def resolve(value: torch.device | str, name: str = "device") -> torch.device:
    """``value`` (a ``torch.device`` or a name such as ``"cpu"``, ``"cuda"``, ``"cuda:1"``,
    ``"mps"``) as a device this machine has, or one ``ValueError``/``TypeError`` that names
    ``name``, what was given and the devices available here. Chapter 00."""
    if not isinstance(value, torch.device | str):
        raise TypeError(
            f"{name} must be a torch.device or a name such as 'cpu' or 'cuda', got "
            f"{value!r} ({type(value).__name__})"
        )
    if isinstance(value, torch.device) and value.type == "cpu":
        return value  # the common case, without asking the drivers
    here = f"use one of this machine's devices: {', '.join(_available())}"
    text = value.strip().lower() if isinstance(value, str) else value
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError) as err:
        hint = " (an NVIDIA GPU is 'cuda', an Apple one 'mps')" if text == "gpu" else ""
        raise ValueError(f"{name}={value!r} is not a device name{hint}; {here}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        why = (
            "this torch was built without CUDA"
            if torch.version.cuda is None
            else "torch finds no CUDA GPU (no GPU, or its driver is missing)"
        )
        raise ValueError(f"{name}={value!r} asks for a CUDA GPU, but {why}; {here}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"{name}={value!r}: this machine has {count} CUDA GPU(s); {here}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"{name}={value!r} asks for Apple's MPS GPU, which this machine or this torch "
            f"does not have; {here}"
        )
    if dev.type not in ("cpu", "cuda", "mps"):  # meta (shapes only) cannot train or evaluate
        raise ValueError(f"{name}={value!r}: the course runs on cpu, cuda or mps; {here}")
    return dev


def get_device() -> torch.device:
    """The best available device: CUDA → MPS → CPU. ``DOFCOURSE_DEVICE`` (``cpu``, ``cuda``,
    ``cuda:N`` or ``mps``) overrides it; a name that is not a device, or a device this machine
    lacks, is a ``ValueError`` that names the variable. Chapter 00."""
    forced = os.environ.get("DOFCOURSE_DEVICE", "").strip()
    if forced:
        try:
            return resolve(forced, "DOFCOURSE_DEVICE")
        except ValueError as err:
            raise ValueError(
                f"environment variable {err}. Unset DOFCOURSE_DEVICE to use the best device "
                "available, or set it to one listed"
            ) from None
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
        "cpus available": available_cpus(),
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
