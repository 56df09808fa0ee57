"""A chapter's executed notebook made into lecture slides (``make slides``, chapter decks).

:func:`deck_notebook` hides code unless a cell is tagged ``show-code`` (an exercise shows its
stub), gives each figure a slide, breaks text that would overflow the 1280 x 720 stage (by an
estimate of each block's height; the browser test measures the result) and moves the answers to
Think! prompts into the speaker notes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dofcourse.publish.notebooks import INTERACTIVE_NOTE, static_notebook, text

SHOW_CODE = "show-code"  # the tag of a code cell whose code a slide shows


def _images(cell: dict[str, Any]) -> bool:
    return any(
        any(k.startswith("image/") for k in o.get("data", {})) for o in cell.get("outputs", [])
    )


def _shown_output(output: dict[str, Any]) -> bool:
    """What a slide keeps of a cell whose code it hides: figures and widget notes."""
    data = output.get("data", {})
    return any(k.startswith("image/") for k in data) or INTERACTIVE_NOTE in text(
        data.get("text/html", "")
    )


# What fits on a slide, in the stage's pixels: the markdown blocks and code cells of a slide are
# packed until their estimated height reaches the budget (the browser test measures the result).
_BUDGET = 610
_LINE, _CHARS, _CODE_LINE = 32, 80, 20


def _markdown_blocks(source: str) -> list[str]:
    """A markdown cell cut where a slide may break: at blank lines outside code fences and
    display math, and before every heading."""
    blocks, current, fence, math = [], [], False, False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        elif not fence and stripped.count("$$") % 2:
            math = not math
        free = not fence and not math
        if free and (not stripped or re.match(r"#{1,4} ", stripped)) and current:
            if any(x.strip() for x in current):
                blocks.append("\n".join(current).strip("\n"))
            current = []
        if stripped or not free:
            current.append(line)
    if any(x.strip() for x in current):
        blocks.append("\n".join(current).strip("\n"))
    merged: list[str] = []  # a heading stays with the block after it
    for block in blocks:
        if merged and re.fullmatch(r"#{1,4} [^\n]*", merged[-1]):
            merged[-1] += "\n\n" + block
        else:
            merged.append(block)
    return merged


def _block_height(block: str) -> int:
    """The estimated height of a markdown block on a slide, in the stage's pixels."""
    lines = block.splitlines()
    first = lines[0].lstrip()
    heading = re.match(r"(#{1,4}) ", first)
    if heading:
        size, per_line = {1: (56, 42), 2: (48, 50)}.get(len(heading[1]), (42, 60))
        rest = "\n".join(lines[1:]).strip("\n")
        return size * -(-len(first) // per_line) + 25 + (_block_height(rest) if rest else 0)
    if first.startswith("|"):
        rows = [x for x in lines if not re.match(r"\|\s*-", x)]
        return sum(40 * max(1, -(-len(x) // 140)) for x in rows) + 14
    if first.startswith("```"):
        return _CODE_LINE * len(lines) + 30
    maths = len(re.findall(r"\$\$.*?\$\$", block, flags=re.S))
    prose = re.sub(r"\$\$.*?\$\$", "", block, flags=re.S)
    items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.) )", prose)  # a paragraph, or the items of a list
    rows = sum(max(1, -(-len(" ".join(x.split())) // _CHARS)) for x in items if x.strip())
    return _LINE * rows + 70 * maths + 14


def _code_height(source: str) -> int:
    return _CODE_LINE * len(source.splitlines()) + 30


def deck_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """The executed chapter as lecture slides (a copy; ``static_notebook`` first).

    - A code cell shows its code only when tagged ``show-code`` or when it is an exercise, which
      shows the student's stub (never the solution); a cell whose code is hidden keeps only its
      figures (no printed logs or cached run times), and disappears when it has none.
    - Each figure starts a slide of its own, and the text after a figure starts the next one.
    - Text that would not fit goes on to a new slide, between paragraphs (and before headings).
    - The answer to a Think! prompt becomes a speaker note, with the chapter's notes cells.
    """
    from dofcourse import exercises

    raw = json.loads(json.dumps(notebook))
    answers = set(exercises.think_answers(raw.get("cells", [])).values())
    solved = {i for i, c in enumerate(raw.get("cells", [])) if _has_solution(c)}
    nb = static_notebook(raw)
    cells: list[dict[str, Any]] = []
    pending: str | None = None
    used, after_figure = 0, False

    def place(cell: dict[str, Any], kind: str, height: int, figure: bool) -> None:
        nonlocal pending, used, after_figure
        if pending and kind in ("-", "fragment"):
            kind = pending
        pending = None
        if (
            kind in ("-", "fragment")
            and used
            and (figure or after_figure or used + height > _BUDGET)
        ):
            kind = "slide"
        used = height if kind in ("slide", "subslide") else used + height
        after_figure = figure
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
        cells.append(cell)

    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        kind = slide_type(cell)
        if kind == "skip":
            continue
        if i in answers or kind == "notes" or "answer" in meta.get("tags", []):
            meta["slideshow"] = {"slide_type": "notes"}
            cells.append(cell)
            continue
        if cell.get("cell_type") == "markdown":
            blocks = _markdown_blocks(text(cell.get("source", "")))
            for n, block in enumerate(blocks or [""]):
                part = {**cell, "source": block, "metadata": dict(meta)}
                if n and "id" in cell:
                    part["id"] = f"{cell['id']}"[:60] + f"-{n}"
                heading = n > 0 and re.match(r"#{1,3} ", block)
                place(part, kind if n == 0 else ("slide" if heading else "-"),
                      _block_height(block) if block else 0, False)  # fmt: skip
            continue
        if cell.get("cell_type") != "code":
            place(cell, kind, 0, False)
            continue
        source = text(cell.get("source", ""))
        shown = i in solved or SHOW_CODE in meta.get("tags", []) or exercises.STUB in source
        if i in solved:
            cell["source"] = source = exercises.student_source(text(raw["cells"][i]["source"]))
        keep = [o for o in cell.get("outputs", []) if o.get("name") != "stderr"]
        cell["outputs"] = keep if shown else [o for o in keep if _shown_output(o)]
        if not shown:
            meta["transient"] = {"remove_source": True}
            if not cell["outputs"]:
                pending = pending if kind in ("-", "fragment") else kind
                continue
        figure = _images(cell)
        height = (_code_height(source) if shown else 0) + (560 if figure else 0)
        if shown and not figure:
            height += sum(_CODE_LINE * len(text(o.get("text", "")).splitlines()) for o in keep)
        place(cell, kind, height, figure)
    nb["cells"] = cells
    return nb


def _has_solution(cell: dict[str, Any]) -> bool:
    from dofcourse import exercises

    return cell.get("cell_type") == "code" and exercises.has_exercise(text(cell["source"]))


def slide_type(cell: dict[str, Any]) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"
