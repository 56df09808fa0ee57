"""Checksummed, atomic downloads of the canonical dataset files (``dofcourse.data.sources``).

:func:`fetch` returns the verified files of a dataset, downloading those not yet cached under
``config.data_dir() / name`` (``DOFCOURSE_DATA`` moves it). A download streams to a temporary file
in the cache folder and is renamed into place only after its SHA-256 (and MD5, where published)
matched, so an interrupted or corrupt download never leaves a file behind; a folder that the
failed attempt created and left empty is removed too, and a temporary ``.part`` file that a killed
process left (``kill -9``) is removed by the next :func:`fetch` once it is stale (untouched for
ten minutes). Files are created with the umask's permissions, so a class can share one data
folder (``DOFCOURSE_DATA``). A cached file is checked again on every load. Anything in the way (a
directory where a file should be, a corrupt file) and a download that fails on every mirror raise
one :class:`DatasetError` that says what to do, including which files to copy by hand onto an
offline machine. Chapter 00 says where the data come from.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import stat
import time
import urllib.request
import uuid
from pathlib import Path

from tqdm.auto import tqdm

from dofcourse import config
from dofcourse.data.dataset import DatasetError
from dofcourse.data.sources import SOURCES, Remote, Source

_CHUNK = 1 << 20
_TIMEOUT_S = 60
_STALE_PART_S = 600.0  # a .part file untouched this long belongs to a killed download
EMBEDDED_HINT = "'digits', 'mnist_subset'"


def fetch(name: str, directory: Path | str | None = None) -> list[Path]:
    """Paths of the verified files of dataset ``name`` (a key of ``SOURCES``), downloading those
    not yet cached. Files live in ``directory`` (default ``config.data_dir() / name``).
    Chapter 00."""
    if name not in SOURCES:
        raise DatasetError(f"{name!r} is not downloadable; choose one of {', '.join(SOURCES)}")
    source = SOURCES[name]
    try:
        folder = Path(directory) if directory is not None else config.data_dir() / name
    except OSError as err:  # DOFCOURSE_DATA is a file, or cannot be created
        raise DatasetError(f"{err}; or use an embedded dataset: {EMBEDDED_HINT}") from err
    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"{folder} should be a folder for dataset {name!r} but is a file; "
                           "remove it and load again")  # fmt: skip
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a read-only shared data folder, a file in the path
        raise DatasetError(
            f"cannot create the folder {folder} for dataset {name!r} ({err.strerror or err}); "
            f"set DOFCOURSE_DATA to a folder you can write, or use an embedded dataset: "
            f"{EMBEDDED_HINT}"
        ) from err
    _remove_stale_parts(folder)
    try:
        for remote in source.files:
            path = folder / remote.filename
            if path.exists() or path.is_symlink():
                _check_cached(path, remote)
                continue
            failures = _download_from_mirrors(source, remote, path)
            if failures:
                raise _download_error(name, source, folder, remote, failures)
    except BaseException:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # leave no empty data/<name>/ behind a failed first download
        raise
    return [folder / remote.filename for remote in source.files]


def read_verified(name: str, directory: Path | str | None = None) -> list[bytes]:
    """The contents of the files of dataset ``name``, each read into memory once and checked
    against its published checksum on those same bytes (what is parsed is what was verified: a
    file swapped after :func:`fetch` checked it is refused, not parsed). Chapter 00."""
    paths = fetch(name, directory)
    out = []
    for path, remote in zip(paths, SOURCES[name].files, strict=True):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise DatasetError(f"{path} is not a regular file; remove it and load again")
                raw = f.read()
        except OSError as err:
            raise DatasetError(f"cannot read {path} ({err}); delete it and load again") from err
        problem = _mismatch(remote, hashlib.sha256(raw).hexdigest(), hashlib.md5(raw).hexdigest())
        if problem:
            raise DatasetError(
                f"{path} changed after it was verified ({problem}); delete it and load again"
            )
        out.append(raw)
    return out


def _remove_stale_parts(folder: Path) -> None:
    """Remove the ``.part`` files of downloads killed before they could clean up."""
    now = time.time()
    for part in folder.glob(".*.part"):
        try:
            if now - part.stat().st_mtime > _STALE_PART_S:
                part.unlink()
        except OSError:  # another process removed it, or it is not ours to remove
            pass


def _download_error(
    name: str, source: Source, folder: Path, failed: Remote, failures: list[str]
) -> DatasetError:
    """One error saying what was tried and which files to put where by hand."""
    missing = [r for r in source.files if not (folder / r.filename).exists()]
    todo = "\n  ".join(f"{source.mirrors[0]}{r.filename}  (sha256 {r.sha256})" for r in missing)
    tried = "\n  ".join(failures)
    what = "could not download"
    if any("checksum mismatch" in f for f in failures):
        what = "no mirror gave a file matching the published checksum (nothing was kept) for"
    return DatasetError(
        f"{what} {failed.filename} of dataset {name!r}. Tried:\n  {tried}\n"
        f"If this machine is offline, download these files on one that is online:\n  {todo}\n"
        f"and put them in {folder} (see {source.homepage}); "
        f"or use an embedded dataset: {EMBEDDED_HINT}."
    )


def _digests(path: Path) -> tuple[str, str]:
    """(sha256, md5) hex digests of a file, read in chunks."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def _mismatch(remote: Remote, sha: str, md5: str) -> str | None:
    """A description of how the digests differ from ``remote``'s, or None if they match."""
    if sha != remote.sha256.lower():
        return f"sha256 {sha}, expected {remote.sha256}"
    if remote.md5 is not None and md5 != remote.md5.lower():
        return f"md5 {md5}, expected {remote.md5}"
    return None


def _check_cached(path: Path, remote: Remote) -> None:
    """Raise :class:`DatasetError` unless ``path`` is a readable file matching its checksums."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a broken link?)"
        raise DatasetError(f"{path} should be the data file {remote.filename} but is {what}; "
                           "remove it and load again")  # fmt: skip
    try:
        problem = _mismatch(remote, *_digests(path))
    except OSError as err:
        raise DatasetError(
            f"cannot read cached file {path} ({err}); delete it and load again"
        ) from err
    if problem:
        raise DatasetError(
            f"cached file {path} is corrupt or not the canonical file ({problem}); "
            "delete it and load again to download it afresh"
        )


def _download_from_mirrors(source: Source, remote: Remote, path: Path) -> list[str]:
    """Try each mirror until one gives a verified file; return what went wrong if none did."""
    failures = []
    for base in source.mirrors:
        url = base + remote.filename
        try:
            _download(url, path, remote)
            return []
        except (OSError, ValueError, http.client.HTTPException) as err:
            failures.append(f"{url}: {err}")
        except _ChecksumError as err:
            failures.append(f"{url}: checksum mismatch ({err})")
    return failures


class _ChecksumError(Exception):
    """A downloaded file did not match its checksum (turned into a DatasetError by the caller)."""


def _download(url: str, path: Path, remote: Remote) -> None:
    """Stream ``url`` to a temporary file next to ``path``; rename it there if checksums match.

    The temporary file is removed on any failure (network error, checksum mismatch, Ctrl-C), so
    ``path`` either does not exist or holds the complete, verified file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, leave=False) as bar:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        problem = _mismatch(remote, *_digests(tmp))
        if problem:
            raise _ChecksumError(problem)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
