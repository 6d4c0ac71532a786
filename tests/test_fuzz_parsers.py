"""Property tests of the ingestion parsers: whatever the bytes, a loader returns documents or a LoaderError.

Hypothesis feeds every format arbitrary bytes, text with invalid UTF-8 and NUL bytes, broken front matter,
malformed XML and HTML, mutated PDFs and huge lines; every document it gets back must also split into chunks.
Any other exception fails the test, and so does a parse that runs past ``HANG_SECONDS`` (a regular expression
gone quadratic or worse, an entity or alias expansion): a timer signal interrupts it, so that a hang fails
instead of blocking CI. Examples are random on each run (a failure prints how to reproduce it) and the budget
is bounded: the whole file takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from xml.sax.saxutils import escape, quoteattr

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.document import SourceDoc
from ingest.loaders import SUPPORTED_SUFFIXES, load_bytes
from ingest.split import SplitParams, split_document
from server.core.errors import LoaderError

BUDGET = settings(
    max_examples=150,
    deadline=None,  # a timing would make CI flaky under load: hangs are caught by HANG_SECONDS instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
HANG_SECONDS = 20
SUFFIXES = (*SUPPORTED_SUFFIXES, ".docx", "")


class Hang(BaseException):  # not an Exception: no loader's ``except`` may turn it into a LoaderError
    """Raised by the timer signal when one parse runs past ``HANG_SECONDS``."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (the regex engine checks for signals while it backtracks)."""

    def interrupt(signum: int, frame: object) -> None:
        raise Hang(f"analyse interrompue après {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check(name: str, data: bytes) -> list[SourceDoc]:
    """Load ``data``: documents whose text splits into non-empty chunks, or a LoaderError naming the file."""
    try:
        with _time_limit(HANG_SECONDS):
            docs = load_bytes(name, data, "fuzz/doc")
    except LoaderError as err:
        assert err.path == name and err.reason and name in str(err)
        return []
    assert docs
    for doc in docs:
        assert doc.sections and all(b and b == b.strip() for s in doc.sections for b in s.blocks)
        assert len(doc.content_hash()) == 64  # the text is encodable: what the pipeline hashes and stores
        chunks = split_document(doc, SplitParams())
        assert chunks and all(c.text.strip() and c.doc_id == doc.doc_id for c in chunks)
    return docs


# Text: any code point (NUL included), long runs of one character, Markdown and HTML punctuation.
_char_runs = st.builds(lambda c, n: c * n, st.sampled_from(" #[](|-*`<>&\t\x00é\u2028"), st.integers(1, 30_000))
_texts = st.one_of(st.text(max_size=300), _char_runs, st.lists(st.one_of(st.text(max_size=40), _char_runs), max_size=4))
_texts = _texts.map(lambda t: "".join(t) if isinstance(t, list) else t)


def _corrupt(data: bytes, cut: int, junk: bytes) -> bytes:
    """Insert ``junk`` (invalid UTF-8, NUL…) at a position derived from ``cut``."""
    at = cut % (len(data) + 1)
    return data[:at] + junk + data[at:]


_junk = st.one_of(st.just(b""), st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80" * 3]))


@BUDGET
@given(name=st.sampled_from(SUFFIXES).map(lambda s: f"fichier{s}"), data=st.binary(max_size=3000))
def test_arbitrary_bytes_in_every_format(name: str, data: bytes) -> None:
    _check(name, data)


@BUDGET
@given(
    suffix=st.sampled_from((".md", ".txt", ".html", ".xml")),
    text=_texts,
    cut=st.integers(0, 10**6),
    junk=_junk,
    bom=st.booleans(),
)
@example(suffix=".txt", text="a" * 9000 + "\x00", cut=0, junk=b"", bom=False)
@example(suffix=".md", text="titre\n\ntexte", cut=3, junk=b"\xe9", bom=True)
def test_text_with_bad_encodings_and_nul_bytes(suffix: str, text: str, cut: int, junk: bytes, bom: bool) -> None:
    data = _corrupt(text.encode("utf-8", "surrogatepass"), cut, junk)
    docs = _check(f"texte{suffix}", (b"\xef\xbb\xbf" if bom else b"") + data)
    if b"\x00" in data or junk:
        assert docs == [], "un fichier texte avec des octets nuls ou invalides doit être refusé"


# Markdown: front matter valid, broken or hostile (unknown types, bad dates, aliases, deep nesting), then a body.
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.dates(), st.binary(max_size=8)
)
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner)
)
_keys = st.sampled_from(["id", "title", "updated", "review_by", "audience", "theme", "tags", "source_url", "autre"])
_laughs = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True)
)
_HOSTILE_FRONT_MATTER = [
    "---\ntitle: sans fin\n",
    "---\nupdated: 2026-13-45\n---\n",  # a ValueError from PyYAML, not a YAMLError
    "---\nreview_by: 2026-02-30\n---\n",
    "---\n- une\n- liste\n---\n",
    "---\ntitle: !!python/object:os.system x\n---\n",
    "---\na: " + "[" * 1500 + "\n---\n",  # RecursionError
    "---\n" + "".join(" " * i + "a:\n" for i in range(1500)) + "---\n",
    f"---\n{_laughs}title: *h\ntags: *h\nupdated: *h\n---\n",  # 10^8 characters once turned into text
]
_front_matter = st.one_of(
    st.just(""),
    st.dictionaries(_keys, _values, max_size=5).map(lambda m: f"---\n{yaml.dump(m, allow_unicode=True)}---\n"),
    st.builds(lambda k, v: f"---\n{k}: {v}\n---\n", _keys, _texts),
    st.sampled_from(_HOSTILE_FRONT_MATTER),
)
_md_lines = st.one_of(
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 7), _texts),
    st.builds(lambda t: f"- {t}", _texts),
    st.builds(lambda cells: "|" + "|".join(cells) + "|", st.lists(_texts, max_size=4)),
    st.just("|---|---|"),
    st.builds(lambda a, b: f"[{a}]({b})", _texts, _texts),
    st.just(""),
    _texts,
)


