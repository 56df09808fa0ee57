"""When the shipped results are used, and reading them (``dofcourse.shipped``).

The hooks that ``dofcourse.experiment`` calls on a cache miss in full mode (:func:`active`,
:func:`lookup`), and the folders: :func:`folder` (what is read) and :func:`ship_to` (where a
``make ship`` run writes).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dofcourse import config
from dofcourse import experiment as ex
from dofcourse.experiment import codec, store

FOLDER = Path(__file__).resolve().parents[1] / "results" / "full"
MAX_ENTRY_BYTES = 1 << 20  # larger: a network's weights (LeNet-300-100: 1.07 MB), not shipped
MAX_TOTAL_BYTES = 20 << 20  # everything shipped, at most
MAX_REPLAY_BYTES = 64 << 10  # arguments stored with an entry so that a test can recompute it
# An entry over WORTH_CHECK_BYTES ships only when it saves a student at least MIN_SECONDS_PER_MB of
# computing per MB it adds: the 20 MB go to hours of subspace trainings, not to weights that
# take seconds to retrain (chapter 02's classifiers: 22 s of CPU per MB)
WORTH_CHECK_BYTES = 64 << 10
MIN_SECONDS_PER_MB = 60.0
# Computed tensors that are arguments of other shipped results ship whatever their cost (at most
# MAX_ENTRY_BYTES each): a key holds a tensor by its bytes, and the same training on another
# computer comes out different in the last bits (chapter 05's burn-in anchors after 64 steps: in
# the 4th digit), so every shipped result keyed by them would miss there and be computed again
# (480 of chapter 05's Conv-2 trainings, 1 h 50 min of CPU). Shipped, they are read, not remade.
KEY_INPUTS = frozenset({"dofcourse.phase.grid.burn_in_anchors"})


_announced: set[str] = set()


# ============================================================================ when
def folder() -> Path:
    """The shipped results' folder: ``DOFCOURSE_SHIPPED_DIR`` or :data:`FOLDER`."""
    given = os.environ.get("DOFCOURSE_SHIPPED_DIR")
    return Path(given).expanduser().absolute() if given else FOLDER


def active() -> bool:
    """True when shipped results may be read: full mode, the cache on, ``DOFCOURSE_SHIPPED`` not
    off (unset means on), and the folder present."""
    if config.is_quick() or not ex.enabled():
        return False
    if os.environ.get("DOFCOURSE_SHIPPED", "").strip() and not config.flag("DOFCOURSE_SHIPPED"):
        return False
    return folder().is_dir()


def ship_to() -> Path | None:
    """The folder a ``--ship`` run writes entries to (``DOFCOURSE_SHIP_TO``), in full mode only."""
    given = os.environ.get("DOFCOURSE_SHIP_TO")
    if not given or config.is_quick() or not ex.enabled():
        return None
    return Path(given).expanduser().absolute()


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}".replace("<", "").replace(">", "")


# ============================================================================ reading
def lookup(fn: Callable[..., Any], key: str, meta: dict | None = None) -> tuple[bool, Any]:
    """(found, value) of the shipped entry of ``fn`` under the code-free ``key``; ``meta``, when
    given, receives the entry's compute ``seconds``.

    A file that cannot be used (not a regular file, not the user's or root's, writable by others,
    a wrong checksum or key) is named in a warning and missed; it is not removed."""
    root = folder()
    path = root / _name(fn) / f"{key}.pt"
    if not path.parent.is_dir():
        return False, None
    try:
        store.check_folder(root)
        store.check_folder(path.parent)
        entry = _load(path, key)
    except FileNotFoundError:
        return False, None
    except ex.UnsafeCacheError as err:
        warnings.warn(f"shipped results not used: {err}", stacklevel=3)
        return False, None
    except Exception as err:  # noqa: BLE001 (any unusable file is refused the same way)
        text = (str(err).strip().splitlines() or ["the file is empty or cut short"])[0]
        warnings.warn(
            f"shipped result {path} cannot be used ({type(err).__name__}: {text[:200]}); "
            "the result is recomputed",
            stacklevel=3,
        )
        return False, None
    _announce(fn, entry)
    if meta is not None:
        meta["seconds"], meta["shipped"] = entry.get("seconds"), path
    return True, codec.decode(entry["value"])


def _load(path: Path, key: str) -> dict[str, Any]:
    entry = store.load_entry(path)
    if not isinstance(entry, dict) or entry.get("format") != codec.FORMAT:
        raise ValueError("not a shipped entry of this format")
    if entry.get("digest") != key:
        raise ValueError("it holds the result of a different call (its key does not match)")
    return entry


def _announce(fn: Callable[..., Any], entry: Mapping[str, Any]) -> None:
    """Say once per kernel that shipped results are used, and once per module whose code has
    changed since its entries were made."""
    if "first" not in _announced:
        _announced.add("first")
        print(
            f"Full mode: results shipped with the course are used where this computer has none "
            f"(made at commit {entry.get('commit')} on {entry.get('made')}; "
            f"{folder()}). To recompute them, set DOFCOURSE_SHIPPED=0 "
            "(`%env DOFCOURSE_SHIPPED=0` in the first cell, or in the shell) and run again.",
            flush=True,
        )
    module = fn.__module__
    made_by = entry.get("code")
    if module in _announced or made_by is None or not module.startswith("dofcourse"):
        return
    _announced.add(module)
    now = ex.code_fingerprint(module)
    if now != made_by:
        print(
            f"note: shipped results of {module} were made by its code as of commit "
            f"{entry.get('commit')}, which has changed since (fingerprint {made_by} -> {now}); "
            "DOFCOURSE_SHIPPED=0 recomputes them with the current code.",
            flush=True,
        )


def worth_shipping(nbytes: int, seconds: float | None, name: str | None = None) -> bool:
    """Whether an entry of ``nbytes`` that took ``seconds`` of CPU (None: unknown) is worth its
    place in the 20 MB: small ones always are, and those of the functions in :data:`KEY_INPUTS`
    (``name``); above :data:`WORTH_CHECK_BYTES` it must save at least :data:`MIN_SECONDS_PER_MB`
    seconds per MB."""
    if nbytes <= WORTH_CHECK_BYTES or seconds is None or name in KEY_INPUTS:
        return True
    return seconds >= MIN_SECONDS_PER_MB * nbytes / 2**20


def refusal(nbytes: int, seconds: float | None, name: str | None = None) -> str | None:
    """Why an entry of ``nbytes`` that took ``seconds`` of CPU, of the function ``name``, is not
    shipped, or None when it is: the one rule that a ``--ship`` run, ``add`` and ``prune`` apply
    to an entry."""
    if nbytes > MAX_ENTRY_BYTES:
        return (f"over {MAX_ENTRY_BYTES / 2**20:.0f} MB each: model weights stay on the computer "
                "that made them")  # fmt: skip
    if not worth_shipping(nbytes, seconds, name):
        return (f"under {MIN_SECONDS_PER_MB:.0f} s of CPU per MB, for an entry over "
                f"{WORTH_CHECK_BYTES >> 10} KB")  # fmt: skip
    return None
