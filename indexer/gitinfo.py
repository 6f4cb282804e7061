"""What git says about a checkout, read from ``.git`` directly (no git binary needed)."""

from __future__ import annotations

from pathlib import Path


def git_commit(root: Path) -> str | None:
    """The commit checked out in ``root``, read from ``.git`` without running git."""
    git = root / ".git"
    try:
        if git.is_file():
            git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head[4:].strip()
        ref_file = git / ref
        if ref_file.exists():
            return ref_file.read_text().strip()
        packed = git / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except (OSError, IndexError):
        return None
    return None
