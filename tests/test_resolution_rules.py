"""Python resolution rules, one small annotated repository per rule (stack-graphs style).

Each case is several files separated by ``# --- path: <path> ---`` headers. An annotation is
a comment line under a line of code::

    engine.run()
    #      ^ calls: pkg/core.py::Engine.run [inferred]

``^`` points at a column of the nearest code line above; the assertion is that an edge of
that kind (``calls``, ``imports``, ``inherits``, ``references``) goes from the definition
enclosing that line (or the file) to the target, is recorded at that line, and that the word
under ``^`` is part of the name the edge was written as. ``[resolution]`` is optional.
``no calls: <target>`` asserts that the enclosing definition has no such edge at all. The
graph keeps one edge per (kind, source, target), at its first line: annotate first uses.

Cases are resolved in memory (extract + resolve, no store): these tests pin the rules; the
golden test pins the whole pipeline.
"""

from __future__ import annotations

import pytest
from conftest import check_case

from bench.resolution import annotated, split_case
from indexer.model import EdgeKind

# -- the rules ------------------------------------------------------------------------------------
CASES: dict[str, str] = {}

CASES["package_init_reexport"] = """
# --- path: pkg/__init__.py ---
from .core import Engine
# --- path: pkg/core.py ---
class Engine:
    def run(self):
        return 1
# --- path: app.py ---
from pkg import Engine
#               ^ imports: pkg/core.py::Engine [exact]
#    ^ imports: pkg/__init__.py
Engine()
# ^ calls: pkg/core.py::Engine [exact]
"""

