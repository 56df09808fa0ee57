"""Running mode and paths.

The course runs in two modes. *Quick* mode (``DOFCOURSE_QUICK=1``, set by the tests and on Binder)
runs every chapter in about a minute on two CPU cores at smaller sizes; *full* mode (the default)
uses the sizes that reproduce the papers' figures. A notebook never branches on the mode itself: it
asks :func:`size` for a number, which keeps both settings side by side in one line.

Paths (all overridable by environment variables, so a lecturer can point a class at a shared
cache): ``DOFCOURSE_DATA`` for datasets, ``DOFCOURSE_CACHE`` for cached results,
``DOFCOURSE_FIGURES`` for saved figures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
REPO_ROOT = Path(__file__).resolve().parent.parent


def flag(name: str) -> bool:
    """The on/off environment variable ``name``, read at each call.

    1/true/yes/on mean on; unset, empty, 0/false/no/off mean off (any case). Anything else is an
    error rather than a guess: ``DOFCOURSE_QUICK=2`` silently meaning *full* mode would run a
    chapter for an hour instead of a minute.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be the name of an environment variable, got {name!r}")
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"environment variable {name}={os.environ[name]!r} is not understood: "
        f"use 1/true/yes/on to switch it on, or 0/false/no/off (or leave it unset) for off"
    )


def is_quick() -> bool:
    """True when ``DOFCOURSE_QUICK`` is on (see :func:`flag`; read at each call)."""
    return flag("DOFCOURSE_QUICK")


def mode() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


def size(full: T, quick: T) -> T:
    """Pick a setting for the current mode: ``n_seeds = size(full=200, quick=20)``."""
    return quick if is_quick() else full


def _base_dir() -> Path:
    """The checkout for an editable install, else a per-user cache folder."""
    if (REPO_ROOT / "chapters").is_dir():
        return REPO_ROOT
    return Path.home() / ".cache" / "dofcourse"


def _dir(env: str, default: Path, mode: int = 0o777) -> Path:
    """The folder ``env`` names (default ``default``), created if missing (the last part with
    ``mode``, less the umask). ``~`` and a relative path are made absolute here, once, so that
    every reader and writer (a grid's workers too) uses the same folder. A path that is a file,
    or a folder that cannot be created, is one error that names the variable."""
    given = os.environ.get(env)
    path = Path(given or default).expanduser().absolute()
    origin = f"{env}={given!r}" if given else f"the default of {env}"
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{path} ({origin}) is a file, not a folder: set {env} to a folder, or remove the file"
        )
    try:
        path.mkdir(mode=mode, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(
            f"{path} ({origin}) cannot be a folder: a file stands in its path; set {env} to "
            "another folder"
        ) from None
    except PermissionError as err:
        raise PermissionError(
            err.errno,
            f"cannot create the folder {path} ({origin}): permission denied; set "
            f"{env} to a folder you can write",
            str(path),
        ) from None
    return path


def data_dir() -> Path:
    """Where datasets are stored (``DOFCOURSE_DATA``, default ``data/``)."""
    return _dir("DOFCOURSE_DATA", _base_dir() / "data")


def cache_dir() -> Path:
    """Where results of long runs are cached (``DOFCOURSE_CACHE``, default ``.cache/``); created
    ``0o755`` at most (the cache is the user's own: ``dofcourse.experiment``)."""
    return _dir("DOFCOURSE_CACHE", _base_dir() / ".cache", mode=0o755)


def figure_dir() -> Path:
    """Where figures are saved as PNG (``DOFCOURSE_FIGURES``, default ``build/figures/``)."""
    return _dir("DOFCOURSE_FIGURES", _base_dir() / "build" / "figures")
