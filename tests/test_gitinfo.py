"""The commit checked out in a repository, from real git repositories: git's answer and the
``.git`` file reader's agree on every layout, and a cached answer never hides a checkout."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer import gitinfo
from indexer.gitinfo import GitUnavailable, commit_from_files, commit_from_git, git_commit

HOUR_NS = 3600 * 10**9
GIT_ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENVIRONMENT}, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(path: Path, commits: int = 1) -> Path:
    git(path.parent, "init", "-q", "-b", "main", path.name)
    for n in range(commits):
        commit(path, f"commit {n}")
    return path


def age(path: Path) -> None:
    """Every file under ``path`` an hour old, so an answer read from them may be reused."""
    past = time.time_ns() - HOUR_NS
    for item in [path, *path.rglob("*")]:
        os.utime(item, ns=(past, past), follow_symlinks=False)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    gitinfo._cache.clear()
    yield
    gitinfo._cache.clear()


# Each layout builds a repository under a tmp dir and returns (root, the expected commit).
Layout = Callable[[Path], tuple[Path, str | None]]


def branch(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    return repo, git(repo, "rev-parse", "HEAD")


def detached(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo", commits=2)
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", "--detach", first)
    return repo, first


def packed_refs_only(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    return repo, git(repo, "rev-parse", "HEAD")


def symbolic_ref_chain(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/alias")
    return repo, git(repo, "rev-parse", "HEAD")


def symbolic_ref_chain_too_long(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    target = "refs/heads/main"
    for n in range(gitinfo.SYMREF_MAX_DEPTH):  # HEAD and five links: git gives up after five reads
        git(repo, "symbolic-ref", f"refs/heads/link{n}", target)
        target = f"refs/heads/link{n}"
    git(repo, "symbolic-ref", "HEAD", target)
    return repo, None


def linked_worktree_on_a_branch(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    git(repo, "worktree", "add", "-q", "-b", "fëature", "../wt")
    return tmp / "wt", commit(tmp / "wt", "on the worktree's branch")


def linked_worktree_on_a_packed_branch(tmp: Path) -> tuple[Path, str | None]:
    root, expected = linked_worktree_on_a_branch(tmp)
    git(tmp / "repo", "pack-refs", "--all")
    return root, expected


def linked_worktree_detached(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo", commits=2)
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "worktree", "add", "-q", "--detach", "../wt", first)
    return tmp / "wt", first


def subdirectory(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    (repo / "pkg" / "sub").mkdir(parents=True)
    return repo / "pkg" / "sub", git(repo, "rev-parse", "HEAD")


def subdirectory_of_a_linked_worktree(tmp: Path) -> tuple[Path, str | None]:
    root, expected = linked_worktree_on_a_branch(tmp)
    (root / "pkg").mkdir()
    return root / "pkg", expected


def subdirectory_with_an_empty_dot_git(tmp: Path) -> tuple[Path, str | None]:
    root, expected = subdirectory(tmp)
    (root / ".git").mkdir()  # not a git directory: git looks further up
    return root, expected


def relative_gitdir_file(tmp: Path) -> tuple[Path, str | None]:
    """As a submodule's checkout: ``.git`` is a file naming the git dir by a relative path."""
    repo = new_repo(tmp / "repo")
    (repo / ".git").rename(tmp / "store.git")
    (repo / ".git").write_text("gitdir: ../store.git\n")
    return repo, git(repo, "rev-parse", "HEAD")


def head_outside_the_git_dir(tmp: Path) -> tuple[Path, str | None]:
    repo = new_repo(tmp / "repo")
    (tmp / "outside").write_text(git(repo, "rev-parse", "HEAD") + "\n")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/../../../outside\n")
    return repo, None


def no_git(tmp: Path) -> tuple[Path, str | None]:
    (tmp / "plain").mkdir()
    return tmp / "plain", None


def unborn_branch(tmp: Path) -> tuple[Path, str | None]:
    return new_repo(tmp / "repo", commits=0), None


def dangling_gitdir_file(tmp: Path) -> tuple[Path, str | None]:
    (tmp / "pruned").mkdir()
    (tmp / "pruned" / ".git").write_text(f"gitdir: {tmp / 'repo' / '.git' / 'worktrees' / 'gone'}\n")
    return tmp / "pruned", None


LAYOUTS: list[Layout] = [
    branch, detached, packed_refs_only, symbolic_ref_chain, symbolic_ref_chain_too_long,
    linked_worktree_on_a_branch, linked_worktree_on_a_packed_branch, linked_worktree_detached, subdirectory,
    subdirectory_of_a_linked_worktree, subdirectory_with_an_empty_dot_git, relative_gitdir_file,
    head_outside_the_git_dir, no_git, unborn_branch, dangling_gitdir_file,
]


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    if commit_from_git(tmp_path) is not None:
        pytest.skip("the tmp dir is inside a git checkout")
    return tmp_path


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.__name__)
def test_git_and_the_file_reader_agree(tmp: Path, layout: Layout) -> None:
    root, expected = layout(tmp)
    assert commit_from_git(root) == expected
    assert commit_from_files(root) == expected
    assert git_commit(root) == expected