@BUDGET
@given(front=_front_matter, lines=st.lists(_md_lines, max_size=12), junk=_junk, cut=st.integers(0, 10**6))
@example(front="", lines=["# x" + " " * 5000 + "y"], junk=b"", cut=0)  # the heading regex backtracked cubically
@example(front=_HOSTILE_FRONT_MATTER[1], lines=["texte"], junk=b"", cut=0)
@example(front=_HOSTILE_FRONT_MATTER[5], lines=["texte"], junk=b"", cut=0)
@example(front=_HOSTILE_FRONT_MATTER[7], lines=["texte"], junk=b"", cut=0)
@example(front="", lines=["[" * 50_000], junk=b"", cut=0)
@example(front="", lines=["[a](" * 20_000], junk=b"", cut=0)
def test_markdown_with_broken_front_matter(front: str, lines: list[str], junk: bytes, cut: int) -> None:
    data = (front + "\n".join(lines)).encode("utf-8", "surrogatepass")
    _check("fiche.md", _corrupt(data, cut, junk))


@BUDGET
@given(
    updated=st.one_of(st.dates(), st.text(max_size=12)),
    review_by=st.one_of(st.none(), st.dates()),
    body=st.text(st.characters(categories=("L", "N")), min_size=1, max_size=200),
)
def test_valid_front_matter_is_kept(updated: dt.date | str, review_by: dt.date | None, body: str) -> None:
    front = yaml.dump({"id": "x/y", "title": "Titre", "updated": updated, "review_by": review_by}, allow_unicode=True)
    docs = _check("fiche.md", f"---\n{front}---\n{body}".encode())
    if isinstance(updated, dt.date):
        (doc,) = docs
        assert (doc.doc_id, doc.meta.title, doc.meta.updated) == ("x/y", "Titre", updated.isoformat())
        assert doc.meta.review_by == (review_by.isoformat() if review_by else "") and doc.sections[0].blocks == [body]


# DILA XML: a <Publication> tree of the real element names, with text escaped or not, then maybe corrupted.
_DILA_TAGS = [
    "Situation", "Chapitre", "SousChapitre", "Cas", "ANoter", "Texte", "BlocCas", "ListeSituations", "Introduction",
    "Paragraphe", "Liste", "Item", "Tableau", "Rangée", "Cellule", "Titre", "OuSAdresser", "ServiceEnLigne",
    "SousDossier", "Fiche", "Niveau", "Reference", "Inconnu",
]  # fmt: skip
_xml_text = st.one_of(_texts.map(escape), _texts)
_attrs = st.dictionaries(st.sampled_from(["type", "ID", "spUrl", "URL"]), _texts.map(quoteattr), max_size=2)


