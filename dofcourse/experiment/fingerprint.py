"""Code fingerprints: which package code a cached result depends on (``dofcourse.experiment``).

A key holds the **code a function runs**: the source of its module and of every package module
that module imports, transitively, without docstrings and comments (editing a docstring keeps the
entries; editing an unrelated module keeps them too). An imported name counts by the module that
defines it, not by a package's ``__init__``. The experiment machinery itself and the shipped
results' layer are infrastructure: they change no result and are in no fingerprint.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import types
from pathlib import Path

PACKAGE = __name__.partition(".")[0]
# Modules whose code does not change what an experiment computes: not part of any fingerprint.
_INFRASTRUCTURE = {f"{PACKAGE}.experiment", f"{PACKAGE}.shipped"}


def strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return tree


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):  # "pkg.module.attribute"
        return False


def _defining_module(package: str, name: str) -> str | None:
    """The package module that defines ``package.name`` (a submodule, or the module a function or
    class re-exported by ``package`` comes from); None for a plain value of ``package`` itself."""
    sub = f"{package}.{name}"
    if _is_module(sub):
        return sub
    try:
        obj = getattr(importlib.import_module(package), name)
    except (ImportError, AttributeError):
        return None
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) and module.split(".")[0] == PACKAGE else None


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


@functools.cache
def module_code(name: str) -> tuple[str, tuple[str, ...]]:
    """(digest of the module's code without docstrings/comments, package modules it uses).

    An imported name counts by the module that defines it (``from dofcourse.subspace import
    Affine`` is ``dofcourse.subspace.affine``, not the package ``__init__`` and everything it
    re-exports); a package imported as a whole (``from dofcourse import subspace``) counts by the
    attributes the module reads from it (``subspace.sweep``), or as the whole package where the
    name is used otherwise."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot find the source of module {name}")
    source = Path(spec.origin).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imports: set[str] = set()
    bound: dict[str, str] = {}  # local name -> package module it names
    package = name if spec.submodule_search_locations else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == PACKAGE:
                    if a.asname:
                        bound[a.asname] = a.name
                    else:
                        imports.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                where = _defining_module(base, alias.name)
                if where is None:
                    imports.add(base)  # a constant of the package itself
                elif where == f"{base}.{alias.name}" and _is_package(where):
                    bound[alias.asname or alias.name] = where
                else:
                    imports.add(where)
    if bound:
        used: dict[str, set[str]] = {local: set() for local in bound}
        whole: set[str] = set()
        attribute_bases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in bound:
                    used[node.value.id].add(node.attr)
                    attribute_bases.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in bound and id(node) not in attribute_bases:
                whole.add(node.id)  # passed around or called as a whole: all of it
        for local, target in bound.items():
            if local in whole or not _is_package(target):
                imports.add(target)
            for attr in used[local]:
                imports.add(_defining_module(target, attr) or target)
    imports.discard(name)
    code = ast.dump(strip_docstrings(tree), include_attributes=False)
    return hashlib.sha256(code.encode()).hexdigest(), tuple(sorted(imports))


def _infrastructure(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in _INFRASTRUCTURE)


def closure(module: str) -> set[str]:
    """The package modules whose code a fingerprint of ``module`` covers (itself included)."""
    todo, done = [module], set()
    while todo:
        name = todo.pop()
        if name in done or _infrastructure(name):
            continue
        done.add(name)
        todo.extend(module_code(name)[1])
    return done


@functools.cache
def code_fingerprint(module: str) -> str:
    """Digest of the code of package module ``module`` and of every package module it uses,
    transitively (``dofcourse.experiment`` itself excluded; see :func:`closure`). Docstrings and
    comments do not count.
    """
    if not isinstance(module, str):
        raise TypeError(f"module must be a module's name such as 'dofcourse.stats', got {module!r}")
    h = hashlib.sha256()
    for name in sorted(closure(module)):
        h.update(f"{name}:{module_code(name)[0]};".encode())
    return h.hexdigest()[:16]
