"""Slides: every chapter's cells make a sensible lecture (jupytext keeps the metadata), RISE is
installed for live presenting, and `make slides` writes reveal.js decks that work offline."""

from __future__ import annotations

import json
import re
import shutil
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import jupytext
import pytest

from dofcourse import exercises, slides
from dofcourse.publish import notebooks
from tests import _chapters as ch

SOURCES = sorted(ch.CHAPTERS.glob("*.py"))


@pytest.mark.parametrize("path", ch.NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_makes_a_sensible_deck(path):
    notebook = ch.read(path)
    assert slides.deck_problems(notebook) == []
    assert len(slides.outline(notebook)) >= 5


def test_deck_problems_catch_one_slide_per_cell_and_untitled_slides():
    cell = lambda kind, src, t="slide": {  # noqa: E731
        "cell_type": kind,
        "source": src,
        "metadata": {"slideshow": {"slide_type": t}},
    }
    per_cell = {"cells": [cell("markdown", f"# s{i}") for i in range(6)]}
    assert any("one slide per cell" in p for p in slides.deck_problems(per_cell))
    untitled = {"cells": [cell("markdown", "# a"), cell("code", "x = 1", "-")] * 3}
    untitled["cells"] += [cell("code", "y = 2"), cell("markdown", "text", "-")] * 3
    problems = slides.deck_problems(untitled)
    assert any("does not open with a markdown cell" in p for p in problems)


def test_jupytext_keeps_the_slide_metadata():
    config = tomllib.loads((ch.ROOT / "jupytext.toml").read_text())
    assert "slideshow" in config["cell_metadata_filter"].split(",")
    for source in SOURCES:
        # A filter stored in the notebook wins over jupytext.toml's; one without `slideshow`
        # made `jupytext --sync` give a new cell of the .py its neighbour's slide type.
        stored = ch.read(source.with_suffix(".ipynb"))["metadata"].get("jupytext", {})
        kept = stored.get("cell_metadata_filter", config["cell_metadata_filter"])
        assert kept == config["cell_metadata_filter"], f"{source.name}: {kept}"
        from_py = [slides.slide_type(c) for c in jupytext.read(source).cells]
        from_ipynb = [slides.slide_type(c) for c in ch.read(source.with_suffix(".ipynb"))["cells"]]
        assert from_py == from_ipynb, source.name
        assert from_py.count("slide") >= 5, source.name


def test_rise_is_installed_for_presenting_from_jupyterlab():
    assert metadata.version("jupyterlab-rise")
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-rise"
    assert (installed / "package.json").exists(), "jupyterlab-rise's lab extension is missing"


def test_web_assets_are_pinned_exactly():
    package = json.loads((ch.ROOT / "web" / "package.json").read_text())
    lock = json.loads((ch.ROOT / "web" / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert set(package["dependencies"]) == set(slides.ASSET_PARTS)


def _install_at_once(web: str) -> None:
    from dofcourse.publish import assets

    assets.npm_ci(Path(web))


def test_two_processes_needing_the_web_assets_take_turns(tmp_path, monkeypatch):
    """npm ci empties node_modules first: two test workers running it at once lost reveal.js in
    a CI run. A stand-in npm logs its runs; two processes at once run it once, not overlapping."""
    import multiprocessing

    web, log = tmp_path / "web", tmp_path / "runs.log"
    web.mkdir()
    (web / "package-lock.json").write_text("{}")
    fake = tmp_path / "bin" / "npm"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho start >> {log}\nrm -rf node_modules\nsleep 1\n"
                    f"mkdir -p node_modules\ntouch node_modules/.package-lock.json\n"
                    f"echo end >> {log}\n")  # fmt: skip
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{__import__('os').environ['PATH']}")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_install_at_once, args=(str(web),)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert log.read_text().split() == ["start", "end"], "npm ran twice, or both at once"
    assert (web / "node_modules" / ".package-lock.json").exists()


def test_external_references_are_found_wherever_a_page_loads_them():
    html = """<html><head>
    <script src="https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"></script>
    <link rel="stylesheet" href="//cdn.example.org/x.css">
    <style>@import "https://fonts.example.com/f.css"; .a { background: url(http://x.org/i.png) }
    </style>
    <script>require(["https://cdnjs.cloudflare.com/ajax/libs/require.js"], f)</script>
    <img src="data:image/png;base64,AAAA"><a href="01_next.slides.html#top">next</a>
    <svg xmlns="http://www.w3.org/2000/svg"></svg></head></html>"""
    assert slides.external_references(html) == [
        "//cdn.example.org/x.css",
        "http://x.org/i.png",
        "https://cdnjs.cloudflare.com/ajax/libs/require.js",
        "https://fonts.example.com/f.css",
        "https://unpkg.com/reveal.js@4.0.2/dist/reveal.js",
    ]
    assert slides.local_references(html) == ["01_next.slides.html"]


def test_static_notebook_keeps_figures_and_replaces_controls_by_a_note():
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]}},
        "s": {"model_name": "IntSliderModel", "state": {}},
        "o": {"model_name": "OutputModel", "state": {}},
        "bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_p"]}},
        "p": {"model_name": "FloatProgressModel", "state": {}},
    }
    view = lambda mid: {  # noqa: E731
        "output_type": "display_data",
        "metadata": {},
        "data": {notebooks.WIDGET_VIEW: {"model_id": mid}, "text/plain": "VBox(...)"},
    }
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "AAAA"}}
    notebook = {
        "metadata": {"widgets": {notebooks.WIDGET_STATE: {"state": state}}},
        "cells": [
            {
                "cell_type": "code",
                "source": "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
                "outputs": [view("bar"), png, view("box")],
            }
        ],
    }
    static = slides.static_notebook(notebook)
    assert "widgets" not in static["metadata"]
    outputs = static["cells"][0]["outputs"]
    assert outputs[0] == png and "Interactive controls" in outputs[1]["data"]["text/html"]
    assert len(outputs) == 2 and "SOLUTION" not in static["cells"][0]["source"]


