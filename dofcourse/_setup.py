"""Install the course into a virtual environment, choosing the right PyTorch build.

``make lab`` and ``make test`` run this file (with the Python that will own the environment) the
first time, and again whenever ``pyproject.toml`` or ``constraints.txt`` change::

    python3 dofcourse/_setup.py --venv .venv [--torch auto|cpu|cuda|cu126|...|pypi]

It uses the standard library only, so that it runs before anything is installed (run it as a
file, not as ``python -m dofcourse._setup``: the package's ``__init__`` imports torch).

Which PyTorch (the pin is in ``constraints.txt``; ``TORCH=...`` on the make line overrides):

- ``auto`` (the default), in this order:
  1. the pinned torch is already installed in the environment: keep it;
  2. a wheel of the pinned version lies in a folder pip is configured to look in
     (``find-links``; some build machines keep one there): take it, with no extra index;
  3. Linux with an NVIDIA GPU (``nvidia-smi``, ``/proc/driver/nvidia/gpus``): the CUDA build,
     PyPI's default torch wheel for Linux;
  4. Linux without one: the CPU build from PyTorch's CPU wheel index (about 200 MB instead of
     several GB of CUDA libraries);
  5. macOS and Windows: PyPI's wheel, which there is the CPU (and Apple MPS) build.
- ``cpu``: the CPU build; ``cuda``: PyPI's default (CUDA) build; ``cu126``, ``cu128``,
  ``rocm6.4`` …: the build from that PyTorch wheel index (for an older driver, or AMD);
  ``pypi``: plain ``pip install torch==X`` with whatever indexes pip is configured with.

The install runs in phases, one line each on the terminal, with a running count of the packages
pip has dealt with; pip's own output goes to a log file (``<venv>/install.log``), whose path is
printed, and whose last lines are shown when a step fails.

``--extras`` picks what comes with the course's runtime: nothing for ``make lab`` (a student's
environment), ``dev,docs,cluster`` for ``make test``, ``docs`` for ``make site``.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTORCH_INDEX = "https://download.pytorch.org/whl"
CPU_INDEX = f"{PYTORCH_INDEX}/cpu"
CHOICES_HELP = "auto, cpu, cuda, pypi, or a PyTorch index name such as cu126, cu128, rocm6.4"
_INDEX_NAME = re.compile(r"^(cpu|cu\d{3}|rocm\d+(\.\d+)*|xpu)$")


@dataclass(frozen=True)
class TorchChoice:
    """What to install for torch, and why (printed for the user)."""

    build: str  # "installed", "local", "cuda", "cpu", "pypi", or an index name such as "cu126"
    requirement: str | None  # None: nothing to install
    index_url: str | None  # None: pip's configured indexes
    reason: str

    def pip_args(self) -> list[str]:
        """The arguments after ``pip install`` for this choice (empty: nothing to do)."""
        if self.requirement is None:
            return []
        args = [self.requirement]
        if self.index_url:
            args += ["--index-url", self.index_url]
        return args


def pinned_torch(constraints: Path = ROOT / "constraints.txt") -> str:
    """The torch version pinned in ``constraints.txt`` (``torch==X`` is required there)."""
    for line in constraints.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*torch\s*==\s*([0-9][^\s#;]*)", line)
        if match:
            return match.group(1)
    raise SystemExit(f"{constraints} must pin torch exactly (torch==X)")


def has_nvidia_gpu(
    run=subprocess.run, which=shutil.which, proc_dir: Path = Path("/proc/driver/nvidia/gpus")
) -> bool:
    """True when an NVIDIA GPU with its driver is present: ``nvidia-smi -L`` lists one, or the
    driver's ``/proc`` folder names one. No network, no torch needed."""
    try:
        if any(proc_dir.iterdir()):
            return True
    except OSError:
        pass
    smi = which("nvidia-smi")
    if not smi:
        return False
    try:
        out = run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def find_links(env: dict[str, str] | None = None, pip_config: str = "") -> list[str]:
    """The folders pip looks in for wheels besides its indexes: ``PIP_FIND_LINKS`` and the
    ``find-links`` entries of ``pip config list`` output (passed in as text)."""
    env = os.environ if env is None else env
    values = [env.get("PIP_FIND_LINKS", "")]
    for line in pip_config.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith("find-links"):
            values.append(value.strip().strip("'\""))
    folders = []
    for value in values:
        for item in value.split():
            item = item.removeprefix("file://")
            if item and "://" not in item and item not in folders:
                folders.append(item)
    return folders


def local_torch_wheel(
    folders: list[str], version: str, python_tag: str, machine: str
) -> str | None:
    """A wheel of torch ``version`` for this Python and machine in one of ``folders``, or None.
    Its full version (e.g. ``2.13.0+cpu``) is returned."""
    for folder in folders:
        for path in sorted(glob.glob(os.path.join(folder, f"torch-{version}*.whl"))):
            parts = Path(path).name[: -len(".whl")].split("-")
            if len(parts) < 5:
                continue
            full_version, py, platform_tag = parts[1], parts[-3], parts[-1]
            if full_version.split("+")[0] != version:
                continue
            if python_tag in py.split(".") and machine in platform_tag:
                return full_version
    return None


