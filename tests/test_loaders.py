"""Each loader on real or hand-made files, and every kind of bad input named in the issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load_bytes
from server.core.errors import LoaderError

MD = """---
id: test/horaires
title: "Horaires de la mairie"
updated: 2026-10-01
review_by: 2027-10-01
audience: public
theme: horaires_contacts
tags: [horaires]
source_url: https://mairie.example/horaires
---
# Horaires de la mairie

## Accueil général

La mairie est ouverte du lundi au vendredi, de **8 h 30** à 12 h.

- Samedi : 9 h à 12 h
- Dimanche : fermé

## Tarifs

| Prestation | Tarif |
|---|---|
| Photocopie | 0,20 € |
"""


def _pdf(text: str) -> bytes:
    """A minimal one-page PDF with a text layer, written by hand (no PDF library needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_markdown_front_matter_headings_lists_and_tables() -> None:
    (doc,) = load_bytes("horaires.md", MD.encode(), "fallback-id")
    assert (doc.doc_id, doc.meta.title, doc.meta.updated, doc.meta.review_by) == (
        "test/horaires",
        "Horaires de la mairie",
        "2026-10-01",
        "2027-10-01",
    )
    assert doc.meta.url == "https://mairie.example/horaires" and doc.meta.theme == "horaires_contacts"
    paths = {s.path: s.blocks for s in doc.sections}
    assert paths[("Accueil général",)] == [
        "La mairie est ouverte du lundi au vendredi, de 8 h 30 à 12 h.",
        "- Samedi : 9 h à 12 h",
        "- Dimanche : fermé",
    ]
    assert paths[("Tarifs",)] == ["Prestation : Photocopie ; Tarif : 0,20 €."]


def test_markdown_without_front_matter_takes_first_heading() -> None:
    (doc,) = load_bytes("a.md", b"# Cimetiere\n\nOuvert tous les jours.", "notes/a")
    # Not reviewed for citizens: for the agents only (it used to be public by default).
    assert doc.doc_id == "notes/a" and doc.meta.title == "Cimetiere" and doc.meta.audience == "internal"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://mairie.example/etat-civil", "https://mairie.example/etat-civil"),
        ("javascript:alert(document.cookie)", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//autre.example/x", ""),
    ],
)
def test_only_web_addresses_become_links(url: str, kept: str) -> None:
    text = f'---\ntitle: Etat civil\nsource_url: "{url}"\n---\nTexte <script>alert(1)</script> ici.'
    (doc,) = load_bytes("e.md", text.encode(), "e")
    assert doc.meta.url == kept
    # Markup in a document is kept as text: the pages escape it (checked in test_web), never run it.
    assert "<script>" in doc.sections[0].blocks[0]


def test_markdown_emphasis_marks_are_dropped_not_underscored_names() -> None:
    text = "---\nid: t/n\n---\n_Informations vérifiées le 2026-08-28._ Un *mot* et **deux** ; fichier_1, 2*3.\n"
    (doc,) = load_bytes("n.md", text.encode(), "t/n")
    assert doc.sections[0].blocks == ["Informations vérifiées le 2026-08-28. Un mot et deux ; fichier_1, 2*3."]


def test_html_main_text_without_navigation() -> None:
    html = """<html><head><title>Salle</title><script>alert(1)</script></head><body>
    <nav>Menu Accueil Contact</nav><main><h1>Location de salle</h1><h2>Tarifs</h2>
    <p>La salle coûte 150 € par jour.</p><table><tr><th>Jour</th><th>Prix</th></tr>
    <tr><td>Samedi</td><td>200 €</td></tr></table></main><footer>Mentions</footer></body></html>"""
    (doc,) = load_bytes("salle.html", html.encode(), "salle")
    blocks = [b for s in doc.sections for b in s.blocks]
    assert doc.meta.title == "Location de salle"
    assert blocks == ["La salle coûte 150 € par jour.", "Jour : Samedi ; Prix : 200 €."]
    assert doc.sections[0].path == ("Tarifs",)


def test_pdf_text_layer() -> None:
    (doc,) = load_bytes("note.pdf", _pdf("Le marche a lieu le samedi matin."), "note")
    assert "Le marche a lieu le samedi matin." in doc.sections[0].blocks[0]


def test_plain_text_title_and_paragraphs() -> None:
    (doc,) = load_bytes(
        "bruit.txt", "Bruit\n\nLes travaux sont permis de 8 h à 20 h.\n\nLe dimanche non.".encode(), "bruit"
    )
    assert doc.meta.title == "Bruit" and len(doc.sections[0].blocks) == 2


def test_dila_fiche_from_shared(shared_subset: Path) -> None:
    (doc,) = load_bytes("F1341.xml", (shared_subset / "F1341.xml").read_bytes(), "ignored")
    assert doc.doc_id == "F1341"
    assert doc.meta.title == "Carte d'identité d'un majeur : première demande"
    assert doc.meta.url.endswith("/vosdroits/F1341") and doc.meta.updated == "2019-08-28"
    assert doc.meta.theme.startswith("Papiers - Citoyenneté")
    assert ("Demande en France", "Coût") in {s.path for s in doc.sections}


def test_online_service_fiche_from_the_full_zip() -> None:
    """R fiches (``<ServiceComplementaire>``: an online service or a form) are read: title, description, link."""
    import zipfile

    from tests.conftest import SHARED

    with zipfile.ZipFile(SHARED / "vosdroits-particuliers-2020-11.zip") as archive:
        (doc,) = load_bytes("R10056.xml", archive.read("R10056.xml"), "ignored")
    assert doc.doc_id == "R10056" and doc.meta.title.startswith("Simulateur")
    blocks = [b for s in doc.sections for b in s.blocks]
    assert any(b.startswith("Adresse : https://") for b in blocks)
    assert ("Fiches liées",) in {s.path for s in doc.sections}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("vide.md", b"   \n", "fichier vide"),
        ("binaire.txt", b"\x00\x01\x02binary", "binaire"),
        ("latin1.txt", "Été à la mairie".encode("latin-1"), "non UTF-8"),
        ("rapport.docx", b"PK\x03\x04...", "format non pris en charge"),
        ("casse.xml", b"<Publication ID='F1'><dc:title>oups</Publication", "XML mal formé"),
        ("autre.xml", b"<?xml version='1.0'?><root/>", "XML non reconnu"),
        ("entete.md", b"---\ntitle: [oups\n---\ntexte", "en-tête YAML invalide"),
        ("date.md", b"---\nupdated: demain\n---\ntexte", "date invalide"),
        ("scan.pdf", b"%PDF-1.4 not really a pdf", "PDF"),
    ],
)
def test_bad_inputs_raise_a_clear_error_naming_the_file(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(LoaderError) as err:
        load_bytes(name, data, "x")
    assert name in str(err.value) and reason in str(err.value)
