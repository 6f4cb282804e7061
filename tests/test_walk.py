"""Tests for ``indexer.walk``: real trees built in ``tmp_path``, no mocks."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from indexer.languages import build_outputs
from indexer.walk import (
    MissingPathError,
    NotADirectoryPathError,
    WalkedFile,
    WalkError,
    WalkOptions,
    read_source,
    walk_repository,
)

PY = {".py": "python"}


def make_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``; return ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def paths(root: Path, languages: Mapping[str, str] = PY,
          options: WalkOptions | None = None) -> list[str]:
    return [f.path for f in walk_repository(root, languages, options or WalkOptions())]


def walked(root: Path, rel: str) -> WalkedFile:
    (found,) = [f for f in walk_repository(root, PY) if f.path == rel]
    return found


# --- ignore rules -------------------------------------------------------------------------


def test_nested_gitignore_applies_relative_to_its_directory_with_negation(
        tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".gitignore": "generated_*.py\n/top_only.py\nsecret/\n/vendor/*\n!/vendor/ours/\n",
        "a.py": "",
        "top_only.py": "",
        "sub/top_only.py": "",            # '/top_only.py' is anchored to the root
        "generated_x.py": "",
        "sub/.gitignore": "!generated_keep.py\nlocal.py\n",
        "sub/generated_keep.py": "",       # re-included by the nested negation
        "sub/generated_other.py": "",
        "sub/local.py": "",
        "local.py": "",                    # a nested rule never reaches upwards
        "secret/s.py": "",
        "sub/secret/s.py": "",            # 'secret/' has no inner slash: matches at any depth
        "vendor/theirs/t.py": "",
        "vendor/ours/o.py": "",            # directory re-included by '!/vendor/ours/'
    })
    assert paths(tmp_path) == [
        "a.py", "local.py", "sub/generated_keep.py", "sub/top_only.py", "vendor/ours/o.py"]


def test_file_inside_ignored_directory_cannot_be_reincluded(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".gitignore": "secret/\n!secret/keep.py\n",
        "secret/keep.py": "",
        "open.py": "",
    })
    assert paths(tmp_path) == ["open.py"]


def test_directory_only_pattern_does_not_match_a_file(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".gitignore": "notes.py/\n",
        "notes.py": "",                    # a file: kept
        "pkg/notes.py/inner.py": "",       # a directory called notes.py: ignored
    })
    assert paths(tmp_path) == ["notes.py"]


def test_gitignore_beats_info_exclude(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".git/info/exclude": "*_gen.py\n",
        ".gitignore": "!keep_gen.py\n",
        "keep_gen.py": "",
        "drop_gen.py": "",
        "plain.py": "",
    })
    assert paths(tmp_path) == ["keep_gen.py", "plain.py"]


def test_use_gitignore_false_ignores_gitignore_but_keeps_defaults(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".gitignore": "ignored.py\n",
        ".git/info/exclude": "excluded.py\n",
        "ignored.py": "",
        "excluded.py": "",
        "node_modules/m.py": "",
    })
    assert paths(tmp_path, options=WalkOptions(use_gitignore=False)) == [
        "excluded.py", "ignored.py"]


def test_extra_ignores_beat_gitignore_and_can_reinclude_defaults(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".gitignore": "!tests/\n",
        "tests/test_a.py": "",
        "build/script.py": "",
        "main.py": "",
    })
    options = WalkOptions(extra_ignores=("tests/", "!build/"))
    assert paths(tmp_path, options=options) == ["build/script.py", "main.py"]


def test_invalid_extra_ignore_raises_walk_error(tmp_path: Path) -> None:
    with pytest.raises(WalkError, match=r"extra_ignores"):
        walk_repository(tmp_path, PY, WalkOptions(extra_ignores=("\\",)))


def test_invalid_gitignore_line_is_skipped_with_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_tree(tmp_path, {".gitignore": "\\\ndrop.py\n", "drop.py": "", "keep.py": ""})
    with caplog.at_level(logging.WARNING, logger="indexer.walk"):
        assert paths(tmp_path) == ["keep.py"]
    assert "invalid pattern" in caplog.text


def test_default_ignores(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        ".git/hooks/h.py": "",
        ".hg/h.py": "",
        ".svn/s.py": "",
        "node_modules/pkg/m.py": "",
        "pkg/__pycache__/c.py": "",
        ".repolens/r.py": "",
        ".tox/py311/t.py": "",
        ".nox/n.py": "",
        ".mypy_cache/m.py": "",
        ".pytest_cache/p.py": "",
        ".ruff_cache/r.py": "",
        "repolens.egg-info/e.py": "",
        ".eggs/e.py": "",
        "lib/site-packages/s.py": "",
        ".venv/lib/v.py": "",
        "venv/lib/v.py": "",
        "my-env-2/pyvenv.cfg": "home = /usr/bin\n",   # a virtualenv under an arbitrary name
        "my-env-2/lib/python3.11/x.py": "",
        "my-env-2/bin/activate_this.py": "",
        "build/b.py": "",
        "dist/d.py": "",
        "pkg/build/b.py": "",                        # build/ and dist/ only at the root
        "pkg/dist/d.py": "",
        "pkg/core.py": "",
    })
    assert paths(tmp_path) == ["pkg/build/b.py", "pkg/core.py", "pkg/dist/d.py"]


# --- selection, order, symlinks -----------------------------------------------------------


def test_extension_map_selects_and_labels_files(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "A.PY": "x = 1\n",
        "types.d.ts": "export {};\n",
        "README.md": "# hi\n",
        "Makefile": "all:\n",
    })
    files = list(walk_repository(tmp_path, {".py": "python", ".ts": "typescript"}))
    assert [(f.path, f.language, f.size) for f in files] == [
        ("A.PY", "python", 6), ("types.d.ts", "typescript", 11)]
    assert files[0].abspath == str(tmp_path / "A.PY")


def test_output_is_sorted_by_path_string(tmp_path: Path) -> None:
    make_tree(tmp_path, {name: "" for name in
                         ["z/a.py", "a/b.py", "a.py", "a-b.py", "B.py", "a/a/z.py"]})
    result = paths(tmp_path)
    assert result == ["B.py", "a-b.py", "a.py", "a/a/z.py", "a/b.py", "z/a.py"]
    assert result == paths(tmp_path)


def test_symlinks(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {"real.py": "x = 1\n", "pkg/mod.py": ""})
    outside = make_tree(tmp_path / "outside", {"evil.py": "boom\n", "lib/o.py": ""})
    (repo / "inside_link.py").symlink_to(repo / "real.py")
    (repo / "escape.py").symlink_to(outside / "evil.py")
    (repo / "relative_escape.py").symlink_to(Path("..") / "outside" / "evil.py")
    (repo / "outside_dir").symlink_to(outside / "lib", target_is_directory=True)
    (repo / "pkg_again").symlink_to(repo / "pkg", target_is_directory=True)
    (repo / "dir_link.py").symlink_to(repo / "pkg", target_is_directory=True)
    (repo / "dangling.py").symlink_to(repo / "missing.py")
    (repo / "loop.py").symlink_to(repo / "loop.py")

    files = {f.path: f for f in walk_repository(repo, PY)}
    assert sorted(files) == ["inside_link.py", "pkg/mod.py", "real.py"]
    assert files["inside_link.py"].size == 6
    assert read_source(files["inside_link.py"]).data == b"x = 1\n"


def test_fifo_is_not_yielded(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.py": ""})
    os.mkfifo(tmp_path / "pipe.py")
    assert paths(tmp_path) == ["a.py"]


def test_missing_root_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(MissingPathError, match=r"nope.*does not exist"):
        walk_repository(missing, PY)
    assert issubclass(MissingPathError, ValueError)


def test_file_root_raises(tmp_path: Path) -> None:
    file = make_tree(tmp_path, {"f.py": ""}) / "f.py"
    with pytest.raises(NotADirectoryPathError, match=r"f\.py.*not a directory"):
        walk_repository(file, PY)


def test_keys_neither_extension_nor_file_name_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(WalkError, match=r"an extension \('\.py'\) or a file name \('go\.mod'\), got \['a/go\.mod'\]"):
        walk_repository(tmp_path, {"a/go.mod": "go"})


def test_a_file_name_key_finds_that_file_alone(tmp_path: Path) -> None:
    make_tree(tmp_path, {"go.mod": "module x\n", "sub/go.mod": "module y\n", "a.mod": "", "main.go": ""})
    found = {f.path: f.language for f in walk_repository(tmp_path, {".go": "go", "go.mod": "go"})}
    assert found == {"go.mod": "go", "sub/go.mod": "go", "main.go": "go"}


def test_negative_max_file_bytes_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_file_bytes"):
        WalkOptions(max_file_bytes=-1)


# --- read_source --------------------------------------------------------------------------


def read(tmp_path: Path, content: bytes, max_file_bytes: int = 1_000_000) -> tuple[
        bytes | None, str | None, str | None]:
    make_tree(tmp_path, {"f.py": content})
    result = read_source(walked(tmp_path, "f.py"), max_file_bytes)
    return result.data, result.skip_reason, result.note


def test_utf8_is_returned_unchanged(tmp_path: Path) -> None:
    content = "name = 'café'\r\nx = 1\n".encode()
    assert read(tmp_path, content) == (content, None, None)


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    assert read(tmp_path, b"\xef\xbb\xbfx = 1\n") == (b"x = 1\n", None, None)


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    data, reason, _ = read(tmp_path, b"PK\x03\x04\x00\x00rest")
    assert data is None
    assert reason is not None and reason.startswith("binary")


def test_nul_after_first_8_kib_is_not_binary(tmp_path: Path) -> None:
    content = b"#" * 8192 + b"\x00\n"
    assert read(tmp_path, content) == (content, None, None)


def test_oversize_file_is_skipped_with_size_limit_and_option(tmp_path: Path) -> None:
    data, reason, _ = read(tmp_path, b"x" * 2000, max_file_bytes=1000)
    assert data is None
    assert reason is not None
    assert "2,000 bytes" in reason and "1,000-byte limit" in reason
    assert "max_file_bytes" in reason


def test_file_exactly_at_limit_is_read(tmp_path: Path) -> None:
    assert read(tmp_path, b"x" * 1000, max_file_bytes=1000) == (b"x" * 1000, None, None)


def test_coding_cookie_is_honoured(tmp_path: Path) -> None:
    # 0x80 is a C1 control in latin-1 but '€' in cp1252: the cookie must win.
    content = b"# -*- coding: latin-1 -*-\nname = '\xe9\x80'\n"
    data, reason, note = read(tmp_path, content)
    assert reason is None
    assert data == content.decode("latin-1").encode("utf-8")
    assert data is not None and "\u0080".encode() in data
    assert note == "not valid UTF-8; decoded as latin-1 per its coding cookie"


def test_coding_cookie_on_second_line_after_shebang(tmp_path: Path) -> None:
    content = b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\ns = '\xa4'\n"
    data, _, note = read(tmp_path, content)
    assert data is not None and "s = '€'".encode() in data
    assert note is not None and "iso-8859-15" in note


def test_cookie_after_code_line_is_ignored(tmp_path: Path) -> None:
    content = b"x = 1\n# coding: latin-1\ns = '\x80'\n"
    data, _, note = read(tmp_path, content)
    assert data is not None and "'€'".encode() in data
    assert note == "not valid UTF-8; decoded as cp1252"


def test_no_cookie_falls_back_to_cp1252_keeping_line_endings(tmp_path: Path) -> None:
    content = b"s = '\x93quoted\x94'\r\nx = 1\r\n"
    data, reason, note = read(tmp_path, content)
    assert reason is None
    assert data == "s = '\u201cquoted\u201d'\r\nx = 1\r\n".encode()
    assert note == "not valid UTF-8; decoded as cp1252"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    data, _, note = read(tmp_path, b"s = '\x81'\n")
    assert data == "s = '\u0081'\n".encode()
    assert note == "not valid UTF-8; decoded as latin-1"


def test_unknown_cookie_falls_back_and_says_so(tmp_path: Path) -> None:
    data, _, note = read(tmp_path, b"# coding: no-such-codec\ns = '\xe9'\n")
    assert data is not None and "s = 'é'".encode() in data
    assert note == ("not valid UTF-8; decoded as cp1252 "
                    "(coding cookie 'no-such-codec' did not fit)")


@pytest.mark.timeout(10, func_only=True)
def test_a_named_pipe_as_git_exclude_file_is_passed_by(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_tree(tmp_path, {"a.py": "x = 1\n", ".git/info/.keep": ""})
    os.mkfifo(tmp_path / ".git" / "info" / "exclude")
    with caplog.at_level(logging.WARNING, logger="indexer.walk"):
        assert paths(tmp_path) == ["a.py"]
    assert "it is a named pipe (FIFO)" in caplog.text


def test_directory_named_like_a_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    fake = WalkedFile(path="pkg.py", abspath=str(tmp_path / "pkg.py"), size=0,
                      language="python")
    result = read_source(fake)
    assert result.data is None
    assert result.skip_reason == "not a regular file: a directory"


@pytest.mark.timeout(10, func_only=True)
def test_file_replaced_by_a_named_pipe_after_walk_is_not_read(tmp_path: Path) -> None:
    """A FIFO blocks whoever opens it for reading until a writer comes: never opened so."""
    make_tree(tmp_path, {"pipe.py": "x = 1\n"})
    file = walked(tmp_path, "pipe.py")
    (tmp_path / "pipe.py").unlink()
    os.mkfifo(tmp_path / "pipe.py")
    result = read_source(file)
    assert (result.data, result.skip_reason) == (None, "not a regular file: a named pipe (FIFO)")
    assert paths(tmp_path) == [], "the walk passes a named pipe by"


def test_file_deleted_after_walk_is_unreadable(tmp_path: Path) -> None:
    make_tree(tmp_path, {"gone.py": "x = 1\n"})
    file = walked(tmp_path, "gone.py")
    (tmp_path / "gone.py").unlink()
    assert read_source(file).skip_reason == "unreadable: No such file or directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied_is_unreadable(tmp_path: Path) -> None:
    make_tree(tmp_path, {"locked.py": "x = 1\n"})
    file = walked(tmp_path, "locked.py")
    (tmp_path / "locked.py").chmod(0)
    try:
        assert read_source(file).skip_reason == "unreadable: Permission denied"
    finally:
        (tmp_path / "locked.py").chmod(0o644)


def test_a_build_output_is_walked_where_builds_write_it_even_when_ignored(tmp_path: Path) -> None:
    languages = {".c": "c", "compile_commands.json": "c"}
    outputs = build_outputs()
    assert outputs[:2] == ("compile_commands.json", "build/compile_commands.json")  # the C spec's

    def found(walk_languages: Mapping[str, str], options: WalkOptions | None = None) -> list[str]:
        return [f.path for f in walk_repository(tmp_path, walk_languages, options or WalkOptions(),
                                                build_outputs=outputs)]

    make_tree(tmp_path, {"a.c": "", "build/compile_commands.json": "[]", "build/gen.c": "",
                         "sub/build/compile_commands.json": "[]"})
    # a root build/ is not walked, but its compilation database is read; nothing else of it is
    assert found(languages) == ["a.c", "build/compile_commands.json", "sub/build/compile_commands.json"]
    assert paths(tmp_path, languages) == ["a.c", "sub/build/compile_commands.json"]  # none asked for
    # a .gitignore listing it (it is generated) does not hide it; the root one comes first
    make_tree(tmp_path, {".gitignore": "compile_commands.json\n", "compile_commands.json": "[]"})
    assert found(languages) == ["a.c", "compile_commands.json"]
    # the user's own ignores do
    assert found(languages, WalkOptions(extra_ignores=("compile_commands.json",))) == ["a.c"]
    # and without a language for its name it is no file to index
    assert found({".c": "c"}) == ["a.c"]


def test_a_manifest_is_read_up_to_its_own_limit(tmp_path: Path) -> None:
    big = "[" + ",".join(['{"directory": "/b", "file": "a.c", "arguments": ["cc", "-Iinclude"]}'] * 40) + "]"
    make_tree(tmp_path, {"compile_commands.json": big, "big.c": "int x;\n" * 400})
    files = {f.path: f for f in walk_repository(tmp_path, {".c": "c", "compile_commands.json": "c"})}
    assert files["compile_commands.json"].manifest and not files["big.c"].manifest
    limit = 1000  # smaller than both files
    assert read_source(files["compile_commands.json"], limit).data == big.encode()
    assert read_source(files["big.c"], limit).skip_reason is not None
