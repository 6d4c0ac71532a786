"""DILA service-public.fr fiches (``<Publication>`` XML, schema 3.3): structure kept as heading paths.

Situations, chapters, sub-chapters and cases become headings; paragraphs, list items and table rows
become blocks; "Où s'adresser" and online services are kept as short blocks; legal references,
glossary definitions and related questions are left out (they are links, not answers).
"""

from __future__ import annotations

from lxml import etree

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, iso_date
from server.core.answer.docmeta import Audience, DocMeta
from server.core.errors import LoaderError

DC = "{http://purl.org/dc/elements/1.1/}"
_CONTAINERS = {"Situation", "Chapitre", "SousChapitre", "Cas", "ANoter", "ASavoir", "Attention", "Rappel"}
_SKIP = {
    "Condition",
    "Source",
    "RessourceWeb",
    "Titre",
    "Reference",
    "Definition",
    "QuestionReponse",
    "PourEnSavoirPlus",
    "VoirAussi",
    "Abreviation",
    "NoticeLiee",
    "Colonne",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


ROOTS = ("Publication", "ServiceComplementaire")


def is_dila_xml(data: bytes) -> bool:
    """True when the bytes look like a DILA fiche: ``<Publication>`` or, for an online service or form (R
    fiches), ``<ServiceComplementaire>``."""
    head = data[:4096]
    return any(f"<{root}".encode() in head for root in ROOTS)


def _text(el: etree._Element | None) -> str:
    return clean_inline("".join(el.itertext())) if el is not None else ""


def _title(el: etree._Element) -> str:
    return _text(el.find("Titre"))


def _table(el: etree._Element, path: tuple[str, ...], out: SectionBuilder) -> None:
    caption = _title(el)
    if caption:
        path = (*path, caption)
    header: list[str] = []
    for row in el.iter("Rangée"):
        cells = [", ".join(_text(p) for p in c.iter("Paragraphe")) or _text(c) for c in row.findall("Cellule")]
        if row.get("type") == "header":
            header = cells
            continue
        if header and len(header) == len(cells):
            out.add(path, " ; ".join(f"{h} : {c}" if h else c for h, c in zip(header, cells, strict=True) if c) + ".")
        else:
            out.add(path, " ; ".join(c for c in cells if c))


def _walk(el: etree._Element, path: tuple[str, ...], out: SectionBuilder) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP or not tag:
        return
    if tag == "Paragraphe":
        out.add(path, _text(el))
    elif tag == "Liste":
        for item in el.findall("Item"):
            out.add(path, "- " + " ".join(_text(p) for p in item if p.tag == "Paragraphe" or p.tag == "Liste"))
    elif tag == "Tableau":
        _table(el, path, out)
    elif tag == "OuSAdresser":
        title = _title(el)
        if title:
            out.add(path, f"Où s'adresser : {title}.")
        for child in el:
            if child.tag == "Texte":
                _walk(child, (*path, title) if title else path, out)
    elif tag == "ServiceEnLigne":
        title = _title(el)
        if title:
            out.add(path, f"{el.get('type') or 'Service en ligne'} : {title}.")
    elif tag in _CONTAINERS:
        title = _title(el)
        sub = (*path, title) if title else path
        for child in el:
            _walk(child, sub, out)
    else:  # Texte, BlocCas, ListeSituations and any unknown wrapper: descend without a heading
        for child in el:
            _walk(child, path, out)


def load_dila_xml(name: str, data: bytes) -> SourceDoc:
    """Read one DILA fiche; its id is the fiche ID (e.g. ``F1341``)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise LoaderError(name, f"XML mal formé : {exc}") from exc
    if root.tag not in ROOTS or not root.get("ID"):
        raise LoaderError(name, "élément racine <Publication ID=…> ou <ServiceComplementaire ID=…> attendu")
    fiche_id = str(root.get("ID"))
    title = _text(root.find(f"{DC}title"))
    if not title:
        raise LoaderError(name, "fiche sans titre (dc:title)")
    out = SectionBuilder()
    description = _text(root.find(f"{DC}description"))
    if description:
        out.add((), description)
    for child in root:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("Introduction", "Texte", "ListeSituations"):
            _walk(child, (), out)
        elif tag == "OuSAdresser":
            _walk(child, ("Où s'adresser",), out)
        elif tag == "ServiceEnLigne":
            _walk(child, ("Services en ligne et formulaires",), out)
        elif tag == "LienWeb" and child.get("URL"):
            # An online service or form (R fiche): where it is, and who runs it.
            source = _text(child.find("Source"))
            out.add((), f"Adresse : {child.get('URL')}" + (f" ({source})" if source else ""))
        elif tag == "FicheLiee":
            out.add(("Fiches liées",), f"- {_title(child)}")
        elif tag == "SousDossier":
            heading = _title(child)
            for fiche in child.findall("Fiche"):
                out.add((heading,) if heading else (), f"- {_text(fiche)}")
    if not out.sections:
        raise LoaderError(name, "fiche sans texte")
    breadcrumb = [_text(n) for n in root.iter("Niveau")][1:-1]
    theme = " > ".join(breadcrumb) or _text(root.find(f"{DC}subject"))
    meta = DocMeta(
        doc_id=fiche_id,
        title=title,
        url=str(root.get("spUrl") or ""),
        updated=iso_date(_text(root.find(f"{DC}date")), name, "dc:date"),
        audience=Audience.PUBLIC,
        theme=theme,
    )
    return SourceDoc(
        meta, source=name, sections=out.sections, tags=[t for t in [_text(root.find(f"{DC}subject"))] if t]
    )
