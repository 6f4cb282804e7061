"""Issue texts taken apart: stack frames in each language's format, and the parts (title,
prose, code, traceback, output) that localization matches one by one."""

from __future__ import annotations

import pytest

from queries.retrieval.issue import Frame, PartKind, parse_frames, parse_issue

PYTHON = '''Traceback (most recent call last):
  File "<stdin>", line 1, in <module>
  File "/home/u/proj/sympy/core/basic.py", line 12, in sort_key
    return self.args
ValueError: bad
'''
PYTEST = '''src/_pytest/python.py:123: in collect
    return self._collect()
src/_pytest/nodes.py:55: ValueError
'''
JAVA = '''Exception in thread "main" java.lang.IllegalStateException: boom
\tat com.acme.shop.Cart$Line.total(Cart.java:42)
\tat com.acme.shop.Cart.<init>(Cart.java:10)
\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1541)
\tat app.MainKt.main(Main.kt:7)
Caused by: java.lang.NullPointerException
\tat com.acme.Util.check(Unknown Source)
'''
CSHARP = '''System.InvalidOperationException: nope
   at Shop.Cart.Total(Int32 n) in /src/Shop/Cart.cs:line 42
   at Shop.Program.Main(String[] args)
'''
JAVASCRIPT = '''TypeError: Cannot read properties of undefined (reading 'x')
    at Cart.total (/app/src/cart.js:10:5)
    at async run (file:///app/src/main.mjs:3:1)
    at Object.<anonymous> (/app/index.ts:1:2)
    at new Cart (/app/src/cart.ts:2:3)
    at node:internal/main/run_main_module:28:49
total@http://localhost:8080/src/cart.js:10:5
'''
GO = '''panic: runtime error: invalid memory address or nil pointer dereference

goroutine 1 [running]:
github.com/acme/shop/cart.(*Cart).Total(0xc000010000, 0x1)
\t/home/u/shop/cart/cart.go:12 +0x1d
main.run.func1(...)
\t/home/u/shop/main.go:20 +0x55
main.main()
\t/home/u/shop/main.go:8 +0x20
'''
RUST = '''thread 'main' panicked at src/engine.rs:10:5:
called `Option::unwrap()` on a `None` value
stack backtrace:
   0: rust_begin_unwind
             at /rustc/abc/library/std/src/panicking.rs:597:5
   3: app::engine::Engine::run
             at ./src/engine.rs:10:5
   4: <app::cart::Cart as app::Total>::total::h0123456789abcdef
             at ./src/cart.rs:22:9
'''
RUBY = '''app/models/cart.rb:42:in `total': undefined method `+' for nil (NoMethodError)
\tfrom app/models/cart.rb:10:in `block in checkout'
\tfrom lib/shop.rb:5:in `<main>'
\tfrom lib/shop.rb:7:in 'Shop::Cart#add'
'''
PHP = '''PHP Fatal error:  Uncaught Exception: x in /app/src/Cart.php:42
Stack trace:
#0 /app/src/Shop.php(10): App\\Cart->total()
#1 /app/src/Shop.php(12): App\\Shop::run()
#2 {main}
'''


def frames(text: str) -> list[tuple[str, int | None, str, str]]:
    return [(f.path, f.line, f.function, f.language) for f in parse_frames(text)]