def test_a_linked_worktree_reads_its_own_branch_not_the_main_checkout(tmp: Path) -> None:
    root, expected = linked_worktree_on_a_branch(tmp)
    assert expected != git(tmp / "repo", "rev-parse", "HEAD")
    assert git_commit(root) == expected


@pytest.mark.parametrize("content", ["garbage\n", "gitdir:\n", "", "gitdir: \0\n"])
def test_a_corrupt_dot_git_file_reads_as_no_commit(tmp: Path, content: str) -> None:
    root = tmp / "corrupt"
    root.mkdir()
    (root / ".git").write_text(content)
    with contextlib.suppress(GitUnavailable):  # git may refuse the file outright: the reader answers
        assert commit_from_git(root) is None
    assert commit_from_files(root) is None
    assert git_commit(root) is None


def test_a_missing_root_reads_as_no_commit(tmp: Path) -> None:
    assert commit_from_files(tmp / "missing") is None
    assert git_commit(tmp / "missing") is None


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_the_file_reader_does_not_block_on_a_fifo_ref(tmp: Path) -> None:
    repo = new_repo(tmp / "repo")
    (repo / ".git" / "refs" / "heads" / "main").unlink()
    os.mkfifo(repo / ".git" / "refs" / "heads" / "main")
    assert commit_from_files(repo) is None


def test_without_git_the_file_reader_answers(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, expected = linked_worktree_on_a_packed_branch(tmp)
    monkeypatch.setattr(gitinfo, "_git_binary", lambda: None)
    with pytest.raises(GitUnavailable):
        commit_from_git(root)
    assert git_commit(root) == expected


def test_the_servers_own_git_environment_does_not_leak_in(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, expected = branch(tmp)
    other = new_repo(tmp / "other", commits=2)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='false'")
    assert commit_from_git(root) == expected


@pytest.mark.skipif(sys.platform == "win32", reason="sh")
def test_an_untrusted_repositorys_config_runs_nothing(tmp: Path) -> None:
    """A lazy fetch from a promisor remote runs its transport: here an ``ext::`` command, allowed
    by the repository's own config, for a HEAD whose commit is missing."""
    repo = new_repo(tmp / "repo", commits=0)
    marker = tmp / "ran"
    hostile = {
        "core.repositoryformatversion": "1", "extensions.partialClone": "origin",
        "remote.origin.promisor": "true", "remote.origin.url": f"ext::sh -c touch% {marker}",
        "protocol.allow": "always", "protocol.ext.allow": "always",
        "core.fsmonitor": f"touch {marker}; false", "core.hooksPath": str(tmp),
    }
    for name, value in hostile.items():
        git(repo, "config", name, value)
    missing = "0123456789abcdef0123456789abcdef01234567"
    (repo / ".git" / "refs" / "heads" / "main").write_text(missing + "\n")
    assert commit_from_git(repo) == missing
    assert git_commit(repo) == missing
    assert not marker.exists()


def counting_git(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = gitinfo.commit_from_git

    def counted(root: Path) -> str | None:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(gitinfo, "commit_from_git", counted)
    return calls


def test_a_repeated_answer_is_cached_and_a_checkout_is_seen_at_once(
        tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, first = linked_worktree_on_a_branch(tmp)
    age(tmp)
    calls = counting_git(monkeypatch)
    assert [git_commit(root) for _ in range(3)] == [first] * 3
    assert len(calls) == 1

    second = commit(root, "another")
    assert git_commit(root) == second
    git(root, "checkout", "-q", "--detach", "HEAD~1")
    assert git_commit(root) == first
    git(root, "checkout", "-q", "fëature")
    assert git_commit(root) == second
    git(root, "reset", "-q", "--hard", "HEAD~1")
    assert git_commit(root) == first
    git(tmp / "repo", "pack-refs", "--all")
    assert git_commit(root) == first

    age(tmp)
    calls.clear()
    assert [git_commit(root) for _ in range(3)] == [first] * 3
    assert len(calls) == 1


def test_a_ref_rewritten_under_its_old_mtime_is_seen(tmp: Path) -> None:
    root, first = branch(tmp)
    second = commit(root, "second")
    git(root, "reset", "-q", "--hard", first)
    age(tmp)
    assert git_commit(root) == first
    ref = root / ".git" / "refs" / "heads" / "main"
    before = ref.stat()
    git(root, "update-ref", "refs/heads/main", second)
    os.utime(ref, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size and mtime: inode and ctime differ
    assert git_commit(root) == second


def test_a_new_repository_in_a_subdirectory_is_seen(tmp: Path) -> None:
    root, outer = subdirectory(tmp)
    age(tmp)
    assert git_commit(root) == outer
    inner = commit(new_repo(root, commits=0), "inner")
    assert git_commit(root) == inner
