"""Golden-file comparison shared by the graph tests.

``REPOLENS_UPDATE_GOLDEN=1 pytest`` rewrites the golden files; review the diff before committing.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("REPOLENS_UPDATE_GOLDEN") == "1"


def check_golden(text: str, name: str) -> None:
    """Fail with a unified diff when ``text`` differs from ``golden/<name>``."""
    golden = GOLDEN_DIR / name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True),
            fromfile=str(golden), tofile="indexed now"))
        pytest.fail("the graph differs from the golden dump; if the change is intended, rerun "
                    f"with REPOLENS_UPDATE_GOLDEN=1 and review the diff:\n{diff}", pytrace=False)