def choose_torch(
    version: str,
    system: str,
    has_gpu: bool,
    override: str = "auto",
    installed: str | None = None,
    local_wheel: str | None = None,
) -> TorchChoice:
    """Which torch build to install. Pure: every fact about the machine is an argument."""
    override = (override or "auto").strip().lower()
    pin = f"torch=={version}"
    if override == "auto":
        if installed and installed.split("+")[0] == version:
            return TorchChoice("installed", None, None, f"torch {installed} is already installed")
        if local_wheel:
            return TorchChoice(
                "local",
                f"torch=={local_wheel}",
                None,
                f"a wheel of torch {local_wheel} lies in a folder pip looks in (find-links)",
            )
        if system == "Linux" and has_gpu:
            return TorchChoice("cuda", pin, None, "an NVIDIA GPU is present: the CUDA build")
        if system == "Linux":
            return TorchChoice(
                "cpu", f"{pin}+cpu", CPU_INDEX, "no NVIDIA GPU found: the CPU build (~200 MB)"
            )
        return TorchChoice("pypi", pin, None, f"on {system} PyPI's torch is the CPU/MPS build")
    if override == "cuda":
        return TorchChoice("cuda", pin, None, "TORCH=cuda: PyPI's default (CUDA) build")
    if override == "pypi":
        return TorchChoice("pypi", pin, None, "TORCH=pypi: pip's configured indexes")
    if override == "local":
        if not local_wheel:
            raise SystemExit(f"TORCH=local, but no wheel of torch {version} was found")
        return TorchChoice("local", f"torch=={local_wheel}", None, "TORCH=local")
    if _INDEX_NAME.match(override):
        if override == "cpu" and system != "Linux":
            return TorchChoice("pypi", pin, None, f"TORCH=cpu: on {system} PyPI's is the CPU build")
        return TorchChoice(
            override,
            f"{pin}+{override}",
            f"{PYTORCH_INDEX}/{override}",
            f"TORCH={override}: PyTorch's {override} wheel index",
        )
    raise SystemExit(f"TORCH={override}: expected {CHOICES_HELP}")


def _installed_torch(python: Path) -> str | None:
    if not python.exists():
        return None
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
    )
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def _pip_config(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    return out.stdout if out.returncode == 0 else ""


_START = time.perf_counter()


def _phase(number: int, total: int, text: str) -> None:
    elapsed = round(time.perf_counter() - _START)
    print(f"\n[set-up {number}/{total}, at {elapsed // 60}:{elapsed % 60:02d}] {text}", flush=True)


_PACKAGE_LINE = re.compile(r"^(Collecting|Requirement already satisfied:) (\S+)")


def _run(cmd: list[str], log: Path, hint: str = "") -> None:
    """Run ``cmd`` with its output appended to ``log``; show one line with a running count of
    the packages pip has dealt with (updated in place on a terminal), and the log's last lines
    if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    tty = sys.stdout.isatty()
    seen: set[str] = set()
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            found = _PACKAGE_LINE.match(line)
            if found:
                seen.add(re.split(r"[<>=!~\[;( ]", found[2])[0].lower())
                if tty:
                    print(f"\r  {len(seen)} packages so far (pip's output: {log})", end="")
                    sys.stdout.flush()
        code = proc.wait()
    done = f"{len(seen)} packages" if seen else "done"
    print(("\r" if tty else "") + f"  {done} (pip's output: {log})", flush=True)
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        print("\n".join("  | " + line for line in tail), flush=True)
        raise SystemExit(
            f"\n[set-up failed] exit status {code}; the whole output is in {log}. {hint}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--torch", default=os.environ.get("TORCH", "auto"), help=CHOICES_HELP)
    parser.add_argument(
        "--extras", default="", help="extras of the package to install (dev, docs, cluster)"
    )
    parser.add_argument("--log", type=Path, help="pip's output (default: <venv>/install.log)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be installed")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 11):  # noqa: UP036 (any python3 may run this file)
        raise SystemExit("dofcourse needs Python 3.11 or newer (make lab PYTHON=python3.11)")
    python = args.venv / "bin" / "python"
    log = args.log or args.venv / "install.log"
    _phase(1, 3, f"virtual environment {args.venv}/ (Python {platform.python_version()})")
    if python.exists():
        print("  already there", flush=True)
    elif args.dry_run:
        print(f"  would run: {sys.executable} -m venv {args.venv}")
    else:
        _run([sys.executable, "-m", "venv", str(args.venv)], log)
    version = pinned_torch()
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    wheel = local_torch_wheel(
        find_links(pip_config=_pip_config(python if python.exists() else Path(sys.executable))),
        version,
        tag,
        platform.machine(),
    )
    choice = choose_torch(
        version,
        platform.system(),
        has_nvidia_gpu(),
        args.torch,
        installed=_installed_torch(python),
        local_wheel=wheel,
    )
    where = f" from {choice.index_url}" if choice.index_url else ""
    _phase(2, 3, f"PyTorch: {choice.reason}{where}")
    if choice.requirement is None:
        print("  nothing to install (TORCH=cpu or TORCH=cuda on the make line replaces it)")
    elif args.dry_run:
        print("  would run: pip install " + " ".join(choice.pip_args()))
    else:
        _run(
            [str(python), "-m", "pip", "install", *choice.pip_args()],
            log,
            "Without access to PyTorch's wheel index, TORCH=pypi takes torch from your usual index."
            if choice.index_url
            else "",
        )
    extras = f" with the {args.extras} extras" if args.extras else " (the runtime only)"
    _phase(3, 3, f"the course{extras}, at the versions of constraints.txt")
    cmd = ["-m", "pip", "install", "-c", str(ROOT / "constraints.txt")]
    cmd += ["-e", f"{ROOT}[{args.extras}]" if args.extras else str(ROOT)]
    if args.dry_run:
        print("  would run: pip " + " ".join(cmd[2:]))
        return
    _run([str(python), *cmd], log)
    minutes, seconds = divmod(round(time.perf_counter() - _START), 60)
    print(f"\n[set-up done] in {minutes} min {seconds:02d} s; {args.venv}/ is ready", flush=True)


if __name__ == "__main__":
    main()