@pytest.mark.parametrize(("text", "expected"), [
    (PYTHON, [("<stdin>", 1, "", "python"), ("/home/u/proj/sympy/core/basic.py", 12, "sort_key", "python")]),
    (PYTEST, [("src/_pytest/python.py", 123, "collect", "python")]),
    (JAVA, [("com/acme/shop/Cart.java", 42, "Cart.Line.total", "java"),  # inner class Cart$Line
            ("com/acme/shop/Cart.java", 10, "Cart", "java"),  # a constructor names its class
            ("java/util/ArrayList.java", 1541, "ArrayList.forEach", "java"),  # module prefix dropped
            ("app/Main.kt", 7, "main", "kotlin"),  # a top-level function of Main.kt, not class MainKt
            ("", None, "Util.check", "java")]),
    (CSHARP, [("/src/Shop/Cart.cs", 42, "Cart.Total", "csharp"), ("", None, "Program.Main", "csharp")]),
    (JAVASCRIPT, [("/app/src/cart.js", 10, "Cart.total", "javascript"),
                  ("/app/src/main.mjs", 3, "run", "javascript"),  # async, file:// URL
                  ("/app/index.ts", 1, "", "javascript"),  # Object.<anonymous> names no function
                  ("/app/src/cart.ts", 2, "Cart", "javascript"),  # new Cart
                  ("/src/cart.js", 10, "total", "javascript")]),  # Firefox's func@url:line:col
    (GO, [("/home/u/shop/cart/cart.go", 12, "Cart.Total", "go"),  # pointer receiver, package dropped
          ("/home/u/shop/main.go", 20, "run", "go"),  # a closure is its enclosing function
          ("/home/u/shop/main.go", 8, "main", "go")]),
    (RUST, [("src/engine.rs", 10, "", "rust"),  # the panic location
            ("/rustc/abc/library/std/src/panicking.rs", 597, "rust_begin_unwind", "rust"),
            ("./src/engine.rs", 10, "engine.Engine.run", "rust"),
            ("./src/cart.rs", 22, "Cart.total", "rust")]),  # <Cart as Trait>::total, hash dropped
    (RUBY, [("app/models/cart.rb", 42, "total", "ruby"), ("app/models/cart.rb", 10, "checkout", "ruby"),
            ("lib/shop.rb", 5, "", "ruby"), ("lib/shop.rb", 7, "Shop.Cart.add", "ruby")]),
    (PHP, [("/app/src/Cart.php", 42, "", "php"), ("/app/src/Shop.php", 10, "Cart.total", "php"),
           ("/app/src/Shop.php", 12, "Shop.run", "php")]),
], ids=["python", "pytest", "java-kotlin", "csharp", "javascript", "go", "rust", "ruby", "php"])
def test_frames_of_each_language(text: str, expected: list[tuple[str, int | None, str, str]]) -> None:
    assert frames(text) == expected


def test_prose_is_not_read_as_frames() -> None:
    prose = ("The method at cart.total (see the docs) fails, and File handling in main.go is slow. "
             "Call Foo.bar(x) at startup; panic: nothing here.")
    assert parse_frames(prose) == []


def test_frames_in_a_mixed_text_keep_their_order() -> None:
    text = "first\n" + GO + "\nthen in the service\n" + JAVA
    found = parse_frames(text)
    assert [f.language for f in found][:3] == ["go", "go", "go"]
    assert found[3] == Frame("com/acme/shop/Cart.java", 42, "Cart.Line.total", "java")


def test_an_issue_is_split_into_its_parts() -> None:
    text = """Cart.total raises on an empty cart

When the cart is empty, `Cart.total` should return zero.

```python
cart = Cart()
cart.total()
```

```
Traceback (most recent call last):
  File "shop/cart.py", line 3, in total
    return sum(self.items) / len(self.items)
ZeroDivisionError: division by zero
```

Expected output:

```
0
```
"""
    issue = parse_issue(text)
    kinds = [p.kind for p in issue.parts]
    assert kinds == [PartKind.TITLE, PartKind.PROSE, PartKind.CODE, PartKind.TRACEBACK, PartKind.PROSE,
                     PartKind.OUTPUT]
    assert issue.parts[0].text == "Cart.total raises on an empty cart"
    assert issue.of(PartKind.CODE) == ["cart = Cart()\ncart.total()"]
    assert issue.of(PartKind.OUTPUT) == ["0"]
    assert issue.frames == (Frame("shop/cart.py", 3, "total", "python"),)


def test_an_unfenced_traceback_is_cut_out_of_the_prose() -> None:
    text = """Sorting fails

I ran the sort and got:
Traceback (most recent call last):
  File "/x/sympy/core/basic.py", line 12, in sort_key
    return self.args
ValueError: bad

It worked in 1.4.
"""
    parts = parse_issue(text).parts
    assert [p.kind for p in parts] == [PartKind.TITLE, PartKind.PROSE, PartKind.TRACEBACK, PartKind.PROSE]
    assert parts[2].text.startswith("Traceback") and parts[2].text.endswith("ValueError: bad")
    assert parts[3].text == "It worked in 1.4."


def test_repeated_and_many_parts_are_bounded() -> None:
    block = "```\nx = 1\n```\n"
    issue = parse_issue("Title\n\n" + block * 3 + "".join(f"```\ny{i} = {i}\n```\nword {i}\n" for i in range(40)))
    assert len(issue.parts) <= 12
    assert issue.parts[0].kind == PartKind.TITLE
    assert sum(p.text == "x = 1" for p in issue.parts) <= 1


def test_empty_and_one_line_texts() -> None:
    assert parse_issue("").parts == ()
    assert parse_issue("   \n").parts == ()
    assert [p.kind for p in parse_issue("just a title").parts] == [PartKind.TITLE]
