"""FAQ pages saved as HTML (server/core/desk/faq_html.py) and their import (faq_io, ``accueil faq import page.html``).

Hand-written pages of the demo's fictional commune, one a markup pattern, read by the real parser; the imports go
into a real SQLite base, their sources checked against the demo corpus's documents (test_faq_io's fixtures), and the
slow test runs the command on a real index of the demo corpus.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from server.core.desk import faq, faq_formats, faq_io
from server.core.desk.db import Database
from server.core.desk.faq_html import Page, Pair, read_page
from server.core.desk.faq_report import COMMAND, Wording
from server.core.errors import InputError
from server.web.routes.faq_files import FORM
from tests import test_faq_io
from tests.conftest import accueil, settings_for
from tests.test_faq_io import HOURS, _all

docs = test_faq_io.docs  # the demo corpus's documents, as an index's manifest lists them
db = test_faq_io.db  # a real SQLite base under tmp_path

BIRTH = "etat-civil/acte-de-naissance"


def page(body: str, head: str = "", charset: str = "utf-8") -> str:
    """A whole HTML page around ``body``."""
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="{charset}"><title>Questions fréquentes</title>'
        f"{head}</head><body>{body}</body></html>"
    )


def read(html: str) -> Page:
    return read_page(html.encode("utf-8"), "faq.html")


def questions(result: Page) -> list[str]:
    return [p.question for p in result.pairs]


# --- the five patterns ------------------------------------------------------------------------------------------

JSONLD_GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "name": "Questions fréquentes", "url": "https://www.belval-sur-ornette.example/faq"},
        {
            "@type": "FAQPage",
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": "Où retirer un sac de tri ?",
                    "acceptedAnswer": {
                        "@type": "Answer",
                        "text": "<p>Au local technique, rue des Tanneurs.</p><ul><li>le mercredi matin</li>"
                        "<li>le samedi de 9 h à 11 h</li></ul>",
                    },
                },
                {
                    "@type": "Question",
                    "name": "La déchetterie est-elle ouverte le dimanche ?",
                    "acceptedAnswer": {"@type": "Answer", "text": "Non.\n\nElle ouvre du mardi au samedi."},
                },
            ],
        },
    ],
}
JSONLD_LIST = [
    {"@context": "https://schema.org", "@type": "Organization", "name": "Mairie de Belval-sur-Ornette"},
    {
        "@context": "https://schema.org",
        "@type": ["WebPage", "FAQPage"],
        "mainEntity": {
            "@type": "Question",
            "name": "Faut-il s&#39;inscrire pour le ramassage des encombrants ?",
            "acceptedAnswer": [{"@type": "Answer", "text": "Oui, par téléphone, une semaine avant."}],
        },
    },
]


def test_schema_org_faqpage_wins_over_the_same_faq_shown_as_accordions() -> None:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
        for data in (JSONLD_GRAPH, JSONLD_LIST)
    )
    broken = '<script type="application/ld+json">{"@type": "FAQPage", </script>'
    accordion = (
        '<main><h2>Déchets</h2><button aria-controls="r1" aria-expanded="false">Où retirer un sac de tri ?</button>'
        '<div id="r1"><p>Au local technique.</p></div></main>'
    )
    result = read(page(accordion + scripts, head=broken))
    assert result.markup == "données schema.org FAQPage"
    assert result.pairs == [
        Pair(
            "Où retirer un sac de tri ?",
            "Au local technique, rue des Tanneurs.\n\n- le mercredi matin\n- le samedi de 9 h à 11 h",
        ),
        Pair("La déchetterie est-elle ouverte le dimanche ?", "Non.\n\nElle ouvre du mardi au samedi."),
        Pair("Faut-il s'inscrire pour le ramassage des encombrants ?", "Oui, par téléphone, une semaine avant."),
    ]


def test_details_give_pairs_with_their_section_as_theme() -> None:
    body = """<main><h1>Foire aux questions</h1>
    <h2>Salle des fêtes</h2>
    <details><summary>Qui peut louer la salle des fêtes ?</summary>
      <p>Les habitants de la commune et les associations.</p>
      <p>Les entreprises, en semaine seulement.</p></details>
    <details><summary><h3>Quel est le tarif ?</h3></summary>
      <table><tr><th>Durée</th><th>Habitants</th><th>Extérieurs</th></tr>
      <tr><td>Journée</td><td>150 €</td><td>300 €</td></tr>
      <tr><td>Week-end</td><td>250 €</td><td>500 €</td></tr></table></details>
    <details><summary>Peut-on visiter la salle avant de réserver ?</summary></details>
    </main>"""
    result = read(page(body))
    assert result.markup == "blocs <details>"
    assert result.pairs == [
        Pair(
            "Qui peut louer la salle des fêtes ?",
            "Les habitants de la commune et les associations.\n\nLes entreprises, en semaine seulement.",
            "Salle des fêtes",
        ),
        Pair(
            "Quel est le tarif ?",
            "Durée ; Habitants ; Extérieurs\nJournée ; 150 € ; 300 €\nWeek-end ; 250 € ; 500 €",
            "Salle des fêtes",
        ),
        Pair("Peut-on visiter la salle avant de réserver ?", "", "Salle des fêtes"),  # refused at import
    ]


def test_a_definition_list_of_questions_but_not_one_of_contacts() -> None:
    body = """<main>
    <dl class="contact"><dt>Téléphone</dt><dd>01 02 03 04 05</dd><dt>Courriel</dt><dd>accueil@exemple.fr</dd></dl>
    <h2>Cimetière</h2>
    <dl>
      <dt>Comment acheter une concession ?</dt><dd>Adressez-vous à l'accueil de la mairie.</dd>
        <dd>Le règlement du cimetière vous sera remis.</dd>
      <div><dt>Quelles sont les durées possibles ?</dt><dd><ol><li>15 ans</li><li>30 ans</li></ol></dd></div>
    </dl></main>"""
    result = read(page(body))
    assert result.markup == "liste <dl>"
    assert result.pairs == [
        Pair(
            "Comment acheter une concession ?",
            "Adressez-vous à l'accueil de la mairie.\n\nLe règlement du cimetière vous sera remis.",
            "Cimetière",
        ),
        Pair("Quelles sont les durées possibles ?", "- 15 ans\n- 30 ans", "Cimetière"),
    ]


CMS_PAGE = page(
    head='<link rel="canonical" href="https://www.belval-sur-ornette.example/faq">'
    '<meta property="og:url" content="https://www.belval-sur-ornette.example/autre">',
    body="""
