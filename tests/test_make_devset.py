"""A dev set from real fix commits of a small git repository: the text is the message, the
base the parent, the gold the definitions the fix changed (as bench entities)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.make_devset import main

CART_V1 = """export class Cart {
  constructor(items) {
    this.items = items;
  }

  total() {
    let sum = 0;
    for (const item of this.items) {
      sum += item.price;
    }
    return sum;
  }
}

export function formatPrice(value) {
  function pad(n) {
    return String(n).padStart(2, "0");
  }
  return `${Math.floor(value)}.${pad(value % 100)}`;
}
"""


def commit(work: Path, message: str, files: dict[str, str]) -> str:
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text, encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message], cwd=work,
                   check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_fix_commits_become_instances(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "shop"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    base = commit(work, "initial", {"src/cart.js": CART_V1, "README.md": "shop\n"})
    fixed_total = CART_V1.replace("sum += item.price;", "sum += item.price * item.quantity;")
    fix1 = commit(work, "fix(cart): total ignores quantities (#12)\n\nA cart of two books cost one.",
                  {"src/cart.js": fixed_total, "test/cart.test.js": "test('total', () => {});\n"})
    commit(work, "docs: explain prices", {"README.md": "shop, with prices\n"})  # not a fix
    typo = commit(work, "fix: typo in the readme", {"README.md": "shop, with prices.\n"})  # no source file
    fixed_pad = fixed_total.replace('padStart(2, "0")', 'padStart(2, "0").slice(-2)').replace(
        "this.items = items;", "this.items = items ?? [];")
    fix2 = commit(work, "Fix padding of cents and carts without items", {"src/cart.js": fixed_pad})
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror)], check=True)

    assert main([str(mirror), "acme/shop", "--since", "2000-01-01"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["instance_id"] for r in rows] == [f"acme__shop-{fix2[:10]}", f"acme__shop-{fix1[:10]}"]
    newest, oldest = rows
    assert oldest["base_commit"] == base
    assert oldest["problem_statement"] == "fix(cart): total ignores quantities\n\nA cart of two books cost one."
    assert oldest["gold_functions"] == ["src/cart.js:Cart.total"]  # the test file does not count
    assert oldest["gold_files"] == ["src/cart.js"] and oldest["gold_modules"] == ["src/cart.js:Cart"]
    # a nested function counts for the function around it; a constructor as the bench counts it
    assert newest["base_commit"] == typo
    assert sorted(newest["gold_functions"]) == ["src/cart.js:Cart.constructor", "src/cart.js:formatPrice"]
