"""The cache's files: where they live, who may write them, how they are written and read.

Every entry stores its key's digest and a SHA-256 checksum of its bytes, both checked on load; a
file that is not a regular file (a FIFO, a link), was written by another user, can be written by
other users, or whose checksum or key does not match is named in a warning, removed and
recomputed. A cache folder that another user owns, or that other users can write to, is refused
with an :class:`UnsafeCacheError` (as ssh refuses such key files). Folders are created ``0o755``
and entries ``0o644`` at most. Writes are atomic (a temporary file in the same folder, then
``os.replace``); a temporary file left by a killed process is removed by a later run. A cache that
cannot be written warns once, and the computed result is returned uncached.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from dofcourse import config
from dofcourse.experiment.codec import FORMAT, decode, encode

_MAGIC = b"dofcourse-cache-entry 2\n"  # then the payload's sha256 in hex, a newline, the payload
_STALE_TMP_S = 600.0


class UnsafeCacheError(RuntimeError):
    """The cache folder belongs to another user or other users can write to it: anyone able to
    write there could decide the results every chapter shows (the message says how to fix it)."""


def enabled() -> bool:
    """False when ``DOFCOURSE_NO_CACHE`` is on."""
    return not config.flag("DOFCOURSE_NO_CACHE")


_swept: set[Path] = set()
_trusted: set[Path] = set()
_warned: set[str] = set()


def warn_once(what: str, message: str) -> None:
    if what not in _warned:
        _warned.add(what)
        warnings.warn(message, stacklevel=4)


def _private_group(st: os.stat_result) -> bool:
    """True when the file's group is the user's own private group (``umask 002`` systems give
    each user a group of their own: its write bit lets no one else in)."""
    try:
        import grp
        import pwd

        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(st.st_gid)
    except (ImportError, KeyError):
        return False
    return st.st_gid == os.getegid() and group.gr_name == user and set(group.gr_mem) <= {user}


def _untrusted(st: os.stat_result) -> str | None:
    """Why a cache file or folder with status ``st`` is not the user's own, or None."""
    if not hasattr(os, "geteuid"):  # no POSIX owners (Windows)
        return None
    if st.st_uid not in (os.geteuid(), 0):
        return f"it belongs to another user (uid {st.st_uid}; you are uid {os.geteuid()})"
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o002 or (mode & 0o020 and not _private_group(st)):
        return f"other users can write to it (mode {mode:o})"
    return None


def check_folder(folder: Path) -> None:
    """Refuse a cache folder that is not the user's own (once per folder and process)."""
    if folder in _trusted:
        return
    why = _untrusted(folder.stat())
    if why:
        raise UnsafeCacheError(
            f"the cache folder {folder} is not safe to use: {why}, so anyone who can write "
            "there decides the results the course shows you. Use a folder of your own: "
            f"`chmod go-w {folder}` if it is yours, or set DOFCOURSE_CACHE to another folder "
            "(e.g. ~/.cache/dofcourse)"
        )
    _trusted.add(folder)


def folder_of(fn: Callable[..., Any], root: Path | None = None) -> Path | None:
    """The cache folder of ``fn`` (created), or None when it cannot be created (warned once:
    results are then computed and returned, not stored)."""
    name = f"{fn.__module__}.{fn.__qualname__}".replace("<", "").replace(">", "")
    if not name.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"cannot make a cache folder for {name!r}")
    try:
        root = root or config.cache_dir()
        folder = root / name
        folder.mkdir(mode=0o755, exist_ok=True)
    except PermissionError as err:
        warn_once(
            f"mkdir:{name}",
            f"the cache folder for {name} cannot be created ({err}); results are computed but "
            "not stored (set DOFCOURSE_CACHE to a folder you can write)",
        )
        return None
    check_folder(root)
    check_folder(folder)
    _clean_stale(folder)
    return folder


