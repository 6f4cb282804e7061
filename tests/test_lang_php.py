"""PHP facts and the PHP module system, through the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/php, see
tests/test_languages.py); these tests pin what the graph says about PHP declarations and how
namespaces, ``use`` and ``require`` map to files.
"""

from __future__ import annotations

from bench.resolution import FIXTURES, definitions, extract, resolve_files
from indexer.facts import FileFacts
from indexer.languages.php import PhpModules
from indexer.model import EdgeKind

PROJECT = FIXTURES / "php"


def _facts(path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (PROJECT / path).read_text("utf-8"))


def _no_probe(_: str) -> None:
    pass


def test_namespace_is_the_package_and_classes_their_members() -> None:
    facts = _facts("src/Models/Model.php")
    defs = definitions(facts)
    assert facts.package == "App\\Models"
    assert "App" not in defs and "Models" not in defs  # a namespace is no definition
    assert defs["Model"].signature == "abstract class Model"
    assert defs["Model"].doc == "The base of every stored model."
    assert defs["Model.create"].kind == "method"
    assert defs["Model.create"].signature == "public static function create(array $attributes): static"
    assert defs["Model.create"].doc == "Makes and saves a model of the class it is called on."
    assert defs["Model.table"].declaration  # abstract: no body
    assert not defs["Model.save"].declaration


def test_bases_interfaces_and_traits() -> None:
    defs = definitions(_facts("src/Models/User.php"))
    assert defs["User"].bases == (("Model",),)
    # `use HasTimestamps;` in the class body: an extension of User whose base is the trait
    assert defs["User.User"].kind == "extension" and defs["User.User"].bases == (("HasTimestamps",),)
    assert definitions(_facts("src/Services/FileLogger.php"))["FileLogger"].bases == (("LoggerInterface",),)
    assert definitions(_facts("src/Services/LoggerInterface.php"))["LoggerInterface.log"].declaration


def test_use_declarations() -> None:
    imports = [(i.module, i.name, i.alias) for i in _facts("src/Http/UserController.php").imports]
    assert imports == [
        ("App\\Billing", "Invoice", "BillingInvoice"),
        ("App\\Models", "Invoice", None),
        ("App\\Models", "User", None),
        ("App\\Repo", "UserRepository", None),
        ("App\\Services", "Mailer", None),
        ("App\\Services", "UserService", None),
    ]
    imports = [(i.module, i.name) for i in _facts("bootstrap.php").imports]
    assert ("/lib/legacy.php", "*") in imports  # require_once __DIR__ . '/lib/legacy.php'
    assert ("App\\Support", "money_total") in imports  # use function


def test_namespaces_paths_and_psr4_folders_resolve() -> None:
    paths = ["src/Models/User.php", "src/Models/Model.php", "src/Legacy/Old.php", "lib/legacy.php", "bootstrap.php"]
    modules = PhpModules(paths, {"src/Models/User.php": "App\\Models", "src/Models/Model.php": "App\\Models"})
    ref = modules.resolve("bootstrap.php", "App\\Models", _no_probe)
    assert ref is not None and ref.package and ref.path == "App\\Models"
    assert modules.package_files("App\\Models", _no_probe) == ("src/Models/Model.php", "src/Models/User.php")
    # a namespace no file declares: its PSR-4 folder
    ref = modules.resolve("bootstrap.php", "App\\Legacy", _no_probe)
    assert ref is not None and ref.is_dir and ref.path == "src/Legacy"
    assert modules.resolve("bootstrap.php", "/lib/legacy.php", _no_probe).path == "lib/legacy.php"
    assert modules.resolve("bootstrap.php", "Psr\\Log", _no_probe) is None
    assert not modules.is_internal("Psr\\Log", _no_probe)
    assert modules.is_internal("App\\Missing", _no_probe)  # under the repository's namespace
    assert modules.package_of("src/Models/User.php") == "App\\Models" and modules.package_of("bootstrap.php") is None


def test_names_spelled_from_the_root_and_typed_receivers() -> None:
    files = {
        "src/A/User.php": "<?php\nnamespace App\\A;\nclass User { public static function make(): static "
                          "{ return new static(); } public function save(): void {} }\n",
        "src/B/User.php": "<?php\nnamespace App\\B;\nclass User { public function save(): void {} }\n",
        "main.php": "<?php\nnamespace App;\nfunction run(\\App\\B\\User $b): void {\n"
                    "    \\App\\A\\User::make()->save();\n    $b->save();\n}\n",
    }
    _, edges = resolve_files(files)
    calls = {(e.source, e.target) for e in edges if e.kind == EdgeKind.CALLS}
    assert ("main.php::run", "src/A/User.php::User.make") in calls
    assert ("main.php::run", "src/A/User.php::User.save") in calls
    assert ("main.php::run", "src/B/User.php::User.save") in calls