<a class="skip-link" href="#contenu">Aller au contenu ?</a>
<div id="tarteaucitronRoot"><div class="tac-banner"><h2>Acceptez-vous les cookies ?</h2>
  <p>Ce site dépose des traceurs de mesure d'audience.</p>
  <button aria-controls="tac-details" aria-expanded="false">Que fait chaque traceur ?</button>
  <div id="tac-details"><p>Mesure d'audience anonyme du site.</p></div></div></div>
<header class="site-header"><a href="/" class="logo">Mairie de Belval-sur-Ornette</a>
  <button class="burger" aria-controls="menu-principal" aria-expanded="false">Ouvrir le menu ?</button>
  <nav id="menu-principal"><ul>
    <li><button aria-controls="sous-menu-1" aria-expanded="false">Vie municipale ?</button>
      <ul id="sous-menu-1"><li><a href="/conseil">Conseil municipal</a></li></ul></li>
    <li><a href="/demarches">Vos démarches</a></li></ul></nav></header>
<div class="breadcrumb"><a href="/">Accueil</a> › <a href="/mairie">Mairie ?</a></div>
<main id="contenu" role="main">
  <h1>Foire aux questions</h1>
  <p>Sommaire : <a href="#etat-civil">État civil</a>, <a href="#ecole">École</a></p>
  <h2 id="etat-civil">État civil</h2>
  <div class="accordion">
    <div class="accordion-item">
      <h3 class="accordion-header"><button class="accordion-button" type="button" data-bs-toggle="collapse"
          data-bs-target="#q-naissance" aria-expanded="false" aria-controls="q-naissance">
          Comment obtenir une copie d'acte de naissance&nbsp;? <span class="visually-hidden">Afficher</span>
      </button></h3>
      <div id="q-naissance" class="accordion-collapse collapse"><div class="accordion-body">
        <p>En ligne ou au guichet de l'état civil.</p>
        <p>Munissez-vous :</p><ul><li>de votre pièce d'identité ;</li><li>du livret de famille.</li></ul>
      </div></div>
    </div>
    <div class="accordion-item">
      <h3 class="accordion-header"><a href="#q-deces" class="accordion-toggle" role="button">Déclarer un décès</a></h3>
      <div id="q-deces" hidden>Dans les 24 heures, à la mairie du lieu du décès.</div>
    </div>
  </div>
  <h2 id="ecole">École et périscolaire</h2>
  <section class="fr-accordion">
    <h3 class="fr-accordion__title"><button class="fr-accordion__btn" aria-expanded="false"
        aria-controls="q-cantine">Comment inscrire mon enfant à la cantine ?</button></h3>
    <div class="fr-collapse" id="q-cantine"><p>Avec le dossier unique d'inscription,<br>avant le 30 juin.</p></div>
  </section>
  <form action="/lettre"><label>Votre courriel</label><input type="email">
    <button type="button" aria-controls="aide-lettre">Que contient la lettre ?</button>
    <div id="aide-lettre">Aide : une lettre par mois.</div></form>
