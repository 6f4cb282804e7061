"""What a ``Cargo.toml`` says, for the Rust module system (``indexer.languages.rust``).

``read_cargo_toml`` is the manifest reader (plain data, as the index state keeps it);
``read_manifest`` turns that data into a ``Package`` (its crates' roots, library name and
path dependencies) and a ``Workspace`` (its members and shared dependencies); ``dependency_target``
says which package directory a dependency names.
"""

from __future__ import annotations

import posixpath
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from indexer.modules import join_path

_TARGET_TABLES = ("bin", "example", "test", "bench")
"""The arrays of tables of a ``Cargo.toml`` that declare crate roots besides the library."""
_DEPENDENCY_TABLES = ("dependencies", "dev-dependencies", "build-dependencies")


def read_cargo_toml(data: bytes) -> dict[str, object]:
    """What a ``Cargo.toml`` says about where its crates are and what they depend on, as plain
    data (what a field does not say is None, or empty):

    - ``package``: the package's name (None for a virtual workspace's manifest);
    - ``lib``: ``{"name", "path"}`` of ``[lib]``, None without it; ``bin``, ``example``,
      ``test``, ``bench``: lists of ``{"name", "path"}``, one per ``[[bin]]``, ...;
    - ``build``: the ``[package] build`` script's path;
    - ``workspace``: ``{"members", "exclude", "dependencies"}`` of ``[workspace]`` (globs, and
      the path dependencies of ``[workspace.dependencies]``), None without it;
    - ``dependencies``: the path dependencies of ``[dependencies]``, ``[dev-dependencies]``,
      ``[build-dependencies]`` and their ``[target.'cfg(..)'.*]`` forms, by their key as
      written (code names a renamed one by its key, ``-`` as ``_``): ``{"path", "package",
      "workspace"}``: the directory, the package a ``package =`` renames, and whether the
      dependency is ``{ workspace = true }`` (its path is then the workspace's). The first
      table to name a key wins.

    A value of the wrong type is left out, as if absent. Raises ValueError when the file is not
    UTF-8 or not TOML, saying where."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"Cargo.toml is not UTF-8: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"Cargo.toml is not valid TOML: {exc}") from exc
    package = _table(document, "package")
    lib = document.get("lib")
    workspace = document.get("workspace")
    targets = _table(document, "target").values()
    return {
        "package": _string(package, "name"),
        "lib": _name_and_path(lib) if isinstance(lib, dict) else None,
        **{kind: [_name_and_path(t) for t in _tables(document, kind)] for kind in _TARGET_TABLES},
        "build": _string(package, "build"),
        "workspace": {
            "members": _strings(workspace, "members"), "exclude": _strings(workspace, "exclude"),
            "dependencies": _path_dependencies([_table(workspace, "dependencies")]),
        } if isinstance(workspace, dict) else None,
        "dependencies": _path_dependencies([_table(document, name) for name in _DEPENDENCY_TABLES] + [
            _table(target, name) for target in targets for name in _DEPENDENCY_TABLES]),
    }


def _field(data: object, key: str) -> object:
    return data.get(key) if isinstance(data, dict) else None


def _table(data: object, key: str) -> dict[str, object]:
    value = _field(data, key)
    return value if isinstance(value, dict) else {}


def _list(data: object, key: str) -> list[object]:
    value = _field(data, key)
    return value if isinstance(value, list) else []


def _tables(data: object, key: str) -> list[dict[str, object]]:
    return [t for t in _list(data, key) if isinstance(t, dict)]


def _string(data: object, key: str) -> str | None:
    value = _field(data, key)
    return value if isinstance(value, str) else None


def _strings(data: object, key: str) -> list[str]:
    return [s for s in _list(data, key) if isinstance(s, str)]


def _name_and_path(table: dict[str, object]) -> dict[str, object]:
    return {"name": _string(table, "name"), "path": _string(table, "path")}


def _path_dependencies(tables: list[dict[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for table in tables:
        for key, spec in table.items():
            if key in found or not isinstance(spec, dict):
                continue  # a version string or a table already read
            path, inherited = _string(spec, "path"), spec.get("workspace") is True
            if path is not None or inherited:
                found[key] = {"path": path, "package": _string(spec, "package"), "workspace": inherited}
    return found


# -- the packages and workspaces the manifests describe ------------------------------------
@dataclass(frozen=True, slots=True)
class Dependency:
    key: str
    path: str | None
    """The dependency's directory, from the directory of the manifest naming it."""
    renamed: bool
    """``package =`` says which package it is: code names it by its key."""
    inherited: bool
    """``{ workspace = true }``: its path and name are in ``[workspace.dependencies]``."""


