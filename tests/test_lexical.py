"""BM25 over code units: the tokenizer, rankings on a small indexed repository, kind filters,
deterministic ties and the saved index."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np
import pytest

from indexer.model import NodeKind
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.search.lexical import FORMAT_VERSION, LexicalIndex, load_or_build, tokenize
from indexer.search.units import CodeUnit, build_units
from indexer.store.kuzu_store import KuzuStore

FILES = {
    "netlib/sessions.py": '''
        """Sessions keep settings across requests."""
        from netlib.models import PreparedRequest


        class SessionRedirectMixin:
            def get_redirect_target(self, resp):
                """The Location a redirect response points to, or None."""
                if resp.is_redirect:
                    return resp.headers["location"]
                return None

            def resolve_redirects(self, resp, req):
                """Follow redirects until a response is not one."""
                url = self.get_redirect_target(resp)
                while url:
                    yield self.send(req.copy(), url)
                    url = self.get_redirect_target(resp)


        class Session(SessionRedirectMixin):
            def request(self, method, url):
                """Build a PreparedRequest and send it."""
                prepared = PreparedRequest()
                prepared.prepare(method, url)
                return self.send(prepared, url)

            def send(self, request, url):
                return request
        ''',
    "netlib/models.py": '''
        """Requests and responses."""


        class PreparedRequest:
            def prepare(self, method, url):
                self.method = method
                self.prepare_url(url)

            def prepare_url(self, url):
                """Normalise the URL: scheme, netloc, path and the query string."""
                self.url = url.strip()

            def prepare_content_length(self, body):
                """Set the Content-Length header from the body size."""
                if body is not None:
                    self.headers["Content-Length"] = str(len(body))


        def to_native_string(value, encoding="ascii"):
            return value.decode(encoding)
        ''',
    "netlib/utils.py": '''
        """Small helpers."""


        def parse_header_links(value):
            """Parse a Link header into a list of dicts with url and rel."""
            links = []
            for part in value.split(","):
                links.append({"url": part.strip("<> ")})
            return links


        def get_encoding_from_headers(headers):
            """The charset named by the Content-Type header."""
            content_type = headers.get("content-type")
            return content_type.split("charset=")[-1] if content_type else None
        ''',
    "extras/twins_a.py": '''
        def checksum_twin(blob):
            return zlib_crc(blob)
        ''',
    "extras/twins_b.py": '''
        def checksum_twin(blob):
            return zlib_crc(blob)
        ''',
}

CODE = (NodeKind.FUNCTION, NodeKind.METHOD)


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> list[CodeUnit]:
    root = tmp_path_factory.mktemp("lexrepo")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    db_dir = root.parent / f"{root.name}-index"
    index_repository(root, IndexOptions(db_dir=db_dir))
    with KuzuStore(db_dir / GRAPH_FILE, read_only=True) as store:
        return build_units(root, store.dump())


@pytest.fixture(scope="module")
def index(units: list[CodeUnit]) -> LexicalIndex:
    return LexicalIndex.build(units)


def ranked(index: LexicalIndex, query: str, k: int = 5, kinds: tuple[NodeKind, ...] | None = CODE) -> list[str]:
    return [unit_id for unit_id, _ in index.search(query, k, kinds)]


@pytest.mark.parametrize(("text", "terms"), [
    ("get_redirect_target", ["get_redirect_target", "get", "redirect", "target"]),
    ("getRedirectTarget", ["getredirecttarget", "get", "redirect", "target"]),
    ("HTTPAdapter", ["httpadapter", "http", "adapter"]),
    ("os.path.join(a, b)", ["os.path.join", "os", "path", "join"]),
    ("in requests/models.py", ["requests", "models.py", "models"]),
    ("Float64Index utf8 test_2 in 1984", ["float64index", "float64", "index", "utf8", "test_2", "test"]),
    ("__init__ and _eval_evalf", ["init", "eval_evalf", "eval", "evalf"]),
    ("The session is not None, self.headers", ["session", "self.headers", "headers"]),
    ("", []),
])
def test_tokenize(text: str, terms: list[str]) -> None:
    assert tokenize(text) == terms


def test_rankings(index: LexicalIndex) -> None:
    assert ranked(index, "the redirect target of a response")[:2] == [
        "netlib/sessions.py::SessionRedirectMixin.get_redirect_target",
        "netlib/sessions.py::SessionRedirectMixin.resolve_redirects",
    ]
    assert ranked(index, "Content-Length header is always sent, even for a GET without body")[0] == (
        "netlib/models.py::PreparedRequest.prepare_content_length")
    assert ranked(index, "parse_header_links fails on an empty Link header")[0] == (
        "netlib/utils.py::parse_header_links")
    # a dotted path in the query reaches the function through its parts
    assert ranked(index, "netlib.models.to_native_string")[0] == "netlib/models.py::to_native_string"
    # camelCase in the query meets snake_case in the code
    assert ranked(index, "getEncodingFromHeaders returns the wrong charset")[0] == (
        "netlib/utils.py::get_encoding_from_headers")


def test_kinds_filter(index: LexicalIndex) -> None:
    files = ranked(index, "problem in netlib/utils.py helpers", kinds=(NodeKind.FILE,))
    assert files[0] == "netlib/utils.py"
    assert all("::" not in unit_id for unit_id in files)
    classes = ranked(index, "redirect session", kinds=(NodeKind.CLASS,))
    assert classes == ["netlib/sessions.py::SessionRedirectMixin", "netlib/sessions.py::Session"]
    everything = index.search("redirect session", 100)
    assert {NodeKind.FILE, NodeKind.CLASS, NodeKind.METHOD} <= {
        index.kinds[index.ids.index(unit_id)] for unit_id, _ in everything}


def test_scores_ties_and_limits(index: LexicalIndex) -> None:
    hits = index.search("checksum_twin", 2, CODE)
    assert [h[0] for h in hits] == ["extras/twins_a.py::checksum_twin", "extras/twins_b.py::checksum_twin"]
    assert hits[0][1] == hits[1][1] > 0
    # a cut inside a tie keeps the smaller id
    assert index.search("checksum_twin", 1, CODE) == hits[:1]
    scores = [s for _, s in index.search("redirect request url headers", 50)]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert index.search("zzzunknownzzz quux", 10) == []
    assert index.search("redirect", 0) == []
    assert index.scores("redirect").shape == (len(index),)


def test_save_load_and_reuse(tmp_path: Path, units: list[CodeUnit], index: LexicalIndex) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    query = "follow the redirect location header of the response"
    assert loaded.search(query, 10) == index.search(query, 10)
    assert np.array_equal(loaded.scores(query), index.scores(query))
    assert loaded.fingerprint == index.fingerprint

    reused = load_or_build(tmp_path, units)
    assert reused.fingerprint == index.fingerprint
    changed = [u if u.id != "netlib/utils.py::parse_header_links"
               else CodeUnit(u.id, u.kind, u.path, u.qualname, u.start_line, u.end_line, u.text + "\nquokka")
               for u in units]
    rebuilt = load_or_build(tmp_path, changed)
    assert rebuilt.fingerprint != index.fingerprint
    assert ranked(rebuilt, "quokka") == ["netlib/utils.py::parse_header_links"]
    assert LexicalIndex.load(tmp_path).fingerprint == rebuilt.fingerprint


def test_load_refuses_other_versions(tmp_path: Path, index: LexicalIndex) -> None:
    with pytest.raises(FileNotFoundError):
        LexicalIndex.load(tmp_path)
    index.save(tmp_path)
    meta = tmp_path / "lexical.json"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 0'), encoding="utf-8")
    with pytest.raises(ValueError, match="format version"):
        LexicalIndex.load(tmp_path)


def _changes(units: list[CodeUnit]) -> list[tuple[str, list[str], list[CodeUnit]]]:
    """(what, ids removed, units added or replacing) for ``replace``, from the fixture's units."""
    first, middle, last = units[0], units[len(units) // 2], units[-1]
    edited = dataclasses.replace(middle, text=middle.text + "\n# zebra crossing handled here\n")
    newcomer = dataclasses.replace(middle, id=middle.id + "_aardvark", text="def aardvark_walk(): pass")
    return [("an edit (the same ids)", [], [edited]),
            ("a unit added between others", [], [newcomer]),
            ("units removed, one added, one edited", [first.id, last.id], [newcomer, edited])]


@pytest.mark.parametrize("case", range(3))
def test_replace_equals_a_build_of_the_result(units: list[CodeUnit], index: LexicalIndex, case: int) -> None:
    what, remove, add = _changes(units)[case]
    result = {u.id: u for u in units if u.id not in remove} | {u.id: u for u in add}
    got, want = index.replace(remove, add), LexicalIndex.build(result.values())
    assert got.ids == want.ids and got.kinds == want.kinds and got.vocabulary == want.vocabulary, what
    assert got._counts.has_sorted_indices and (got._counts != want._counts).nnz == 0, what
    for query in ("zebra crossing", "aardvark", "redirect target", "resolve_redirects"):
        assert np.array_equal(got.scores(query), want.scores(query)), (what, query)
    assert "zebra" not in index.vocabulary  # the original is left as it was
    assert ("zebra" in got.vocabulary) == any("zebra" in u.text for u in add), what
