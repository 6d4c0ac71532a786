"""The demo corpus as a commune's website serves it: ``python -m eval.website --out DIR [--style legacy|modern]``.

A commune often gives the assistant its own web pages, saved as HTML, rather than clean Markdown. Each page then
carries the site's template around its text: a header with the logo and the phone number, a menu of every section,
a breadcrumb, a cookie banner, print and share tools, a side column (« En un clic », the next events), a footer with
the town hall's address and the legal links. This writes every Markdown document of ``corpus/`` as such a page
(``DIR/<id>.html``, so the document ids and the evaluation sets' gold sources stay the same; the canonical link is
the document's ``source_url``), in one of two templates:

- ``legacy``: an older CMS, all ``<div>`` with French class names, no ``<main>``, ``<nav>``, ``<header>`` or
  ``<footer>``; menus are lists of links, the content sits in ``<div id="contenu">``;
- ``modern``: semantic tags and ARIA roles, but the cookie banner, the share tools, a « Sur le même sujet » list of
  links and a « Cette page vous a-t-elle été utile ? » form sit inside ``<main>``.

The text of the pages is the corpus's own (rendered with markdown-it); the template's words are this module's, the
same on every page, as on a real site. ``eval/datasets/dev.jsonl``'s questions on the demo corpus then measure how
much of the drafts' quality survives the web template (see the README, « Pages web d'une commune »).
"""

from __future__ import annotations

import argparse
import html
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from ingest.loaders.markdown import split_front_matter

STYLES = ("legacy", "modern")
COMMUNE = "Belval-sur-Ornette"
SITE = "https://www.belval-sur-ornette.example"

# The template's own words: on every page of the site, never an answer to a question.
_COOKIES = (
    "Ce site utilise des cookies pour mesurer son audience et vous proposer des vidéos. Vous pouvez accepter ou "
    "refuser ces cookies, ou choisir ceux que vous autorisez."
)
_QUICK_LINKS = ("Démarches en ligne", "Payer la cantine", "Signaler un problème", "Agenda", "Kiosque")
_AGENDA = (
    ("Concert de l'harmonie municipale", "Samedi 19 décembre à 20 h 30, église Saint-Martin. Entrée libre."),
    ("Collecte de jouets", "Jusqu'au 20 décembre, déposez vos jouets en bon état dans le hall de la mairie."),
)
_LEGAL = ("Mentions légales", "Accessibilité : partiellement conforme", "Plan du site", "Gestion des cookies")


@dataclass
class Page:
    """One corpus document, ready to be wrapped in the site's template."""

    doc_id: str
    title: str
    theme: str
    url: str
    updated: str
    body_html: str


def read_corpus(corpus: Path) -> list[Page]:
    """Every Markdown document of ``corpus`` rendered to HTML (tables included), with its front matter."""
    md = MarkdownIt("commonmark").enable("table")
    pages = []
    for path in sorted(corpus.rglob("*.md")):
        meta, body = split_front_matter(str(path), path.read_text(encoding="utf-8"))
        doc_id = str(meta.get("id") or path.relative_to(corpus).with_suffix("").as_posix())
        pages.append(
            Page(
                doc_id=doc_id,
                title=str(meta.get("title") or doc_id),
                theme=str(meta.get("theme") or doc_id.split("/")[0].capitalize()),
                url=str(meta.get("source_url") or f"{SITE}/{doc_id}"),
                updated=str(meta.get("updated") or ""),
                body_html=md.render(body),
            )
        )
    return pages


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _menu(pages: Sequence[Page]) -> str:
    """The site's menu: each theme and the titles of its pages, all links."""
    by_theme: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_theme[page.theme].append(page)
    items = []
    for theme, members in sorted(by_theme.items()):
        links = "".join(f'<li><a href="/{p.doc_id}.html">{_e(p.title)}</a></li>' for p in members)
        items.append(f'<li class="niveau1"><a href="#">{_e(theme)}</a><ul class="sous-menu">{links}</ul></li>')
    return f'<ul class="menu-principal">{"".join(items)}</ul>'


def _agenda() -> str:
    return "".join(f"<h3>{_e(title)}</h3><p>{_e(text)}</p>" for title, text in _AGENDA)


def _footer_text() -> str:
    return (
        f"<p>Mairie de {COMMUNE}<br>1 place de la République<br>Téléphone : 01 99 00 10 00</p>"
        + "<ul>"
        + "".join(f'<li><a href="#">{_e(x)}</a></li>' for x in _LEGAL)
        + "</ul>"
    )


def _related(page: Page, pages: Sequence[Page]) -> str:
    siblings = [p for p in pages if p.theme == page.theme and p.doc_id != page.doc_id][:4]
    return "".join(f'<li><a href="/{p.doc_id}.html">{_e(p.title)}</a></li>' for p in siblings)


