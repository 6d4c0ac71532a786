"""A commune's web pages saved as HTML: their own text is read, the site's template around it is not.

On hand-made pages in the shapes older and recent CMSs give, and on the whole demo corpus written as a website in
two templates (``eval.website``): every sentence of the corpus is read from the pages, none of the template's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval import website
from ingest.loaders import load_bytes
from server.core.errors import LoaderError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

OLD_CMS = """<html><head><meta charset="windows-1252"><title>Mairie - Belval</title></head><body>
<div class="liens-evitement"><a href="#contenu">Aller au contenu</a></div>
<div id="tarteaucitronRoot"><p>Ce site utilise des cookies.</p><button>Tout accepter</button></div>
<div id="entete"><div class="logo"><a href="/">Mairie de Belval</a></div></div>
<div id="menu"><ul><li><a href="/">Accueil</a></li><li><a href="/vie">Vie pratique</a>
  <ul><li><a href="/ec">État civil</a></li><li><a href="/el">Élections</a></li></ul></li></ul></div>
<div class="fil-ariane"><a href="/">Accueil</a> &gt; <a href="/vie">Vie pratique</a> &gt; Horaires</div>
<div id="contenu"><h1>Horaires de la mairie</h1>
  <div class="outils"><a href="#">Imprimer</a> <a href="#">Partager</a> <a href="#">Envoyer à un ami</a></div>
  <div>La mairie est ouverte :<br>Lundi : 9 h - 12 h<br>Mardi : 14 h - 17 h</div>
  <div><strong>Adresse</strong> : 1 place de la République</div>
  <h2>Contact</h2>Téléphone : 01 99 00 10 00<br><br>Courriel : mairie@belval.example
  <table><tr><th>Service</th><th>Jour</th></tr><tr><td>État civil</td><td>Samedi matin</td></tr></table>
  <p class="maj">Mise à jour le 12/03/2026</p></div>
