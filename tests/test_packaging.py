"""The set-up paths agree: pyproject.toml, constraints.txt, environment.yml and binder/."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements(lines):
    reqs = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith(("-", "--")):
            req = Requirement(line)
            reqs[canonicalize_name(req.name)] = req.specifier
    return reqs


def _runtime():
    return _requirements(PYPROJECT["dependencies"])


def _dev():
    return _requirements(PYPROJECT["optional-dependencies"]["dev"])


def _constraints():
    return _requirements((ROOT / "constraints.txt").read_text().splitlines())


def _binder():
    return _requirements((ROOT / "binder" / "requirements.txt").read_text().splitlines())


def _environment_items():
    """Every list item of environment.yml's dependencies (conda ones and the pip section)."""
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    return re.findall(r"^\s+- (.+)$", text, flags=re.M)


def _compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Some version satisfies both: try the versions either side names."""
    named = [Version(s.version) for s in [*a, *b] if s.version[0].isdigit()]
    candidates = named + [Version(f"{v.major}.{v.minor + 1}") for v in named]
    return not candidates or any(a.contains(v) and b.contains(v) for v in candidates)


def test_torch_is_pinned_exactly_everywhere():
    for name, reqs in [
        ("pyproject", _runtime()),
        ("constraints", _constraints()),
        ("binder", _binder()),
    ]:
        (spec,) = list(reqs["torch"])
        assert spec.operator == "==" and spec.version.split("+")[0] == "2.13.0", name


def test_binder_torch_is_the_cpu_build():
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in text and "torch==2.13.0+cpu" in text


def test_constraints_cover_every_dependency_compatibly():
    constraints = _constraints()
    for name, spec in {**_runtime(), **_dev()}.items():
        assert name in constraints, f"{name} is missing from constraints.txt"
        assert _compatible(spec, constraints[name]), f"{name}: {spec} vs {constraints[name]}"


def test_binder_names_every_runtime_dependency_compatibly():
    binder = _binder()
    for name, spec in _runtime().items():
        assert name in binder, f"{name} is missing from binder/requirements.txt"
        assert _compatible(spec, binder[name]), f"{name}: {spec} vs {binder[name]}"


def test_environment_yml_uses_constraints_and_names_every_package():
    items = _environment_items()
    assert "-c constraints.txt" in items and "-e .[dev]" in items
    assert "python=3.11" in items
    names = {canonicalize_name(i) for i in items if not i.startswith(("-", "python", "pip"))}
    assert names == set(_runtime()) | set(_dev())


def test_binder_starts_in_quick_mode_and_installs_the_package():
    assert "DOFCOURSE_QUICK=1" in (ROOT / "binder" / "start").read_text()
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()


def test_readme_has_binder_badge_and_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/chapters/00_welcome.ipynb" in readme
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