</main>
<aside class="sidebar"><h2>Agenda ?</h2><p>Marché de Noël le 12 décembre.</p></aside>
<footer><h2>Nous contacter ?</h2><p>1 place de la Mairie. Mentions légales.</p>
  <button aria-controls="plan-site">Plan du site ?</button><div id="plan-site">Accès rapides</div></footer>
<script>var tarteaucitronQuestion = "Comment ça marche ?";</script>
""",
)


def test_a_cms_page_gives_its_accordions_and_nothing_of_its_menu_banner_or_footer() -> None:
    result = read(CMS_PAGE)
    assert result.markup == "accordéons"
    assert result.url == "https://www.belval-sur-ornette.example/faq"  # canonical before og:url
    assert result.pairs == [
        Pair(
            "Comment obtenir une copie d'acte de naissance ?",
            "En ligne ou au guichet de l'état civil.\n\nMunissez-vous :\n\n"
            "- de votre pièce d'identité ;\n- du livret de famille.",
            "État civil",
        ),
        Pair("Déclarer un décès", "Dans les 24 heures, à la mairie du lieu du décès.", "État civil"),
        Pair(
            "Comment inscrire mon enfant à la cantine ?",
            "Avec le dossier unique d'inscription,\navant le 30 juin.",
            "École et périscolaire",
        ),
    ]
    text = "\n".join(f"{p.question}\n{p.answer}\n{p.theme}" for p in result.pairs)
    for chrome in ("cookie", "traceur", "menu", "Vie municipale", "Conseil", "Mairie ?", "Agenda", "Noël"):
        assert chrome not in text
    for chrome in ("contacter", "Mentions", "Plan du site", "Accès rapides", "Aller au contenu", "Sommaire", "lettre"):
        assert chrome not in text


def test_tabs_of_accordions_and_nested_details_name_the_theme_of_their_questions() -> None:
    tabs = """<main><h2>Vos questions</h2><ul role="tablist">
      <li><button role="tab" aria-controls="t1">Petite enfance</button></li>
      <li><button role="tab" aria-controls="t2">Seniors</button></li></ul>
    <div id="t1" role="tabpanel"><h3><button aria-controls="a1">Quand la crèche ouvre-t-elle ?</button></h3>
      <div id="a1">De 7 h 30 à 18 h 30.</div></div>
    <div id="t2" role="tabpanel"><h3>Portage de repas</h3>
      <h4><button aria-controls="a2">Qui livre les repas ?</button></h4><div id="a2">Le centre communal.</div></div>
    </main>"""
    assert [(p.question, p.theme) for p in read(page(tabs)).pairs] == [
        ("Quand la crèche ouvre-t-elle ?", "Petite enfance"),
        ("Qui livre les repas ?", "Portage de repas"),  # a heading inside the tab is nearer than the tab
    ]
    nested = "<details><summary>Sport</summary><details><summary>Où est le gymnase ?</summary>Rue Haute.</details>"
    assert read(page(f"<h2>Loisirs</h2>{nested}</details>")).pairs == [
        Pair("Où est le gymnase ?", "Rue Haute.", "Sport")
    ]


def test_headings_that_ask_a_question_are_answered_by_what_follows_them() -> None:
    body = """<div class="content"><h1>Questions fréquentes</h1>
    <details><summary>Le mot du maire</summary><p>Bonne lecture.</p></details>
    <h2>Urbanisme</h2>
    <h3>Faut-il une autorisation pour une clôture ?</h3>
    <p>Oui, une déclaration préalable.</p>
    <h4>Cas particulier</h4>
    <p>En secteur protégé, l'avis de l'architecte des bâtiments de France est requis.</p>
    <h3>Où consulter le plan local d'urbanisme ?</h3>
    <div class="wysiwyg">Au service urbanisme, <strong>sur rendez-vous</strong>.
      <ul><li>mardi</li><li>jeudi</li></ul></div>
    <h2>Voirie</h2>
    <p>La voirie communale est entretenue par les services techniques.</p>
    <h3>Qui déneige les trottoirs ?</h3>
    <p>Chaque riverain, devant chez lui.</p>
    <h2>Associations ?</h2>
    <h3>Comment demander une subvention ?</h3>
    <p>Par le dossier annuel, avant le 31 janvier.</p>
    </div>"""
    result = read(page(body))
    assert result.markup == "titres en forme de question", "a <details> that asks nothing is not the FAQ"
    assert result.pairs == [
        Pair(
            "Faut-il une autorisation pour une clôture ?",
            "Oui, une déclaration préalable.\n\nCas particulier\n\n"
            "En secteur protégé, l'avis de l'architecte des bâtiments de France est requis.",
            "Urbanisme",
        ),
        Pair(
            "Où consulter le plan local d'urbanisme ?",
            "Au service urbanisme, sur rendez-vous.\n\n- mardi\n- jeudi",
            "Urbanisme",
        ),
        Pair("Qui déneige les trottoirs ?", "Chaque riverain, devant chez lui.", "Voirie"),
        # « Associations ? » holds questions: a section, and being a question it is no theme (Voirie is further up)
        Pair("Comment demander une subvention ?", "Par le dossier annuel, avant le 31 janvier.", "Voirie"),
    ]


@pytest.mark.parametrize("declared", ["windows-1252", "iso-8859-1"])
def test_a_page_in_windows_1252_is_read_as_such(declared: str) -> None:
    html = page(
        "<main><h2>Élections</h2><details><summary>Où est le bureau de vote n° 2 ?</summary>"
        "<p>À l’école des Tilleuls, salle d’œuvres – entrée côté cour.</p></details></main>",
        charset=declared,
    )
    result = read_page(html.encode("cp1252"), "faq.html")
    assert result.pairs == [
        Pair(
            "Où est le bureau de vote n° 2 ?", "À l’école des Tilleuls, salle d’œuvres – entrée côté cour.", "Élections"
        )
    ]


def test_a_page_re_encoded_in_utf8_under_its_old_charset_is_read_as_utf8() -> None:
    html = page("<details><summary>Où voter ?</summary>À l’école.</details>", charset="windows-1252")
    assert read_page(html.encode("utf-8"), "faq.html").pairs == [Pair("Où voter ?", "À l’école.")]


def test_a_page_without_a_faq_is_a_clear_error() -> None:
    body = (
        "<nav><details><summary>Menu ?</summary><a href='/'>Accueil</a></details></nav>"
        "<main><h1>Bienvenue à Belval-sur-Ornette</h1><h2>Actualités</h2><p>Le marché a lieu le jeudi.</p></main>"
    )
    with pytest.raises(InputError, match=r"^Aucune question trouvée dans faq\.html : ni données schema\.org"):
        read(page(body))


# --- import -----------------------------------------------------------------------------------------------------


def faq_page(url: str | None, answers: dict[str, str]) -> str:
    """A page of <details>, one a question, with ``url`` as its canonical link."""
    head = f'<link rel="canonical" href="{url}">' if url else ""
    items = "".join(f"<details><summary>{q}</summary>{a}</details>" for q, a in answers.items())
    return page(f"<main><h2>Mairie</h2>{items}</main>", head=head)


def write(tmp_path: Path, html: str, name: str = "faq.html") -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def test_an_html_page_imports_with_its_link_as_source_and_a_second_import_changes_nothing(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        faq_page(
            docs[HOURS]["url"],
            {
                "Quand la mairie est-elle ouverte ?": "<p>Du lundi au vendredi.</p><ul><li>8 h 30 - 12 h</li></ul>",
                "Peut-on venir sans rendez-vous ?": "",
                "QUAND la mairie  est-elle ouverte ?": "<p>Le matin.</p>",
                "Où se garer ?": "<p>Parking de la place.</p>",
            },
        ),
        "faq.htm",
    )
    with db.session() as session:
        report = faq_io.import_file(session, path, docs, "chef")
    assert report.added == ["Quand la mairie est-elle ouverte ?", "Où se garer ?"]
    assert [(r.number, r.reason) for r in report.refused] == [
        (2, "Aucune réponse dans la page pour « Peut-on venir sans rendez-vous ? »."),
        (3, "Même question que la question 1."),
    ]
    assert "  ✗ question 3 : Même question que la question 1." in report.lines()
    assert "questions refusées : 2." in report.lines()[0]
    with db.session() as session:
        entries = _all(session)
        assert [(e.question, e.answer, e.theme, e.published) for e in entries] == [
            ("Quand la mairie est-elle ouverte ?", "Du lundi au vendredi.\n\n- 8 h 30 - 12 h", "Mairie", True),
            ("Où se garer ?", "Parking de la place.", "Mairie", True),
        ]
        assert [s["doc_id"] for s in entries[0].sources] == [HOURS]
    with db.session() as session:
        again = faq_io.import_file(session, path, docs, "chef")
    assert not again.changed and again.unchanged == 2
    with db.session() as session:
        assert {e.version for e in _all(session)} == {2}, "a second import wrote a new version"


def test_draft_and_the_source_given_for_a_page_without_a_link(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = write(tmp_path, faq_page(None, {"Comment déclarer une naissance ?": "<p>Dans les cinq jours.</p>"}))
    with pytest.raises(InputError, match="--source"), db.session() as session:
        faq_io.import_file(session, path, docs, "chef")
    with db.session() as session:
        assert _all(session) == [], "nothing is written when the page has no source"
        report = faq_io.import_file(session, path, docs, "chef", draft=True)
    assert report.added == ["Comment déclarer une naissance ?"]
    with db.session() as session:
        (entry,) = _all(session)
        assert not entry.published and entry.sources == []
    with db.session() as session:
        report = faq_io.import_file(session, path, docs, "chef", source=BIRTH)
    assert report.updated == ["Comment déclarer une naissance ?"]
    with db.session() as session:
        (entry,) = _all(session)
        assert entry.published and [s["doc_id"] for s in entry.sources] == [BIRTH]
        assert [v.action for v in faq.history(session, entry)] == ["creee", "modifiee", "publiee"]


SOURCE = "« Source (lien ou document) »"


@pytest.mark.parametrize(
    ("wording", "give_source", "as_draft", "draft"),
    [
        (COMMAND, "avec --source LIEN_OU_DOCUMENT", "importez avec --draft", "--draft"),
        (FORM, f"dans le champ {SOURCE}", "cochez « Laisser les entrées en brouillon »", "brouillon"),
    ],
)
def test_messages_name_the_options_as_the_command_or_the_page_does(
    db: Database, docs: dict[str, dict[str, Any]], wording: Wording, give_source: str, as_draft: str, draft: str
) -> None:
    unlinked = faq_page(None, {"Comment déclarer une naissance ?": "<p>Dans les cinq jours.</p>"}).encode()
    with pytest.raises(InputError) as refused, db.session() as session:
        faq_io.import_data(session, unlinked, "faq.html", docs, "chef", wording=wording)
    assert refused.value.message == (
        'La page n\'indique pas son lien (<link rel="canonical"> ou og:url) : donnez sa source '
        f"{give_source}, ou {as_draft}."
    )
    unsourced = b'{"question": "Horaires ?", "answer": "Le matin."}\n'
    with db.session() as session:
        report = faq_io.import_data(session, unsourced, "faq.jsonl", docs, "chef", wording=wording)
        assert [r.reason for r in report.refused] == [
            f"Une entrée publiée doit citer au moins une source (ou {as_draft})."
        ]
        report = faq_io.import_data(session, unlinked, "faq.html", docs, "chef", draft=True, wording=wording)
    assert report.lines()[-1] == f"Entrées ajoutées ou mises à jour : non publiées ({draft})."


def test_a_page_whose_source_is_not_in_the_index_imports_nothing(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = write(tmp_path, faq_page("https://www.ailleurs.example/faq", {"Horaires ?": "<p>Le matin.</p>"}))
    for draft in (False, True):
        with pytest.raises(InputError, match="^Source de la page : Aucun document de l'index n'a pour lien"):
            with db.session() as session:
                faq_io.import_file(session, path, docs, "chef", draft=draft)
    with pytest.raises(InputError, match="inconnu de l'index"), db.session() as session:
        faq_io.import_file(session, path, docs, "chef", source="nulle-part/document")
    with db.session() as session:
        assert _all(session) == []
        assert faq_io.import_file(session, path, docs, "chef", source=docs[HOURS]["url"]).added == ["Horaires ?"]


def test_html_is_read_only_and_source_is_for_html_only(db: Database, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="^L'export s'écrit en JSONL ou en CSV, pas en HTML : faq.html"):
        with db.session() as session:
            faq_io.export_file(session, tmp_path / "faq.html")
    assert not (tmp_path / "faq.html").exists()
    jsonl = tmp_path / "faq.jsonl"
    jsonl.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="^--source ne vaut que pour une page HTML"):
        faq_formats.read_file(jsonl, source=HOURS)


@pytest.mark.slow
def test_accueil_faq_import_of_an_html_page_on_the_demo_index(tmp_path: Path, demo_data: Path) -> None:
    """The command as the console script runs it, on a real index of the demo corpus and a real SQLite base."""
    settings = settings_for(tmp_path / "data")
    shutil.copytree(demo_data, settings.data_dir)
    where = ["--data-dir", str(settings.data_dir)]
    indexed = faq_io.indexed_docs(settings.index_dir)
    assert indexed is not None
    url = indexed[HOURS]["url"]
    path = write(tmp_path, CMS_PAGE.replace("https://www.belval-sur-ornette.example/faq", url))

    first = accueil("faq", "import", str(path), *where)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Entrées ajoutées : 3 ; mises à jour : 0 ;")
    assert "questions refusées : 0." in first.stdout and "Entrées ajoutées ou mises à jour : publiées." in first.stdout
    again = accueil("faq", "import", str(path), *where)
    assert again.returncode == 0 and "Rien n'a changé" in again.stdout and "inchangées : 3" in again.stdout

    path.write_text(CMS_PAGE.replace("https://www.belval-sur-ornette.example/faq", url).replace("24", "48"))
    draft = accueil("faq", "import", str(path), "--draft", *where)
    assert draft.returncode == 0, draft.stderr
    assert "  ~ Déclarer un décès" in draft.stdout and "non publiées (--draft)" in draft.stdout
    with Database(settings).session() as session:
        changed = _all(session)[1]
        assert changed.answer == "Dans les 48 heures, à la mairie du lieu du décès." and not changed.published

    elsewhere = write(tmp_path, CMS_PAGE, "autre.html")  # its canonical link is no document of the index
    refused = accueil("faq", "import", str(elsewhere), *where)
    assert refused.returncode == 1
    assert refused.stderr.startswith("Erreur : Source de la page : Aucun document de l'index n'a pour lien")
    sourced = accueil("faq", "import", str(elsewhere), "--source", BIRTH, *where)  # its answers: 24 hours again
    assert sourced.returncode == 0, sourced.stderr
    assert "mises à jour : 3" in sourced.stdout

    empty = write(tmp_path, page("<main><h1>Accueil</h1><p>Bienvenue.</p></main>"), "vide.html")
    none = accueil("faq", "import", str(empty), *where)
    assert none.returncode == 1 and "Aucune question trouvée dans vide.html" in none.stderr
    export = accueil("faq", "export", str(tmp_path / "faq.html"), *where)
    assert export.returncode == 1 and "pas en HTML" in export.stderr
    with Database(settings).session() as session:
        entries = _all(session)
        assert [(e.question, e.published) for e in entries] == [
            ("Comment obtenir une copie d'acte de naissance ?", True),
            ("Déclarer un décès", True),
            ("Comment inscrire mon enfant à la cantine ?", True),
        ]
        assert {s["doc_id"] for e in entries for s in e.sources} == {BIRTH}
        assert entries[1].answer == "Dans les 24 heures, à la mairie du lieu du décès."
        assert entries[0].theme == "État civil" and entries[2].theme == "École et périscolaire"
