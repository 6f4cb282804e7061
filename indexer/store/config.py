"""Which graph store an index lives in, and how to open it.

The embedded Kùzu store is the default: a file in the index directory, nothing to run.
Neo4j is chosen by ``--backend neo4j``, by ``REPOLENS_BACKEND=neo4j`` or by
``backend = "neo4j"`` in the repository's ``.repolens.toml``; its connection comes from
``REPOLENS_NEO4J_URI``, ``_USER``, ``_PASSWORD`` and ``_DATABASE`` (or ``[neo4j]`` in the
file, except the password, which is only ever read from the environment). One Neo4j database
holds many repositories, each under its own repository id: ``--repo-id``,
``REPOLENS_REPO_ID``, ``repo_id`` in the file, else derived from the git remote ``origin``
(``github.com/psf/requests``), else the directory name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.store.base import GraphStore, StoreError

CONFIG_FILE = ".repolens.toml"
BACKENDS = ("kuzu", "neo4j")
DEFAULT_NEO4J_URI = "bolt://localhost:7687"
DEFAULT_NEO4J_USER = "neo4j"
GRAPH_FILE = "graph.kuzu"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    backend: str = "kuzu"
    repo_id: str = ""
    neo4j_uri: str = DEFAULT_NEO4J_URI
    neo4j_user: str = DEFAULT_NEO4J_USER
    neo4j_password: str = ""
    neo4j_database: str | None = None

    def __repr__(self) -> str:  # never show the password
        return (f"StoreConfig(backend={self.backend!r}, repo_id={self.repo_id!r}, "
                f"neo4j_uri={self.neo4j_uri!r}, neo4j_user={self.neo4j_user!r}, "
                f"neo4j_database={self.neo4j_database!r})")

    def state_name(self) -> str:
        """The index-state file for this target: state follows the store it describes, so
        switching backends never confuses one with the other."""
        if self.backend == "kuzu":
            return "state.sqlite"
        target = f"{self.neo4j_uri}|{self.neo4j_database or ''}|{self.repo_id}"
        return f"state.neo4j.{hashlib.blake2b(target.encode(), digest_size=6).hexdigest()}.sqlite"

    def describe(self) -> str:
        if self.backend == "kuzu":
            return "kuzu (embedded)"
        return f"neo4j {self.neo4j_uri} database {self.neo4j_database or 'default'} repo {self.repo_id}"


def load_config(root: Path, *, backend: str | None = None, repo_id: str | None = None,
                environ: Mapping[str, str] | None = None) -> StoreConfig:
    """The store configuration for the repository at ``root``: explicit arguments first, then
    the environment, then ``root/.repolens.toml``, then defaults."""
    env = os.environ if environ is None else environ
    file: dict[str, object] = {}
    path = root / CONFIG_FILE
    if path.is_file():
        try:
            file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from exc
    neo = file.get("neo4j", {})
    if not isinstance(neo, dict):
        raise ValueError(f"{path}: [neo4j] must be a table")
    if "password" in neo:
        raise ValueError(f"{path}: do not store the Neo4j password in a file; set REPOLENS_NEO4J_PASSWORD")

    def pick(arg: str | None, env_key: str, value: object, default: str) -> str:
        return arg or env.get(env_key) or (str(value) if value else "") or default

    chosen = pick(backend, "REPOLENS_BACKEND", file.get("backend"), "kuzu").lower()
    if chosen not in BACKENDS:
        raise ValueError(f"unknown backend {chosen!r}; choose one of: {', '.join(BACKENDS)}")
    config = StoreConfig(
        backend=chosen,
        repo_id=pick(repo_id, "REPOLENS_REPO_ID", file.get("repo_id"), "") or default_repo_id(root),
        neo4j_uri=pick(None, "REPOLENS_NEO4J_URI", neo.get("uri"), DEFAULT_NEO4J_URI),
        neo4j_user=pick(None, "REPOLENS_NEO4J_USER", neo.get("user"), DEFAULT_NEO4J_USER),
        neo4j_password=env.get("REPOLENS_NEO4J_PASSWORD", ""),
        neo4j_database=pick(None, "REPOLENS_NEO4J_DATABASE", neo.get("database"), "") or None,
    )
    return config


def with_backend(config: StoreConfig, backend: str) -> StoreConfig:
    return replace(config, backend=backend)


_REMOTE = re.compile(r"^\s*url\s*=\s*(?P<url>\S+)\s*$")


def default_repo_id(root: Path) -> str:
    """``host/owner/name`` of the git remote ``origin`` when there is one, else the directory
    name: stable across clones, so a team's checkouts share one repository in Neo4j."""
    config = root / ".git" / "config"
    try:
        lines = config.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return root.resolve().name
    in_origin = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            in_origin = stripped.replace(" ", "") in ('[remote"origin"]',)
            continue
        m = _REMOTE.match(line)
        if in_origin and m:
            return normalise_remote(m.group("url"))
    return root.resolve().name


def normalise_remote(url: str) -> str:
    """``git@github.com:psf/requests.git`` and ``https://github.com/psf/requests`` → ``github.com/psf/requests``."""
    url = re.sub(r"^[a-z+]+://", "", url)
    url = re.sub(r"^[^@/]+@", "", url)
    url = url.replace(":", "/", 1) if re.match(r"^[^/]+:[^/\d]", url) else url
    return url.removesuffix(".git").rstrip("/")


def open_graph_store(config: StoreConfig, index_dir: Path, *, read_only: bool = False) -> GraphStore:
    """Open the configured store; StoreError (with what to do) when it cannot be reached."""
    if config.backend == "kuzu":
        from indexer.store.kuzu_store import KuzuStore

        return KuzuStore(index_dir / GRAPH_FILE, read_only=read_only)
    try:
        from indexer.store.neo4j_store import Neo4jStore
    except ImportError as exc:
        raise StoreError("the Neo4j backend needs the neo4j driver: pip install 'repolens[neo4j]'") from exc
    if not config.neo4j_password:
        raise StoreError("no Neo4j password: set REPOLENS_NEO4J_PASSWORD (and REPOLENS_NEO4J_URI, "
                         "REPOLENS_NEO4J_USER if not the defaults)")
    return Neo4jStore(config.neo4j_uri, config.neo4j_user, config.neo4j_password, repo=config.repo_id,
                      database=config.neo4j_database, read_only=read_only)
