from pathlib import Path

from dofcourse import config


def test_size_follows_the_mode(monkeypatch):
    monkeypatch.setenv("DOFCOURSE_QUICK", "1")
    assert config.is_quick() and config.mode() == "quick"
    assert config.size(full=1000, quick=10) == 10
    monkeypatch.setenv("DOFCOURSE_QUICK", "0")
    assert not config.is_quick() and config.mode() == "full"
    assert config.size(full=1000, quick=10) == 1000
    monkeypatch.delenv("DOFCOURSE_QUICK")
    assert config.size(full="big", quick="small") == "big"


def test_directories_are_overridable_and_created(tmp_path, monkeypatch):
    for env, fn in [
        ("DOFCOURSE_DATA", config.data_dir),
        ("DOFCOURSE_CACHE", config.cache_dir),
        ("DOFCOURSE_FIGURES", config.figure_dir),
    ]:
        target = tmp_path / env.lower() / "nested"
        monkeypatch.setenv(env, str(target))
        assert fn() == target and target.is_dir()


def test_default_directories_live_in_the_checkout(monkeypatch):
    monkeypatch.delenv("DOFCOURSE_DATA", raising=False)
    assert config.data_dir() == Path(config.REPO_ROOT) / "data"
