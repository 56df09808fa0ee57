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