def _cell(kind, source, slide="-", outputs=None, tags=None):
    cell = {"cell_type": kind, "id": f"c{abs(hash(source)) % 10**8}", "source": source,
            "metadata": {"slideshow": {"slide_type": slide}}}  # fmt: skip
    if tags:
        cell["metadata"]["tags"] = tags
    if kind == "code":
        cell["outputs"] = outputs or []
    return cell


PNG = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "AAAA"}}
LOG = {"output_type": "stream", "name": "stdout", "text": "480 runs in 1 s\n"}


def test_a_deck_hides_code_shows_figures_alone_and_never_a_solution():
    exercise = "def f():\n    # BEGIN SOLUTION\n    return 42\n    # END SOLUTION\n"
    notebook = {
        "metadata": {},
        "cells": [
            _cell("markdown", "# Title\n\nIntro.", "slide"),
            _cell("code", "import x\nprint('480 runs in 1 s')", outputs=[LOG]),
            _cell("markdown", "Text before the figure."),
            _cell("code", "plot()", outputs=[LOG, PNG]),
            _cell("markdown", "What the figure shows."),
            _cell("code", "train(model)", outputs=[LOG], tags=[slides.SHOW_CODE]),
            _cell("markdown", "## Exercise", "slide"),
            _cell("code", exercise),
            _cell("markdown", "Lecturer: ask first.", "notes"),
        ],
    }
    deck = slides.deck_notebook(notebook)
    kinds = [(c["cell_type"], slides.slide_type(c)) for c in deck["cells"]]
    assert kinds == [
        ("markdown", "slide"),  # the import cell is gone: no code shown, no figure
        ("markdown", "-"),
        ("code", "slide"),  # the figure starts a slide of its own ...
        ("markdown", "slide"),  # ... and the text after it the next one
        ("code", "-"),
        ("markdown", "slide"),
        ("code", "-"),
        ("markdown", "notes"),
    ]
    figure, shown, stub = (c for c in deck["cells"] if c["cell_type"] == "code")
    assert figure["metadata"]["transient"] == {"remove_source": True}
    assert figure["outputs"] == [PNG]  # the cached run time printed beside it is dropped
    assert "transient" not in shown["metadata"] and shown["outputs"] == [LOG]
    assert "return 42" not in stub["source"] and exercises.STUB in stub["source"]
    assert "transient" not in stub["metadata"]


def test_a_think_answer_becomes_a_speaker_note_in_the_deck():
    notebook = {
        "metadata": {},
        "cells": [
            _cell("markdown", "# T", "slide"),
            _cell("markdown", "**Think!** Which grows most?"),
            _cell("code", "plot()", outputs=[PNG]),
            _cell("markdown", "The dense layer grows most."),
        ],
    }
    deck = slides.deck_notebook(notebook)
    assert slides.slide_type(deck["cells"][-1]) == "notes"
    assert "dense layer" in deck["cells"][-1]["source"]


