"""What a file is to its project (its role), decided over the whole repository: test folders
that their name does not give away, copied third-party packages, documentation and examples;
and what localization and the repository map make of it."""

from __future__ import annotations

from pathlib import Path

from indexer.pipeline import IndexOptions
from indexer.search.units import CodeRole, classify_paths
from indexer.update import SearchOptions, update_index
from queries.localize import localize
from queries.repomap import repo_map


def write(root: Path, files: dict[str, str]) -> list[str]:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return sorted(files)


def test_a_folder_of_test_files_is_tests_with_everything_under_it(tmp_path: Path) -> None:
    paths = write(tmp_path, {
        "src/_pytest/python.py": "", "src/_pytest/__init__.py": "",
        "testing/test_collection.py": "", "testing/test_python.py": "", "testing/test_runner.py": "",
        "testing/test_main.py": "", "testing/conftest.py": "", "testing/helpers.py": "",
        "testing/python/fixtures.py": "",
        # a public testing package of a library: one test file among its helpers
        "numpy/testing/utils.py": "", "numpy/testing/overrides.py": "", "numpy/testing/test_self.py": "",
    })
    roles = classify_paths(tmp_path, paths)
    assert {p for p, r in roles.items() if r == CodeRole.TESTS} == {
        "testing/test_collection.py", "testing/test_python.py", "testing/test_runner.py", "testing/test_main.py",
        "testing/conftest.py",
        "testing/helpers.py", "testing/python/fixtures.py", "numpy/testing/test_self.py"}
    assert roles["numpy/testing/utils.py"] == roles["src/_pytest/python.py"] == CodeRole.CODE


def test_a_nested_package_with_its_own_version_is_vendored(tmp_path: Path) -> None:
    paths = write(tmp_path, {
        "requests/__init__.py": '__version__ = "2.0"\n',  # the project's own version: not nested
        "requests/models.py": "",
        "requests/packages/__init__.py": "",
        "requests/packages/urllib3/__init__.py": '"""urllib3"""\n__version__: str = "1.5"\n',
        "requests/packages/urllib3/util/url.py": "",
        "requests/packages/urllib3/tests/test_url.py": "",
        # a licence for a grammar does not make a copy of a package
        "sympy/__init__.py": "", "sympy/parsing/__init__.py": "",
        "sympy/parsing/latex/__init__.py": "from ._parse import parse_latex\n",
        "sympy/parsing/latex/LICENSE.txt": "MIT", "sympy/parsing/latex/_parse.py": "",
        # a folder named like a version elsewhere is not a package
        "tools/__init__.py": '__version__ = "0.1"\n',
    })
    roles = classify_paths(tmp_path, [p for p in paths if p.endswith(".py")])
    assert {p for p, r in roles.items() if r == CodeRole.VENDORED} == {
        "requests/packages/urllib3/__init__.py", "requests/packages/urllib3/util/url.py"}
    assert roles["requests/packages/urllib3/tests/test_url.py"] == CodeRole.TESTS  # its own path says so first
    assert roles["sympy/parsing/latex/_parse.py"] == roles["requests/__init__.py"] == CodeRole.CODE
    assert roles["tools/__init__.py"] == CodeRole.CODE


def test_an_unreadable_init_is_not_a_sign(tmp_path: Path) -> None:
    paths = write(tmp_path, {"a/__init__.py": "", "a/b/x.py": ""})
    (tmp_path / "a" / "b" / "__init__.py").mkdir()  # not a regular file
    roles = classify_paths(tmp_path, [*paths, "a/b/__init__.py"])
    assert roles["a/b/x.py"] == CodeRole.CODE


def test_localize_and_the_map_rank_the_projects_own_code_first(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    body = ('def parse_header(value):\n    """Parse an HTTP header value into its parts."""\n'
            '    return [part.strip() for part in value.split(";")]\n')
    write(root, {
        "web/__init__.py": "", "web/headers.py": body,
        "web/packages/__init__.py": "",
        "web/packages/copied/__init__.py": '__version__ = "3.1"\n', "web/packages/copied/headers.py": body,
        "docs/examples/headers.py": body,
        "testing/test_a.py": "def test_a():\n    pass\n", "testing/test_b.py": "def test_b():\n    pass\n",
        "testing/test_c.py": "def test_c():\n    pass\n", "testing/test_d.py": "def test_d():\n    pass\n",
        "testing/headers.py": body,
    })
    _, ctx = update_index(root, IndexOptions(db_dir=tmp_path / "db"), SearchOptions(dense=False))
    assert ctx is not None
    result = localize(ctx, "parse_header splits an HTTP header value into its parts wrongly")
    assert result.found_files[0] == "web/headers.py"
    words = {h.path: h.evidence[-1] for h in result.files}
    assert words["web/packages/copied/headers.py"] == "vendored code, ranked lower"
    assert words["docs/examples/headers.py"] == "example code, ranked lower"
    assert words["testing/headers.py"] == "test code, ranked lower"
    shown = repo_map(ctx, budget_tokens=4096)
    assert "web/headers.py" in shown.files and not {"testing/headers.py", "docs/examples/headers.py",
                                                    "web/packages/copied/headers.py"} & set(shown.files)
    assert any("vendored" in note and "test" in note for note in shown.notes)
