"""The set-up paths agree: pyproject.toml, constraints.txt, environment.yml and binder/."""

import os
import re
import tomllib
from pathlib import Path

import pytest
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
    extras = PYPROJECT["optional-dependencies"]
    return _requirements(extras["dev"] + extras["docs"] + extras["grading"])


def _constraints():
    return _requirements((ROOT / "constraints.txt").read_text().splitlines())


def _binder():
    return _requirements((ROOT / "binder" / "requirements.txt").read_text().splitlines())


def _environment_items(name="environment.yml"):
    """Every list item of an environment file's dependencies (conda ones and the pip section)."""
    text = (ROOT / name).read_text().split("dependencies:", 1)[1]
    return re.findall(r"^\s+- (.+)$", text, flags=re.M)


ENVIRONMENTS = ["environment.yml", "environment-gpu.yml"]


def _compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Some version satisfies both: try the versions either side names."""
    named = [Version(s.version) for s in [*a, *b] if s.version[0].isdigit()]
    candidates = named + [Version(f"{v.major}.{v.minor + 1}") for v in named]
    return not candidates or any(a.contains(v) and b.contains(v) for v in candidates)


def test_torch_is_pinned_exactly_everywhere_the_course_installs_it():
    for name, reqs in [("constraints", _constraints()), ("binder", _binder())]:
        (spec,) = list(reqs["torch"])
        assert spec.operator == "==" and spec.version.split("+")[0] == "2.13.0", name
    # The package itself accepts a range that holds the tested version, so that pip keeps a
    # hosted notebook's own torch (Colab's CUDA build) instead of replacing it.
    (spec,) = list(_runtime()["torch"])
    assert spec.operator == ">=" and _runtime()["torch"].contains("2.13.0")


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


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_environment_files_use_constraints_and_name_every_package(name):
    items = _environment_items(name)
    assert "-c constraints.txt" in items and "-e ." in items
    assert "python=3.11" in items
    reqs = [Requirement(i) for i in items if not i.startswith(("-", "python", "pip"))]
    assert {canonicalize_name(r.name) for r in reqs} == set(_runtime())  # a student's runtime
    for req in reqs:
        if req.name == "torch":
            (spec,) = list(req.specifier)
            assert spec.operator == "==" and spec.version.split("+")[0] == "2.13.0"


def test_environment_yml_is_the_cpu_build_and_the_gpu_variant_the_cuda_build():
    cpu = _environment_items("environment.yml")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in cpu
    linux = [i for i in cpu if i.startswith("torch") and "linux" in i]
    assert linux and linux[0].startswith("torch==2.13.0+cpu")
    gpu = _environment_items("environment-gpu.yml")
    assert "torch==2.13.0" in gpu and not any("download.pytorch.org" in i for i in gpu)


def test_pandas_is_a_dependency_everywhere():
    for reqs in (_runtime(), _constraints(), _binder()):
        assert SpecifierSet(">=2.1") == reqs["pandas"]


def test_cluster_extra_is_optional():
    cluster = _requirements(PYPROJECT["optional-dependencies"]["cluster"])
    assert set(cluster) == {"dask", "dask-jobqueue", "submitit"}
    assert "distributed" in PYPROJECT["optional-dependencies"]["cluster"][0]
    assert not set(cluster) & (set(_runtime()) | set(_dev()))
    for name in ENVIRONMENTS:
        assert not any(i.startswith(("dask", "submitit")) for i in _environment_items(name))
    constraints = _constraints()
    for name, spec in cluster.items():
        assert _compatible(spec, constraints[name]), name


def test_binder_starts_in_quick_mode_and_installs_the_package():
    start = ROOT / "binder" / "start"
    assert "DOFCOURSE_QUICK=1" in start.read_text() and os.access(start, os.X_OK)
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()


def test_readme_has_binder_badge_and_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/chapters/00_welcome.ipynb" in readme
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    # make lab blocks, so the quick start runs the tests first and says so.
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert quick_start.index("make test") < quick_start.index("make lab")
    assert "Ctrl-C" in quick_start
    # The conda route ends in a running lab in quick mode, as make does.
    assert "python tools/lab.py" in quick_start and "environment-gpu.yml" in quick_start


def test_readme_and_chapter_00_list_every_chapter():
    """A chapter added later shows up in the README's table (with a Binder link) and in chapter
    00's map, or this test names it."""
    readme = (ROOT / "README.md").read_text()
    welcome = (ROOT / "chapters" / "00_welcome.py").read_text()
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        number = nb.name.split("_", 1)[0]
        assert f"| {number} |" in readme and f"{nb.name})" in readme, f"README lacks {nb.name}"
        if number != "00":
            assert f"({nb.name})" in welcome, f"chapter 00's map lacks {nb.name}"


def _links():
    import importlib.util

    spec = importlib.util.spec_from_file_location("links", ROOT / "tools" / "links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_chapter_has_binder_and_colab_links_made_from_the_one_address():
    links = _links()
    repo = links.repository()
    assert repo == PYPROJECT["urls"]["Repository"]
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert links.binder_url(nb.name) in readme, f"README lacks the Binder link of {nb.name}"
        assert links.colab_url(nb.name) in readme, f"README lacks the Colab link of {nb.name}"
    slugs = set(re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", readme))
    slugs |= set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", readme))
    assert slugs == {repo.removeprefix("https://github.com/")}, slugs
    assert links.readme_with_links(readme, repo) == readme  # `make links` would change nothing
    moved = links.readme_with_links(readme, "https://github.com/someone/else")
    assert "dofcourse/dofcourse" not in moved and moved.count("someone/else") >= 2 * len(slugs)
    assert "once the repository is public" in readme


def test_licences_and_citation():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PYPROJECT["license"] == {"text": "MIT"}
    content = (ROOT / "LICENSE-CONTENT").read_text()
    assert "CC BY 4.0" in content and "creativecommons.org/licenses/by/4.0" in content
    import yaml

    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    assert citation["repository-code"] == PYPROJECT["urls"]["Repository"]
    assert citation["version"] == PYPROJECT["version"] and citation["title"]
    readme = (ROOT / "README.md").read_text()
    assert "LICENSE-CONTENT" in readme and "CITATION.cff" in readme


def test_readme_has_a_study_plan_for_every_chapter():
    readme = (ROOT / "README.md").read_text()
    plan = readme.split("## Study plan", 1)[1].split("\n## ", 1)[0]
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        number = nb.name.split("_", 1)[0]
        assert re.search(rf"^\| {number} \| \d+ min \|", plan, re.M), f"study plan lacks {number}"


@pytest.mark.parametrize("source", sorted((ROOT / "chapters").glob("*.py")), ids=lambda p: p.stem)
def test_every_chapter_installs_the_course_where_it_is_missing(source):
    """The first code cell installs the course on Colab (or any Jupyter without it), from the
    one address; `make links` writes it."""
    import jupytext

    links = _links()
    code = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
    assert code and code[0] == links.install_cell(), (
        f"{source.name}: the first code cell must be the install cell of tools/links.py "
        "(run `make links`, then `make sync`)"
    )
    assert links.chapter_with_install_cell(source.read_text()) == source.read_text()