def test_long_text_goes_on_to_another_slide_between_paragraphs():
    long = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(8))
    notebook = {"metadata": {}, "cells": [_cell("markdown", "## Long\n\n" + long, "slide")]}
    deck = slides.deck_notebook(notebook)
    parts = [c["source"] for c in deck["cells"]]
    assert sum(slides.slide_type(c) == "slide" for c in deck["cells"]) >= 2
    assert "\n\n".join(parts) == "## Long\n\n" + long  # nothing lost, nothing cut mid-paragraph


@pytest.mark.parametrize("path", ch.NOTEBOOKS, ids=lambda p: p.stem)
def test_no_chapter_deck_shows_a_solution(path):
    notebook = ch.read(path)
    deck = slides.deck_notebook(notebook)
    shown = "\n".join(ch.text(c["source"]) for c in deck["cells"] if c["cell_type"] == "code")
    for cell in notebook["cells"]:
        source = ch.text(cell["source"])
        if cell["cell_type"] == "code" and exercises.has_exercise(source):
            solution = set(exercises.instructor_source(source).splitlines())
            solution -= set(exercises.student_source(source).splitlines())
            leaked = [line for line in solution if line.strip() and line in shown]
            assert not leaked, f"the deck shows solution lines: {leaked[:3]}"


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """`make slides` for chapter 00, from its executed notebook (as `make course` leaves it)."""
    if not (ch.ROOT / "web" / "node_modules").exists() and shutil.which("npm") is None:
        pytest.skip("no npm to install reveal.js and MathJax into web/node_modules")
    out = tmp_path_factory.mktemp("slides")
    assert (
        slides.main(["--only", "00", "--out", str(out), "--executed", str(ch.executed_first())])
        == 0
    )
    return out / "00_welcome.slides.html"


def test_a_deck_references_no_external_url_and_every_local_file_exists(deck):
    html = deck.read_text(encoding="utf-8")
    assert slides.external_references(html) == []
    for ref in slides.local_references(html):
        if ref.endswith(".slides.html"):  # another chapter's deck (`make slides` makes them all)
            assert (ch.CHAPTERS / ref.replace(".slides.html", ".ipynb")).exists(), ref
        else:
            assert (deck.parent / ref).exists(), f"the deck loads {ref}, which is missing"
    executed = ch.read(ch.executed_first() / ch.FIRST.name)
    assert html.count("<section") >= len(slides.outline(executed))
    pngs = sum("image/png" in o.get("data", {}) for o in ch.outputs(executed))
    assert pngs >= 3 and html.count("data:image/png;base64") >= pngs
    assert "BEGIN SOLUTION" not in html and "Run All" not in html


@pytest.mark.skipif(ch.browser_missing() is not None, reason=str(ch.browser_missing()))
def test_a_deck_works_in_a_browser_without_network(deck):
    """Open the deck from file:// with every non-file request refused; nothing may try."""
    from playwright.sync_api import sync_playwright

    requested, errors = [], []
    with sync_playwright() as playwright:
        browser = ch.launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def route(r):
            if r.request.url.startswith("file:"):
                return r.continue_()
            requested.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", state="attached", timeout=60_000)
        page.wait_for_function("document.querySelectorAll('.MathJax_CHTML').length > 5")
        ch.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n in range(3):
            page.screenshot(path=str(ch.SCREENSHOTS / f"deck_00_slide{n + 1}.png"))
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(2000)  # MathJax re-typesets each new slide
        total = page.evaluate("document.querySelectorAll('.slides > section').length")
        browser.close()
    assert requested == [], f"the deck tried to load {requested}"
    assert errors == []
    assert total >= 5


@pytest.mark.parametrize("path", ch.NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_has_speaker_notes_for_its_deck(path):
    """At least one notes cell of the chapter's own (the answers to Think! prompts come on top)."""
    notes = [c for c in ch.read(path)["cells"] if slides.slide_type(c) == "notes"]
    assert notes, (
        f"{path.name} has no speaker notes: add a markdown cell with slideshow "
        '{"slide_type": "notes"} (the lecture plan, what to ask, what to stress)'
    )
