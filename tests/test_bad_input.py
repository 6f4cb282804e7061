"""What indexing does with bad input: a wrong root, a damaged or foreign index, files it
cannot parse. Nothing here may crash; every refusal says what was wrong."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.facts import FileFacts
from indexer.model import SCHEMA_VERSION
from indexer.pipeline import GRAPH_FILE, STATE_FILE, IndexOptions, IndexReport, index_repository
from indexer.walk import MissingPathError, NotADirectoryPathError, WalkError

IndexDump = Callable[..., tuple[IndexReport, str]]


def test_missing_root_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-repo"
    with pytest.raises(MissingPathError, match=r"no-such-repo.*does not exist") as info:
        index_repository(missing, IndexOptions(db_dir=tmp_path / "db"))
    assert isinstance(info.value, WalkError)
    assert not (tmp_path / "db").exists()


def test_file_as_root_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(NotADirectoryPathError, match=r"app\.py.*is not a directory") as info:
        index_repository(tmp_path / "app.py", IndexOptions(db_dir=tmp_path / "db"))
    assert isinstance(info.value, WalkError)


def _set_state_meta(db: Path, key: str, value: object) -> None:
    with sqlite3.connect(db / STATE_FILE) as conn:
        updated = conn.execute("UPDATE meta SET value = ? WHERE key = ?",
                               (json.dumps(value), key)).rowcount
    conn.close()
    assert updated == 1, f"no {key!r} in the state's meta table"


def test_index_from_another_schema_version_is_rebuilt(pyrepo: Path, tmp_path: Path,
                                                      index_dump: IndexDump,
                                                      pyrepo_indexed: tuple[IndexReport, str]) -> None:
    index_dump(pyrepo, tmp_path / "db")
    _set_state_meta(tmp_path / "db", "schema_version", SCHEMA_VERSION + 1)
    report, text = index_dump(pyrepo, tmp_path / "db")
    assert report.mode == "full"
    assert report.rebuild_reason is not None
    assert f"schema version {SCHEMA_VERSION + 1}" in report.rebuild_reason
    assert text == pyrepo_indexed[1]
    again, _ = index_dump(pyrepo, tmp_path / "db")
    assert (again.mode, again.rebuild_reason) == ("unchanged", None)


def _damage(path: Path) -> None:
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                child.write_bytes(b"\x00garbage" * 512)
    else:
        path.write_bytes(b"this is not a database\x00" * 512)


def test_corrupted_graph_database_is_rebuilt(pyrepo: Path, tmp_path: Path, index_dump: IndexDump,
                                             pyrepo_indexed: tuple[IndexReport, str]) -> None:
    index_dump(pyrepo, tmp_path / "db")
    _damage(tmp_path / "db" / GRAPH_FILE)
    report, text = index_dump(pyrepo, tmp_path / "db")
    assert report.mode == "full"
    assert report.rebuild_reason
    assert text == pyrepo_indexed[1]


def test_missing_graph_database_is_rebuilt(pyrepo: Path, tmp_path: Path, index_dump: IndexDump,
                                           pyrepo_indexed: tuple[IndexReport, str]) -> None:
    index_dump(pyrepo, tmp_path / "db")
    (tmp_path / "db" / GRAPH_FILE).unlink()
    report, text = index_dump(pyrepo, tmp_path / "db")
    assert report.mode == "full"
    assert report.rebuild_reason
    assert text == pyrepo_indexed[1]


def test_corrupted_state_is_rebuilt(pyrepo: Path, tmp_path: Path, index_dump: IndexDump,
                                    pyrepo_indexed: tuple[IndexReport, str]) -> None:
    index_dump(pyrepo, tmp_path / "db")
    _damage(tmp_path / "db" / STATE_FILE)
    report, text = index_dump(pyrepo, tmp_path / "db")
    assert report.mode == "full"
    assert report.rebuild_reason and "state" in report.rebuild_reason
    assert text == pyrepo_indexed[1]


def test_oversize_file_is_skipped_with_reason(pyrepo: Path, tmp_path: Path,
                                              index_dump: IndexDump) -> None:
    big = pyrepo / "big.py"
    big.write_text("# padding\n" * 100 + "def unseen():\n    return 1\n", encoding="utf-8")
    size = big.stat().st_size
    report, text = index_dump(pyrepo, tmp_path / "db", max_file_bytes=size - 1)
    assert {"path": "big.py", "reason": f"too large: {size:,} bytes is over the {size - 1:,}-byte "
            "limit (raise WalkOptions.max_file_bytes to index it)"} in report.skipped
    assert "node big.py file lang=python status=skipped error=\"too large:" in text
    assert "big.py::unseen" not in text
    # every other file of the sample is smaller and still indexed
    assert "node pkg/core.py::Engine class" in text


def test_oversize_file_is_indexed_once_the_limit_is_raised(pyrepo: Path, tmp_path: Path,
                                                           index_dump: IndexDump) -> None:
    big = pyrepo / "big.py"
    big.write_text("def unseen():\n    return 1\n" + "# padding\n" * 100, encoding="utf-8")
    size = big.stat().st_size
    index_dump(pyrepo, tmp_path / "db", max_file_bytes=size - 1)
    report, text = index_dump(pyrepo, tmp_path / "db", max_file_bytes=size)
    assert "big.py::unseen" in text
    assert not [s for s in report.skipped if s["path"] == "big.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file_is_skipped_with_reason(pyrepo: Path, tmp_path: Path,
                                                index_dump: IndexDump) -> None:
    secret = pyrepo / "secret.py"
    secret.write_text("def hidden():\n    return 1\n", encoding="utf-8")
    secret.chmod(0)
    try:
        report, text = index_dump(pyrepo, tmp_path / "db")
    finally:
        secret.chmod(0o644)
    assert {"path": "secret.py", "reason": "unreadable: Permission denied"} in report.skipped
    assert "secret.py::hidden" not in text


def test_binary_and_partial_files_are_reported(pyrepo_indexed: tuple[IndexReport, str]) -> None:
    report, _ = pyrepo_indexed
    assert report.skipped == [{"path": "blob.py", "reason": "binary: NUL byte in the first 8192 bytes"}]
    assert report.partial == [{"path": "broken.py", "error": "1 syntax error(s), first at line 9"}]


def test_file_whose_extraction_fails_is_recorded_and_indexing_goes_on(
        pyrepo: Path, tmp_path: Path, index_dump: IndexDump, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer import extract

    real = extract.Extractor.extract

    def failing(self: extract.Extractor, path: str, source: bytes) -> FileFacts:
        if path == "pkg/paths.py":
            raise RuntimeError("boom")
        return real(self, path, source)

    monkeypatch.setattr(extract.Extractor, "extract", failing)
    report, text = index_dump(pyrepo, tmp_path / "db", workers=1)
    assert {"path": "pkg/paths.py", "reason": "extraction failed: RuntimeError: boom"} in report.skipped
    assert "node pkg/core.py::Engine class" in text
