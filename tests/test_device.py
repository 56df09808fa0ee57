import torch

from dofcourse import device


def test_get_device_prefers_available_accelerators(monkeypatch):
    monkeypatch.delenv("DOFCOURSE_DEVICE", raising=False)
    expected = (
        "cuda"
        if torch.cuda.is_available()
        else "mps"
        if torch.backends.mps.is_available()
        else "cpu"
    )
    assert device.get_device().type == expected


def test_device_can_be_forced(monkeypatch):
    monkeypatch.setenv("DOFCOURSE_DEVICE", "cpu")
    assert device.get_device() == torch.device("cpu")


def test_report_names_device_torch_threads_and_memory(capsys):
    info = device.report()
    assert info["torch"] == torch.__version__
    assert info["cpu threads (torch)"] >= 1
    assert 0 < info["memory available (GB)"] <= info["memory total (GB)"]
    device.print_report()
    out = capsys.readouterr().out
    assert "device" in out and torch.__version__ in out


def test_single_thread_restores_the_setting():
    before = torch.get_num_threads()
    with device.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota_of_the_process_and_its_parents(tmp_path):
    _write(tmp_path / "proc", "0::/kubepods/pod1/box\n")
    _write(tmp_path / "cg/kubepods/pod1/box/cpu.max", "max 100000\n")
    _write(tmp_path / "cg/kubepods/pod1/cpu.max", "150000 100000\n")
    _write(tmp_path / "cg/kubepods/cpu.max", "400000 100000\n")
    assert device.cgroup_cpu_limit(tmp_path / "cg", tmp_path / "proc") == 1.5


def test_cgroup_v1_quota_seen_from_inside_a_container(tmp_path):
    # Binder-like: the process's cgroup path is the host's, the mount shows the container's own.
    _write(tmp_path / "proc", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n")
    _write(tmp_path / "cg/cpu,cpuacct/cpu.cfs_quota_us", "100000\n")
    _write(tmp_path / "cg/cpu,cpuacct/cpu.cfs_period_us", "100000\n")
    assert device.cgroup_cpu_limit(tmp_path / "cg", tmp_path / "proc") == 1.0


def test_no_cgroup_quota(tmp_path):
    _write(tmp_path / "proc", "1:cpu:/\n0::/\n")
    _write(tmp_path / "cg/cpu/cpu.cfs_quota_us", "-1\n")
    _write(tmp_path / "cg/cpu/cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "cg/cpu.max", "max 100000\n")
    assert device.cgroup_cpu_limit(tmp_path / "cg", tmp_path / "proc") is None
    assert device.cgroup_cpu_limit(tmp_path / "none", tmp_path / "missing") is None


def test_available_cpus_is_capped_by_the_quota(monkeypatch):
    monkeypatch.setattr(device.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    monkeypatch.setattr(device, "cgroup_cpu_limit", lambda: 1.0)
    assert device.available_cpus() == 1
    monkeypatch.setattr(device, "cgroup_cpu_limit", lambda: 2.5)
    assert device.available_cpus() == 2
    monkeypatch.setattr(device, "cgroup_cpu_limit", lambda: None)
    assert device.available_cpus() == 8
    monkeypatch.setattr(device.os, "sched_getaffinity", lambda pid: {3})
    assert device.available_cpus() == 1


def test_threads_leave_one_cpu_and_follow_overrides():
    assert device.choose_threads(1, env={}) == 1  # Binder
    assert device.choose_threads(2, env={}) == 1  # a 2-core laptop
    assert device.choose_threads(8, env={}) == 7
    assert device.choose_threads(8, env={"OMP_NUM_THREADS": "3"}) == 3
    assert device.choose_threads(2, env={"DOFCOURSE_THREADS": "2", "OMP_NUM_THREADS": "1"}) == 2
    assert device.choose_threads(4, env={"DOFCOURSE_THREADS": "auto"}) == 3


def test_importing_the_package_applies_the_thread_choice():
    import dofcourse  # noqa: F401

    assert torch.get_num_threads() == device.choose_threads()
    assert device.report()["cpus available"] == device.available_cpus()


def test_configure_threads_sets_torch_and_restores(monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    before = torch.get_num_threads()
    try:
        assert device.configure_threads(2) == 2
        assert torch.get_num_threads() == 2
        assert device.os.environ["OMP_NUM_THREADS"] == "2"
    finally:
        device.configure_threads(before)


def test_threads_variable_that_is_not_a_positive_integer_is_refused():
    """Review old7c: DOFCOURSE_THREADS=maybe / 0 / -4 silently meant the default."""
    import pytest

    for value in ("maybe", "0", "-4", "2.5"):
        with pytest.raises(ValueError, match=f"DOFCOURSE_THREADS='{value}'.*positive"):
            device.choose_threads(available=4, env={"DOFCOURSE_THREADS": value})
    assert device.choose_threads(available=4, env={"DOFCOURSE_THREADS": " 3 "}) == 3
    assert device.choose_threads(available=4, env={"OMP_NUM_THREADS": "junk"}) == 3  # not ours


def test_the_meta_device_is_refused_with_the_devices_available():
    """Review C22: device='meta' was accepted, then training failed deep inside torch."""
    import pytest

    from dofcourse import data

    with pytest.raises(ValueError, match="device='meta'.*cpu, cuda or mps.*cpu"):
        device.resolve("meta")
    with pytest.raises(ValueError, match="device='meta'"):
        data.load("digits", device="meta")