def legacy(page: Page, pages: Sequence[Page]) -> str:
    """An older CMS's page: divs with class names only."""
    quick = "".join(f'<li><a href="#">{_e(x)}</a></li>' for x in _QUICK_LINKS)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{_e(page.title)} - Mairie de {COMMUNE}</title>
<meta name="dcterms.modified" content="{_e(page.updated)}"><link rel="canonical" href="{_e(page.url)}">
<script>var _paq = window._paq || []; _paq.push(['trackPageView']);</script></head>
<body>
<div class="liens-evitement"><a href="#contenu">Aller au contenu</a> | <a href="#menu">Aller au menu</a></div>
<div id="tarteaucitronRoot"><div id="tarteaucitronAlertBig"><span id="tarteaucitronDisclaimerAlert">{_COOKIES}</span>
<button id="tarteaucitronPersonalize">Tout accepter</button><button>Personnaliser</button></div></div>
<div id="entete"><div class="logo"><a href="/">Mairie de {COMMUNE}</a></div>
<div class="bandeau-contact">Une question ? Appelez le 01 99 00 10 00</div>
<div class="recherche"><form action="/recherche"><label>Rechercher sur le site</label><input name="q">
<button>OK</button></form></div></div>
<div id="menu">{_menu(pages)}</div>
<div class="fil-ariane"><a href="/">Accueil</a> &gt; <a href="#">{_e(page.theme)}</a> &gt; {_e(page.title)}</div>
<div id="page"><div class="colonne-gauche">
<div class="outils"><a href="javascript:window.print()">Imprimer</a> <a href="#">Partager sur Facebook</a>
<a href="#">Envoyer à un ami</a> <a href="#">Agrandir le texte</a></div>
<div id="contenu" class="contenu">{page.body_html}
<div class="voir-aussi"><h2>Voir aussi</h2><ul>{_related(page, pages)}</ul></div>
<p class="maj">Mise à jour le {_e(page.updated)}</p></div></div>
<div class="colonne-droite"><div class="bloc"><h2>En un clic</h2><ul>{quick}</ul></div>
<div class="bloc agenda"><h2>Agenda</h2>{_agenda()}</div></div></div>
<div id="pied">{_footer_text()}<p><a href="#entete">Haut de page</a></p></div>
</body></html>
"""


def modern(page: Page, pages: Sequence[Page]) -> str:
    """A recent CMS's page: semantic tags, but tools, banners and related links inside ``<main>``."""
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{_e(page.title)} | {COMMUNE}</title>
<meta name="dcterms.modified" content="{_e(page.updated)}"><link rel="canonical" href="{_e(page.url)}"></head>
<body>
<a class="sr-only" href="#main">Aller au contenu principal</a>
<header role="banner"><p class="site-name">{COMMUNE}</p>
<nav role="navigation" aria-label="Menu principal">{_menu(pages)}</nav></header>
<main id="main" role="main">
<div class="cookie-banner" role="dialog" aria-label="Cookies"><p>{_COOKIES}</p>
<button>Accepter</button> <button>Refuser</button></div>
<nav aria-label="Fil d'Ariane" class="breadcrumb"><ol><li><a href="/">Accueil</a></li>
<li><a href="#">{_e(page.theme)}</a></li><li aria-current="page">{_e(page.title)}</li></ol></nav>
<div class="share-tools"><ul><li><a href="#">Partager sur Facebook</a></li><li><a href="#">Partager sur X</a></li>
<li><a href="#">Imprimer</a></li></ul></div>
<article class="page-content">{page.body_html}</article>
<section class="related"><h2>Sur le même sujet</h2><ul>{_related(page, pages)}</ul></section>
<form class="feedback"><fieldset><legend>Cette page vous a-t-elle été utile ?</legend>
<label><input type="radio" name="utile"> Oui</label><label><input type="radio" name="utile"> Non</label>
</fieldset></form>
<p class="updated">Publié le {_e(page.updated)}</p>
</main>
<aside class="sidebar"><h2>Agenda</h2>{_agenda()}</aside>
<footer role="contentinfo">{_footer_text()}</footer>
</body></html>
"""


TEMPLATES = {"legacy": legacy, "modern": modern}


def write_site(corpus: Path, out: Path, style: str) -> int:
    """Write every corpus document as a page of the ``style`` template under ``out``; return the page count."""
    pages = read_corpus(corpus)
    render = TEMPLATES[style]
    for page in pages:
        target = out / f"{page.doc_id}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(page, pages), encoding="utf-8")
    return len(pages)


def main(argv: Sequence[str] | None = None) -> None:
    """Write the demo corpus as a website's pages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--style", choices=STYLES, default="legacy")
    args = parser.parse_args(argv)
    count = write_site(args.corpus, args.out, args.style)
    sys.stdout.write(f"{count} pages écrites dans {args.out} (gabarit {args.style})\n")


if __name__ == "__main__":
    main()