def _element(tag: str, attrs: dict[str, str], children: list[str]) -> str:
    attributes = "".join(f" {k}={v}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{''.join(children)}</{tag}>"


_nodes = st.recursive(
    _xml_text,
    lambda inner: st.builds(_element, st.sampled_from(_DILA_TAGS), _attrs, st.lists(inner, max_size=4)),
    max_leaves=25,
)
_XXE = '<!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
_LAUGHS = "<!DOCTYPE p [<!ENTITY a 'xxxxxxxxxx'>" + "".join(
    f"<!ENTITY {n} '{('&' + p + ';') * 10}'>" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@BUDGET
@given(
    doctype=st.sampled_from(["", _XXE, _LAUGHS + "]>"]),
    fiche_id=st.one_of(st.just("F1"), _texts),
    title=_xml_text,
    date=st.one_of(st.just("2024-01-31"), st.text(max_size=12).map(escape)),
    body=st.lists(_nodes, max_size=5),
    junk=st.one_of(_junk, st.just(b"</Publication>"), st.just(b"&i;"), st.just(b"&e;")),
    cut=st.integers(0, 10**6),
)
@example(doctype="", fiche_id="F1", title="Titre", date="2024-01-31", body=[], junk=b"", cut=0)  # no text at all
def test_dila_xml_malformed_or_hostile(
    doctype: str, fiche_id: str, title: str, date: str, body: list[str], junk: bytes, cut: int
) -> None:
    xml = (
        f"<?xml version='1.0' encoding='UTF-8'?>{doctype}<Publication ID={quoteattr(fiche_id)} "
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title><dc:date>{date}</dc:date>'
        f"{''.join(body)}</Publication>"
    )
    data = xml.encode("utf-8", "surrogatepass")
    docs = _check("F1.xml", _corrupt(data, cut, junk) if junk else data)
    for doc in docs:
        assert not any("root:" in b for s in doc.sections for b in s.blocks)  # no external entity was read
        assert max(len(b) for s in doc.sections for b in s.blocks) < 1_000_000  # no entity expansion


# HTML: tags the loader treats specially, unclosed or misnested, with dates and links in the head.
_HTML_TAGS = ["main", "article", "body", "h1", "h2", "h3", "p", "li", "ul", "table", "tr", "td", "th", "nav", "div"]
_html_nodes = st.recursive(
    _texts.map(escape),
    lambda inner: st.builds(
        lambda tag, kids, close: f"<{tag}>{''.join(kids)}" + (f"</{tag}>" if close else ""),
        st.sampled_from(_HTML_TAGS),
        st.lists(inner, max_size=4),
        st.booleans(),
    ),
    max_leaves=25,
)


@BUDGET
@given(
    title=_texts,
    modified=_texts,
    body=st.lists(_html_nodes, max_size=5),
    junk=_junk,
    cut=st.integers(0, 10**6),
)
@example(title="t", modified="x", body=["<div>" * 5000 + "texte"], junk=b"", cut=0)
def test_html_malformed(title: str, modified: str, body: list[str], junk: bytes, cut: int) -> None:
    html = (
        f"<html><head><title>{title}</title><meta name='dcterms.modified' content={quoteattr(modified)}>"
        f"<link rel='canonical' href='/x'></head><body>{''.join(body)}</body></html>"
    )
    _check("page.html", _corrupt(html.encode("utf-8", "surrogatepass"), cut, junk))


def _pdf(text: bytes, title: bytes) -> bytes:
    """A one-page PDF with a text layer and an /Info title, written by hand."""
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (" + title + b") >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


_pdf_bytes = st.binary(max_size=60) | st.sampled_from([b"\\", b"(", b")", b"\\377\\376", b"\xfe\xff\xd8\x00", b"\x00"])


@BUDGET
@given(
    text=_pdf_bytes,
    title=_pdf_bytes,
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
@example(text=b"Le marche", title=b"Titre", edits=[], cut=None)
@example(text=b"Le marche", title=b"Titre", edits=[(444, ord("0"))], cut=None)  # xref: pypdf's LimitReachedError
# The line before « trailer » damaged: pypdf reads a number where a dictionary is and fails with AttributeError.
@example(text=b"Bonjour", title=b"Titre", edits=[(591, ord("."))], cut=None)
def test_pdf_mutated(text: bytes, title: bytes, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(_pdf(text, title))
    for at, value in edits:
        data[at % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    _check("note.pdf", bytes(data))
