"""The set-up's choice of PyTorch build, tested without a network or a GPU."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dofcourse import _setup

ROOT = Path(__file__).resolve().parent.parent
V = "2.13.0"


def test_the_pin_is_read_from_constraints_and_lies_in_pyprojects_range():
    assert _setup.pinned_torch() == V
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (torch,) = [d for d in deps if d.startswith("torch")]
    low = tuple(int(x) for x in torch.removeprefix("torch>=").split("."))
    assert low <= tuple(int(x) for x in V.split("."))


def test_linux_without_a_gpu_gets_the_cpu_build_from_the_cpu_index():
    choice = _setup.choose_torch(V, "Linux", has_gpu=False)
    assert choice.build == "cpu"
    assert choice.pip_args() == [f"torch=={V}+cpu", "--index-url", _setup.CPU_INDEX]
    assert _setup.CPU_INDEX == "https://download.pytorch.org/whl/cpu"


def test_linux_with_an_nvidia_gpu_gets_the_cuda_build_from_pypi():
    choice = _setup.choose_torch(V, "Linux", has_gpu=True)
    assert choice.build == "cuda" and choice.pip_args() == [f"torch=={V}"]


@pytest.mark.parametrize("system", ["Darwin", "Windows"])
def test_macos_and_windows_take_pypi_which_is_the_cpu_build_there(system):
    choice = _setup.choose_torch(V, system, has_gpu=False)
    assert choice.build == "pypi" and choice.pip_args() == [f"torch=={V}"]


def test_a_local_wheel_is_the_fast_path_and_needs_no_index():
    # The build machines: a folder pip looks in (find-links) holds the pinned CPU wheel.
    for gpu in (False, True):
        choice = _setup.choose_torch(V, "Linux", has_gpu=gpu, local_wheel=f"{V}+cpu")
        assert choice.build == "local" and choice.pip_args() == [f"torch=={V}+cpu"]


def test_an_installed_pinned_torch_is_kept_and_another_version_is_replaced():
    kept = _setup.choose_torch(V, "Linux", has_gpu=False, installed=f"{V}+cpu")
    assert kept.build == "installed" and kept.pip_args() == []
    old = _setup.choose_torch(V, "Linux", has_gpu=False, installed="2.12.0+cpu")
    assert old.build == "cpu"


@pytest.mark.parametrize(
    ("override", "args"),
    [
        ("cpu", [f"torch=={V}+cpu", "--index-url", "https://download.pytorch.org/whl/cpu"]),
        ("cuda", [f"torch=={V}"]),
        ("CU126", [f"torch=={V}+cu126", "--index-url", "https://download.pytorch.org/whl/cu126"]),
        (
            "rocm6.4",
            [f"torch=={V}+rocm6.4", "--index-url", "https://download.pytorch.org/whl/rocm6.4"],
        ),
        ("pypi", [f"torch=={V}"]),
    ],
)
def test_overrides_win_over_detection_and_over_what_is_installed(override, args):
    for gpu in (False, True):
        choice = _setup.choose_torch(
            V, "Linux", has_gpu=gpu, override=override, installed=V, local_wheel=f"{V}+cpu"
        )
        assert choice.pip_args() == args


def test_override_cpu_on_macos_is_pypi_and_nonsense_is_refused():
    assert _setup.choose_torch(V, "Darwin", False, override="cpu").pip_args() == [f"torch=={V}"]
    with pytest.raises(SystemExit, match="TORCH=cuda13"):
        _setup.choose_torch(V, "Linux", False, override="cuda13")
    with pytest.raises(SystemExit, match="no wheel"):
        _setup.choose_torch(V, "Linux", False, override="local")


class _Done:
    def __init__(self, returncode, stdout):
        self.returncode, self.stdout = returncode, stdout


def test_gpu_detection_from_nvidia_smi_and_the_driver(tmp_path):
    none = tmp_path / "no-driver"
    smi = "/usr/bin/nvidia-smi"
    listed = _Done(0, "GPU 0: NVIDIA H100 (UUID: GPU-1)\n")
    assert _setup.has_nvidia_gpu(lambda *a, **k: listed, lambda name: smi, none)
    failed = _Done(9, "NVIDIA-SMI has failed because it couldn't communicate with the driver")
    assert not _setup.has_nvidia_gpu(lambda *a, **k: failed, lambda name: smi, none)
    assert not _setup.has_nvidia_gpu(lambda *a, **k: listed, lambda name: None, none)

    def broken(*args, **kwargs):
        raise subprocess.TimeoutExpired("nvidia-smi", 20)

    assert not _setup.has_nvidia_gpu(broken, lambda name: smi, none)
    driver = tmp_path / "gpus"
    (driver / "0000:01:00.0").mkdir(parents=True)
    assert _setup.has_nvidia_gpu(broken, lambda name: None, driver)


def test_find_links_from_the_environment_and_pip_config():
    config = (
        ":env:.find-links='/opt/wheels'\n"
        "global.extra-index-url='file:///opt/pypi/simple'\n"
        "global.find-links='file:///srv/wheels /opt/wheels https://example.org/w'\n"
    )
    folders = _setup.find_links({"PIP_FIND_LINKS": "/a /b"}, config)
    assert folders == ["/a", "/b", "/opt/wheels", "/srv/wheels"]
    assert _setup.find_links({}, "") == []


def test_a_local_wheel_must_match_version_python_and_machine(tmp_path):
    (tmp_path / f"torch-{V}+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").touch()
    (tmp_path / f"torch-{V}-cp312-cp312-manylinux_2_28_aarch64.whl").touch()
    (tmp_path / "torch-2.13.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").touch()
    folders = [str(tmp_path / "missing"), str(tmp_path)]
    assert _setup.local_torch_wheel(folders, V, "cp311", "x86_64") == f"{V}+cpu"
    assert _setup.local_torch_wheel(folders, V, "cp312", "aarch64") == V
    assert _setup.local_torch_wheel(folders, V, "cp312", "x86_64") is None
    assert _setup.local_torch_wheel(folders, "2.12.0", "cp311", "x86_64") is None


def test_dry_run_announces_each_phase_and_the_choice(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "dofcourse" / "_setup.py"), "--dry-run", "--torch", "cpu"]
        + ["--venv", str(tmp_path / "venv")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "[set-up 1/3, at 0:00]" in out and "[set-up 2/3, at" in out and "[set-up 3/3, at" in out
    assert f"torch=={V}+cpu --index-url https://download.pytorch.org/whl/cpu" in out
    assert not (tmp_path / "venv").exists()


def test_make_runs_the_set_up_script_and_shows_progress():
    makefile = (ROOT / "Makefile").read_text()
    assert "dofcourse/_setup.py --venv $(VENV) --torch $(TORCH)" in makefile
    assert "--quiet" not in makefile and "TORCH  ?= auto" in makefile
    source = (ROOT / "dofcourse" / "_setup.py").read_text()
    assert "--quiet" not in source and " -q" not in source


def test_a_failed_step_stops_with_its_status_the_log_and_a_hint(tmp_path, capsys):
    log = tmp_path / "install.log"
    fail = "print('ERROR: no matching distribution for torch'); raise SystemExit(3)"
    with pytest.raises(SystemExit, match=r"exit status 3; the whole output is in .*TORCH=pypi"):
        _setup._run([sys.executable, "-c", fail], log, "TORCH=pypi helps")
    assert "  | ERROR: no matching distribution" in capsys.readouterr().out  # the log's tail


def test_pip_output_goes_to_the_log_and_the_terminal_shows_a_count(tmp_path, capsys):
    log = tmp_path / "logs" / "install.log"
    lines = ["Collecting numpy>=1.26", "  Downloading numpy-2.3.0.whl (16 MB)",
             "Requirement already satisfied: torch==2.13.0 in ./lib", "Collecting numpy",
             "Using cached scipy-1.15.whl", "Successfully installed numpy scipy"]  # fmt: skip
    script = "; ".join(f"print({line!r})" for line in lines)
    _setup._run([sys.executable, "-c", script], log)
    out = capsys.readouterr().out
    assert out.strip() == f"2 packages (pip's output: {log})"  # numpy and torch
    assert all(line in log.read_text() for line in lines)


def test_make_lab_installs_the_runtime_only_and_make_test_the_tools():
    makefile = (ROOT / "Makefile").read_text()
    target = lambda name: makefile.split(f"\n{name}:")[1].split("\n\n")[0]  # noqa: E731
    runtime = target("$(STAMP)")
    assert "--extras" not in runtime
    assert "$(STAMP)" in target("lab").split("\n")[0] and "DEV" not in target("lab")
    assert "$(DEV_STAMP)" in target("test").split("\n")[0]
    assert "--extras dev,docs,grading,cluster" in target("$(DEV_STAMP)")
    assert "$(GRADING_STAMP)" in target("assignments").split("\n")[0]
    assert "$(DOCS_STAMP)" in target("site").split("\n")[0]
    assert "--extras docs" in target("$(DOCS_STAMP)")