<div class="colonne-droite"><h2>Agenda</h2><p>Concert le 19 décembre.</p></div>
<div id="pied"><a href="/ml">Mentions légales</a> - <a href="/p">Plan du site</a> - <a href="/c">Contact</a></div>
</body></html>"""


def _blocks(data: bytes, name: str = "horaires.html") -> tuple[str, str, list[tuple[tuple[str, ...], str]]]:
    (doc,) = load_bytes(name, data, "horaires")
    return doc.meta.title, doc.meta.updated, [(s.path, b) for s in doc.sections for b in s.blocks]


def test_an_old_cms_page_gives_its_text_and_none_of_its_template() -> None:
    title, updated, blocks = _blocks(OLD_CMS.encode("cp1252"))
    assert title == "Horaires de la mairie"
    assert updated == "2026-03-12"  # from the page's own date line, which is no block
    assert blocks == [
        ((), "La mairie est ouverte : Lundi : 9 h - 12 h ; Mardi : 14 h - 17 h"),
        ((), "Adresse : 1 place de la République"),
        (("Contact",), "Téléphone : 01 99 00 10 00 ; Courriel : mairie@belval.example"),
        (("Contact",), "Service : État civil ; Jour : Samedi matin."),
    ]


def test_a_recent_page_drops_the_banners_and_tools_inside_its_main() -> None:
    page = """<html><head><title>Salle</title><meta name="dcterms.modified" content="2026-05-02"></head><body>
    <header role="banner"><p>Belval</p></header>
    <main><div class="cookie-banner" role="dialog"><p>Nous utilisons des cookies.</p></div>
    <nav aria-label="Fil d'Ariane"><ol><li><a href="/">Accueil</a></li></ol></nav>
    <div class="share"><ul><li><a href="#">Facebook</a></li><li><a href="#">Imprimer</a></li></ul></div>
    <article><h1>Location de la salle</h1><p>La salle coûte 150 € par jour.
    <span class="sr-only">(ouvre une nouvelle fenêtre)</span></p>
    <ul><li>Caution : 500 €</li><li>Ménage : <a href="/tarifs">voir les tarifs</a> 80 €</li></ul></article>
    <section><h2>Sur le même sujet</h2><ul><li><a href="/a">Salle des fêtes</a></li>
    <li><a href="/b">Gymnase</a></li></ul></section>
    <form><label>Cette page vous a-t-elle été utile ?</label><input type="radio"></form>
    <p>Publié le 1er mars 2025</p></main>
    <aside><p>Agenda</p></aside><footer>Mentions légales</footer></body></html>"""
    title, updated, blocks = _blocks(page.encode())
    assert title == "Location de la salle"
    assert updated == "2026-05-02"  # the head's date comes first
    assert [b for _, b in blocks] == [
        "La salle coûte 150 € par jour.",
        "- Caution : 500 €",
        "- Ménage : voir les tarifs 80 €",
    ]


def test_a_page_in_another_encoding_must_say_which() -> None:
    page = "<html><body><p>Été à la mairie.</p></body></html>"
    with pytest.raises(LoaderError, match="non UTF-8 et non déclaré"):
        load_bytes("ete.html", page.encode("latin-1"), "ete")
    declared = page.replace("<html>", '<html><head><meta charset="iso-8859-1"></head>')
    assert _blocks(declared.encode("latin-1"))[2] == [((), "Été à la mairie.")]
    with pytest.raises(LoaderError, match="binaire"):
        load_bytes("nul.html", b"<p>a\x00b</p>", "nul")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for style in website.STYLES:
        out[style] = tmp_path_factory.mktemp(style)
        assert website.write_site(CORPUS, out[style], style) == len(list(CORPUS.rglob("*.md")))
    return out


_TEMPLATE_WORDS = re.compile(
    r"cookies|Tout accepter|Aller au contenu|En un clic|Démarches en ligne|Concert de l'harmonie|Collecte de jouets"
    r"|Mentions légales|Plan du site|Partager|Imprimer|Agrandir|Mise à jour le|Publié le|Cette page vous"
    r"|Accueil >|Haut de page|Une question \\?"
)


def test_the_demo_corpus_as_a_website_reads_as_the_corpus(sites: dict[str, Path]) -> None:
    """Every block of every Markdown page is read from its web page in both templates, with its heading, title and
    date; what is read besides is a lone « related page » link (a one-item list of links is kept: it may be a
    form's name), never a word of the template."""
    titles = set()
    pages = sorted(CORPUS.rglob("*.md"))
    for md in pages:
        (doc,) = load_bytes(md.name, md.read_bytes(), md.relative_to(CORPUS).with_suffix("").as_posix())
        titles.add(doc.meta.title)
    for md in pages:
        (doc,) = load_bytes(md.name, md.read_bytes(), md.relative_to(CORPUS).with_suffix("").as_posix())
        expected = {(s.path, b) for s in doc.sections for b in s.blocks}
        h1 = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.MULTILINE)
        if h1:  # the page's title: never a heading of its sections (Markdown keeps it when the front matter differs)
            expected = {(p[1:] if p[:1] == (h1.group(1),) else p, b) for p, b in expected}
        for style, root in sites.items():
            html = root / f"{doc.doc_id}.html"
            (page,) = load_bytes(html.name, html.read_bytes(), doc.doc_id)
            read = {(s.path, b) for s in page.sections for b in s.blocks}
            assert page.meta.title == (h1.group(1) if h1 else doc.meta.title)  # the page's heading, as shown
            assert (page.meta.updated, page.meta.url) == (doc.meta.updated, doc.meta.url)
            assert expected - read == set(), (style, doc.doc_id)
            assert all(b.removeprefix("- ") in titles for _, b in read - expected), (style, doc.doc_id, read - expected)
            assert not [b for _, b in read if _TEMPLATE_WORDS.search(b)], (style, doc.doc_id)