CASES["relative_import_dot_and_dotdot"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/util.py ---
def helper():
    return 1
# --- path: pkg/sub/__init__.py ---
# --- path: pkg/sub/jobs.py ---
def schedule():
    return 2
# --- path: pkg/sub/worker.py ---
from . import jobs
#             ^ imports: pkg/sub/jobs.py
from .jobs import schedule
#                 ^ imports: pkg/sub/jobs.py::schedule
from .. import util
#              ^ imports: pkg/util.py
from ..util import helper
#                  ^ imports: pkg/util.py::helper


def work():
    jobs.schedule()
    #    ^ calls: pkg/sub/jobs.py::schedule [exact]
    util.helper()
    #    ^ calls: pkg/util.py::helper [exact]
    schedule()
    helper()
"""

CASES["relative_import_missing_is_unresolved"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/a.py ---
from .missing import thing
#                    ^ imports: unresolved::thing [unresolved]
thing()
# ^ calls: unresolved::thing [unresolved]
"""

CASES["aliased_module_import"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/util.py ---
def helper():
    return 1
# --- path: app.py ---
import pkg.util as u
#      ^ imports: pkg/util.py [exact]
u.helper()
# ^ calls: pkg/util.py::helper [exact]
"""

CASES["aliased_from_import"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/paths.py ---
def join(a, b):
    return a
# --- path: app.py ---
from pkg.paths import join as pjoin
#                             ^ imports: pkg/paths.py::join
pjoin(1, 2)
# ^ calls: pkg/paths.py::join [exact]
"""

CASES["dotted_import_binds_its_head"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/sub/__init__.py ---
# --- path: pkg/sub/worker.py ---
def work():
    return 1
# --- path: app.py ---
import pkg.sub.worker
#              ^ imports: pkg/sub/worker.py


def main():
    pkg.sub.worker.work()
    #              ^ calls: pkg/sub/worker.py::work [exact]
"""

CASES["same_named_functions_go_where_imported"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/util.py ---
def join(parts):
    return parts
# --- path: pkg/paths.py ---
def join(a, b):
    return a


def local():
    return join(1, 2)
    #      ^ calls: pkg/paths.py::join [exact]
# --- path: app.py ---
from pkg.util import join


def main():
    join([])
    # ^ calls: pkg/util.py::join [exact]
    # ^ no calls: pkg/paths.py::join
"""

CASES["stdlib_call_sharing_the_name_is_external"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/util.py ---
import os
import os.path as osp
from os.path import join as path_join


def join(parts):
    return os.path.join(*parts)
    #              ^ calls: extern::os.path.join [external]
    # ^ no calls: pkg/util.py::join


def other(parts):
    osp.join(*parts)
    #   ^ calls: extern::os.path.join [external]
    path_join(*parts)
    return join(parts)
    #      ^ calls: pkg/util.py::join [exact]
"""

CASES["self_and_cls_calls"] = """
# --- path: m.py ---
class Engine:
    def run(self):
        return self.step()
        #           ^ calls: m.py::Engine.step [exact]

    def step(self):
        return 1

    @classmethod
    def create(cls):
        cls.default()
        #   ^ calls: m.py::Engine.default [exact]
        return cls()
        #      ^ calls: m.py::Engine [exact]

    @staticmethod
    def default():
        return 2
"""

CASES["inherited_method_from_base_in_another_module"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/base.py ---
class Base:
    def start(self):
        return 1
# --- path: pkg/core.py ---
from .base import Base


class Engine(Base):
#            ^ inherits: pkg/base.py::Base [exact]
    def run(self):
        return self.start()
        #           ^ calls: pkg/base.py::Base.start [exact]


class Turbo(Engine):
    def go(self):
        return self.start()
        #           ^ calls: pkg/base.py::Base.start [exact]
"""

CASES["super_call"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/base.py ---
class Base:
    def __init__(self, name):
        self.name = name

    def run(self):
        return 1
# --- path: pkg/core.py ---
from pkg.base import Base


class Engine(Base):
    def __init__(self, name):
        super().__init__(name)
        #       ^ calls: pkg/base.py::Base.__init__ [exact]

    def run(self):
        return super().run()
        #              ^ calls: pkg/base.py::Base.run [exact]
        # ^ no calls: pkg/core.py::Engine.run
"""

CASES["constructor_call_targets_the_class"] = """
# --- path: m.py ---
class Engine:
    def __init__(self):
        self.ready = True


def make():
    return Engine()
    #      ^ calls: m.py::Engine [exact]
    # ^ no calls: m.py::Engine.__init__
"""

CASES["nested_function"] = """
# --- path: m.py ---
class Engine:
    def _log(self, message):
        def fmt(text):
            return text

        return fmt(message)
        #      ^ calls: m.py::Engine._log.fmt [exact]


def fmt(text):
    return text
"""

CASES["local_bound_to_constructor_is_inferred"] = """
# --- path: m.py ---
class Engine:
    def run(self):
        return 1


def main():
    engine = Engine()
    engine.run()
    #      ^ calls: m.py::Engine.run [inferred]
"""

CASES["annotated_parameter_is_inferred"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/core.py ---
class Engine:
    def run(self):
        return 1
# --- path: pkg/worker.py ---
from .core import Engine


def work(engine: Engine, text: str):
    #            ^ references: pkg/core.py::Engine [exact]
    engine.run()
    #      ^ calls: pkg/core.py::Engine.run [inferred]
    return text.upper()
    #           ^ calls: extern::builtins.str.upper [external]
"""

CASES["decorator_is_a_call"] = """
# --- path: m.py ---
import functools


def traced(func):
    @functools.wraps(func)
    #          ^ calls: extern::functools.wraps [external]
    def wrapper(*args):
        return func(*args)

    return wrapper


@traced
# ^ calls: m.py::traced [exact]
def run():
    return 1


class Engine:
    @traced
    # ^ calls: m.py::traced [exact]
    def go(self):
        return 2
"""

CASES["class_level_attribute"] = """
# --- path: m.py ---
class Registry:
    def add(self, item):
        return item


class Base:
    registry = Registry()
    #          ^ calls: m.py::Registry [exact]

    def start(self):
        return self.registry.add(self)
        #                    ^ calls: m.py::Registry.add [inferred]


class Engine(Base):
    def go(self):
        return self.registry.add(self)
        #                    ^ calls: m.py::Registry.add [inferred]
"""

CASES["instance_attribute_set_in_init"] = """
# --- path: m.py ---
class Registry:
    def add(self, item):
        return item


class Engine:
    def __init__(self):
        self.registry = Registry()
        self.items = []

    def go(self):
        self.items.append(1)
        #          ^ calls: extern::builtins.list.append [external]
        return self.registry.add(self)
        #                    ^ calls: m.py::Registry.add [inferred]
"""

CASES["class_body_is_not_an_enclosing_scope"] = """
# --- path: m.py ---
def helper():
    return 0


class Engine:
    def helper(self):
        return 1

    def run(self):
        return helper()
        #      ^ calls: m.py::helper [exact]
        # ^ no calls: m.py::Engine.helper
"""

CASES["wildcard_import"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/jobs.py ---
def schedule():
    return 1


def _private():
    return 2
# --- path: pkg/worker.py ---
from .jobs import *
#      ^ imports: pkg/jobs.py


def work():
    schedule()
    # ^ calls: pkg/jobs.py::schedule [exact]
    _private()
    # ^ calls: unresolved::_private [unresolved]
"""

CASES["wildcard_reexport_through_a_module"] = """
# --- path: pkg/__init__.py ---
from .jobs import *
# --- path: pkg/jobs.py ---
def schedule():
    return 1
# --- path: app.py ---
import pkg

pkg.schedule()
#   ^ calls: pkg/jobs.py::schedule [exact]
"""

CASES["unresolvable_call_is_kept_by_name"] = """
# --- path: m.py ---
def work(obj):
    obj.frobnicate()
    #   ^ calls: unresolved::frobnicate [unresolved]
    return undefined_name()
    #      ^ calls: unresolved::undefined_name [unresolved]
"""

CASES["parameter_shadows_a_global"] = """
# --- path: m.py ---
def join(parts):
    return parts


def work(join):
    return join(1)
    #      ^ calls: unresolved::join [unresolved]
    # ^ no calls: m.py::join
"""

CASES["method_on_a_literal"] = """
# --- path: m.py ---
def join(parts):
    return "/".join(parts)
    #          ^ calls: extern::builtins.str.join [external]
    # ^ no calls: m.py::join


def raw(parts):
    return b"".join(parts)
    #          ^ calls: extern::builtins.bytes.join [external]


def unique(items):
    seen = set()
    seen.add(items)
    #    ^ calls: extern::builtins.set.add [external]
    return [].extend(items)
    #         ^ calls: extern::builtins.list.extend [external]
"""

CASES["absolute_import_in_a_package_is_not_a_sibling"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/queue.py ---
def Queue():
    return 1
# --- path: pkg/worker.py ---
import queue
#      ^ imports: extern::queue [external]

queue.Queue()
#     ^ calls: extern::queue.Queue [external]
# ^ no calls: pkg/queue.py::Queue
"""

CASES["script_imports_its_sibling"] = """
# --- path: tools/helpers.py ---
def assist():
    return 1
# --- path: tools/run.py ---
import helpers
#      ^ imports: tools/helpers.py [exact]

helpers.assist()
#       ^ calls: tools/helpers.py::assist [exact]
"""

CASES["src_layout_is_a_source_root"] = """
# --- path: src/mylib/__init__.py ---
# --- path: src/mylib/text.py ---
def shout(text):
    return text
# --- path: app.py ---
from mylib.text import shout
#                      ^ imports: src/mylib/text.py::shout [exact]

shout("x")
# ^ calls: src/mylib/text.py::shout [exact]
"""

CASES["external_base_class"] = """
# --- path: m.py ---
class EngineError(RuntimeError):
#                 ^ inherits: extern::builtins.RuntimeError [external]
    def describe(self):
        return self.with_traceback(None)
        #           ^ calls: extern::builtins.RuntimeError.with_traceback [external]
"""

CASES["callable_instance_calls_dunder_call"] = """
# --- path: m.py ---
class Handler:
    def __call__(self, event):
        return event


def main():
    handle = Handler()
    handle(1)
    # ^ calls: m.py::Handler.__call__ [inferred]
"""

CASES["function_local_import"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/util.py ---
def helper():
    return 1
# --- path: pkg/app.py ---
def main():
    from .util import helper

    return helper()
    #      ^ calls: pkg/util.py::helper [exact]


def other():
    return helper()
    #      ^ calls: unresolved::helper [unresolved]
"""

CASES["nested_class_and_closure_over_self"] = """
# --- path: m.py ---
class Outer:
    class Inner:
        def ping(self):
            return 1

    def make(self):
        inner = self.Inner()
        #            ^ calls: m.py::Outer.Inner [exact]

        def later():
            return self.make()
            #           ^ calls: m.py::Outer.make [exact]

        return inner.ping()
        #            ^ calls: m.py::Outer.Inner.ping [inferred]


Outer.Inner().ping()
#             ^ calls: m.py::Outer.Inner.ping [inferred]
"""

CASES["aliased_reexport_and_attribute_chain"] = """
# --- path: pkg/__init__.py ---
from .core import Engine as Motor
# --- path: pkg/core.py ---
class Registry:
    def add(self, item):
        return item


class Engine:
    registry = Registry()
# --- path: app.py ---
import pkg
from pkg import Motor
#               ^ imports: pkg/core.py::Engine


class Car:
    def __init__(self):
        self.motor = Motor()
        #            ^ calls: pkg/core.py::Engine [exact]

    def drive(self):
        return self.motor.registry.add(self)
        #                          ^ calls: pkg/core.py::Registry.add [inferred]


pkg.core.Engine()
#        ^ calls: pkg/core.py::Engine [exact]
"""

CASES["explicit_base_method_and_old_style_super"] = """
# --- path: m.py ---
class Base:
    def run(self):
        return 1


class Engine(Base):
    def run(self):
        return Base.run(self)
        #           ^ calls: m.py::Base.run [exact]

    def again(self):
        return super(Engine, self).run()
        #                          ^ calls: m.py::Base.run [exact]
"""

CASES["class_reusing_an_imported_name"] = """
# --- path: pkg/__init__.py ---
# --- path: pkg/base.py ---
class Engine:
    def run(self):
        return 1
# --- path: pkg/core.py ---
from .base import Engine


class Engine(Engine):
#            ^ inherits: pkg/base.py::Engine [exact]
    def stop(self):
        return self.run()
        #           ^ calls: pkg/base.py::Engine.run [exact]


def make():
    return Engine()
    #      ^ calls: pkg/core.py::Engine [exact]
# --- path: app.py ---
from pkg.core import Engine
#                    ^ imports: pkg/core.py::Engine
"""

CASES["later_binding_wins_after_the_scope_ran"] = """
# --- path: m.py ---
def helper():
    return 1


first = helper()
#       ^ calls: m.py::helper [exact]


def helper():
    return 2


def main():
    return helper()
    #      ^ calls: m.py::helper#2 [exact]
"""

CASES["local_rebinding_follows_the_flow"] = """
# --- path: m.py ---
class Engine:
    def run(self):
        return 1


class Other:
    def run(self):
        return 2


def main():
    engine = Engine()
    engine.run()
    #      ^ calls: m.py::Engine.run [inferred]
    engine = Other()
    engine.run()
    #      ^ calls: m.py::Other.run [inferred]
    engine = engine.run
"""

CASES["missing_submodule_of_our_package_is_unresolved"] = """
# --- path: pkg/__init__.py ---
# --- path: app.py ---
from pkg.plugins import load
#                       ^ imports: unresolved::load [unresolved]
import pkg.extras
#          ^ imports: unresolved::extras [unresolved]
import yaml.loader
#           ^ imports: extern::yaml.loader [external]

load()
# ^ calls: unresolved::load [unresolved]
"""

CASES["chained_assignment_binds_every_name"] = """
# --- path: m.py ---
class FiniteField:
    def zero(self):
        return 0


FF = GF = FiniteField
# --- path: app.py ---
from m import FF, GF

FF(2).zero()
#     ^ calls: m.py::FiniteField.zero [inferred]


def make():
    return GF(3)
    #      ^ calls: m.py::FiniteField [exact]
"""


CASES["return_annotation_types_the_result"] = """
# --- path: app/repo.py ---
class Repo:
    def reindex(self):
        return 1
# --- path: app/tools.py ---
from app.repo import Repo
class Tools:
    def _repo(self, name) -> Repo:
        return lookup(name)
    def reindex(self, name):
        r = self._repo(name)
        r.reindex()
#         ^ calls: app/repo.py::Repo.reindex [inferred]
        self._repo(name).reindex()
"""

CASES["returns_of_one_constructor_type_the_result"] = """
# --- path: flaskish/blueprints.py ---
class BlueprintSetupState:
    def add_url_rule(self, rule):
        return rule
class Blueprint:
    def make_setup_state(self, app, options):
        return BlueprintSetupState(self, app, options)
    def register(self, app, options):
        state = self.make_setup_state(app, options)
        state.add_url_rule("/")
#             ^ calls: flaskish/blueprints.py::BlueprintSetupState.add_url_rule [inferred]
class Other:
    def add_url_rule(self, rule):
        return rule
def mixed(flag):
    if flag:
        return BlueprintSetupState()
    return Other()
def use():
    mixed(True).add_url_rule("/")
    # ^ no calls: flaskish/blueprints.py::Other.add_url_rule
    # ^ no calls: flaskish/blueprints.py::BlueprintSetupState.add_url_rule
"""

CASES["annotated_locals_and_class_attributes"] = """
# --- path: shop.py ---
from dataclasses import dataclass
class Engine:
    def run(self):
        return 1
class Motor:
    def run(self):
        return 2
@dataclass
class Car:
    engine: Engine
    def go(self):
        self.engine.run()
#                   ^ calls: shop.py::Engine.run [inferred]
def drive(thing):
    motor: Motor = thing.build()
    motor.run()
#         ^ calls: shop.py::Motor.run [inferred]
#         ^ no calls: shop.py::Engine.run
"""

CASES["loop_variables_over_annotated_containers"] = """
# --- path: ws.py ---
from typing import Optional
class Repo:
    def reindex(self):
        return 1
class Workspace:
    def __init__(self, repos: dict[str, Repo]) -> None:
        self.repos = repos
    def all(self, extra: list[Repo], maybe: Optional[Repo]):
        for repo in self.repos.values():
            repo.reindex()
#                ^ calls: ws.py::Repo.reindex [inferred]
        for r in extra:
            r.reindex()
        maybe.reindex()
def names(extra: list[Repo]):
    return [r.reindex() for r in extra]
#             ^ calls: ws.py::Repo.reindex [inferred]
def keys(repos: dict[str, Repo]):
    for key in repos:
        key.reindex()
        # ^ no calls: ws.py::Repo.reindex
"""


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(name: str) -> None:
    check_case(CASES[name])


# -- the annotation reader itself ------------------------------------------------------------------

def test_annotations_point_at_the_code_line_above() -> None:
    files = split_case("""
# --- path: a.py ---
x = f()
#   ^ calls: a.py::f
# ^ no calls: b.py::g [exact]
""")
    assert files == {"a.py": "x = f()\n#   ^ calls: a.py::f\n# ^ no calls: b.py::g [exact]\n"}
    first, second = annotated(files)
    assert (first.line, first.column, first.kind, first.target, first.negated) == (
        1, 4, EdgeKind.CALLS, "a.py::f", False)
    assert first.code[first.column] == "f"
    assert (second.negated, second.resolution) == (True, "exact")


def test_a_wrong_annotation_fails_naming_the_line() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"a\.py:2 `f\(\)`: expected CALLS"):
        check_case("""
# --- path: a.py ---
def f():
    f()
    # ^ calls: a.py::g
""")


def test_a_malformed_annotation_is_an_error() -> None:
    with pytest.raises(ValueError, match="malformed"):
        annotated(split_case("# --- path: a.py ---\nf()\n# ^ call: a.py::f\n"))