def _clean_stale(folder: Path) -> None:
    """Remove the temporary files that writers killed mid-write (``kill -9``) left in ``folder``:
    those untouched for ten minutes, once per folder and process."""
    if folder in _swept:
        return
    _swept.add(folder)
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def write(path: Path, entry: dict[str, Any]) -> None:
    """Atomically write ``entry`` to ``path``, after a header that holds its checksum; the file
    is ``0o644`` at most (never writable by others, whatever the umask)."""
    buf = io.BytesIO()
    try:
        torch.save(entry, buf)  # in memory first: an interrupt cannot leave a file half-written
    except Exception as err:
        # Ctrl-C inside torch's writer comes out as its RuntimeError ("inline_container.cc ...
        # unexpected pos") with the KeyboardInterrupt as context: show only the interrupt
        if isinstance(err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        raise
    payload = buf.getbuffer()
    head = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    write_bytes(path, head + bytes(payload))


def write_bytes(path: Path, data: bytes) -> None:
    """Atomically write the bytes of a whole entry file (header and payload) to ``path``."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def load_entry(path: Path) -> Any:
    """The entry stored at ``path``, or an error saying why the file cannot be used.

    The file is opened once (no link followed, a FIFO never waited on) and its owner, mode,
    checksum and contents are all read from that one open file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("it is not a regular file (a FIFO, a device or a folder)")
        why = _untrusted(st)
        if why:
            raise ValueError(f"{why}: not trusted")
        head = f.read(len(_MAGIC) + 65)
        if not head.startswith(_MAGIC) or len(head) != len(_MAGIC) + 65:
            raise ValueError("not a cache entry of this format")
        payload = f.read()
    if hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC) : -1]:
        raise ValueError("its checksum does not match its contents (the file was changed)")
    with warnings.catch_warnings():  # torch's notes on a foreign pickle: ours follows
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)


def read(path: Path, key_digest: str, meta: dict | None = None) -> tuple[bool, Any]:
    """(found, value) for the entry at ``path``; a bad file is reported, removed, and missed.
    ``meta``, when given, receives the entry's compute ``seconds`` (None where not stored)."""
    try:
        entry = load_entry(path)
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ValueError("not a cache entry of this format")
        if entry.get("digest") != key_digest:
            raise ValueError("it holds the result of a different call (its key does not match)")
        if meta is not None:
            meta["seconds"] = entry.get("seconds")
        return True, decode(entry["value"])
    except FileNotFoundError:
        return False, None
    except Exception as err:  # noqa: BLE001 (any unreadable file is discarded the same way)
        if isinstance(err, pickle.UnpicklingError):  # not torch's advice to load it unsafely
            why = "it is not plain data written by the course (it was not run)"
        elif isinstance(err, OSError) and os.path.islink(path):
            why = "it is a symbolic link"
        else:
            text = (str(err).strip().splitlines() or ["the file is empty or cut short"])[0]
            why = f"{type(err).__name__}: {text[:200]}"
        try:
            path.unlink(missing_ok=True)
            done = "it is removed and the result recomputed"
        except OSError as gone:
            done = f"the result is recomputed (the file cannot be removed: {gone.strerror})"
        warnings.warn(f"cache file {path} cannot be used ({why}); {done}", stacklevel=3)
        return False, None


def describe(arguments: Mapping[str, Any]) -> dict[str, str]:
    """A short readable form of a key, stored beside the digest for people looking at files."""
    return {k: (r if len(r := repr(v)) <= 200 else r[:197] + "...") for k, v in arguments.items()}


def save(
    path: Path,
    fn: Callable[..., Any],
    key_digest: str,
    args: Mapping,
    value: Any,
    seconds: float | None = None,
) -> Any:
    encoded = encode(value)
    entry = {
        "format": FORMAT,
        "digest": key_digest,
        "function": f"{fn.__module__}.{fn.__qualname__}",
        "key": describe(args),
        "value": encoded,
        "seconds": seconds,  # how long it took to compute (shipped entries record it)
    }
    try:
        write(path, entry)
    except OSError as err:  # a read-only folder, a full disk: the result is still returned
        warn_once(
            f"write:{path.parent}",
            f"cannot store results in the cache folder {path.parent} ({err.strerror or err}); "
            "they are computed and returned but not stored, so a re-run computes them again",
        )
    return decode(encoded)