@dataclass(frozen=True, slots=True)
class Package:
    directory: str
    crate: str
    """The library's crate name: ``[lib] name``, else the package's name with ``-`` as ``_``."""
    library: str
    """The library's root: ``[lib] path``, else ``src/lib.rs`` (it may not exist)."""
    targets: tuple[str, ...]
    """The other crate roots it declares: ``[[bin]] path``, ... and ``build``."""
    dependencies: tuple[Dependency, ...]


@dataclass(frozen=True, slots=True)
class Workspace:
    directory: str
    members: tuple[str, ...]
    exclude: tuple[str, ...]
    dependencies: Mapping[str, Dependency]

    def below(self, directory: str) -> bool:
        """Whether ``directory`` is the workspace's or below it and not excluded (an
        ``exclude`` path excludes what is below it too)."""
        relative = _relative(directory, self.directory)
        if relative is None:
            return False
        parts = relative.split("/") if relative else []
        return not any(_glob(_parts(pattern), parts[:n]) for pattern in self.exclude for n in range(1, len(parts) + 1))

    def lists(self, directory: str) -> bool:
        """Whether ``members`` names the package in ``directory`` (the workspace's own is one)."""
        relative = _relative(directory, self.directory)
        if relative is None:
            return False
        return not relative or any(_glob(_parts(pattern), relative.split("/")) for pattern in self.members)


def read_manifest(path: str, data: object) -> tuple[Package | None, Workspace | None]:
    """The package and the workspace a ``Cargo.toml`` (``read_cargo_toml``'s data) declares."""
    directory = posixpath.dirname(path)
    package = workspace = None
    name = _string(data, "package")
    if name is not None:
        lib = _table(data, "lib")
        targets = [_string(t, "path") for kind in _TARGET_TABLES for t in _tables(data, kind)]
        package = Package(
            directory, (_string(lib, "name") or name).replace("-", "_"),
            join_path(directory, _string(lib, "path") or "src/lib.rs"),
            tuple(join_path(directory, t) for t in (*targets, _string(data, "build")) if t),
            tuple(_dependencies(directory, _table(data, "dependencies")).values()))
    declared = _field(data, "workspace")
    if isinstance(declared, dict):
        workspace = Workspace(directory, tuple(_strings(declared, "members")), tuple(_strings(declared, "exclude")),
                               _dependencies(directory, _table(declared, "dependencies")))
    return package, workspace


def _dependencies(directory: str, table: Mapping[str, object]) -> dict[str, Dependency]:
    found: dict[str, Dependency] = {}
    for key, spec in sorted(table.items()):
        path = _string(spec, "path")
        found[key] = Dependency(key, join_path(directory, path) if path is not None else None,
                                 _string(spec, "package") is not None, _field(spec, "workspace") is True)
    return found


def _relative(path: str, directory: str) -> str | None:
    """``path`` from ``directory`` (both from the repository root; ``""`` for the directory
    itself), None when not below it."""
    if path == directory or not directory:
        return "" if path == directory else path
    return path[len(directory) + 1:] if path.startswith(directory + "/") else None


def _parts(pattern: str) -> list[str]:
    return [p for p in posixpath.normpath(pattern).split("/") if p not in ("", ".")]


def _glob(pattern: list[str], parts: list[str]) -> bool:
    """Whether path ``parts`` match glob ``pattern`` parts: ``*`` within a part, ``**`` any parts."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_glob(pattern[1:], parts[n:]) for n in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _glob(pattern[1:], parts[1:])


def dependency_target(dependency: Dependency, workspace: Workspace | None) -> tuple[str | None, bool]:
    """A dependency's directory (None when it has none) and whether code names it by its key."""
    if not dependency.inherited:
        return dependency.path, dependency.renamed
    declared = workspace.dependencies.get(dependency.key) if workspace is not None else None
    if declared is None:
        return None, False
    return declared.path, dependency.renamed or declared.renamed
