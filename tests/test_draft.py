"""The extractive drafter's structure rules that need no index (server/core/answer/draft.py)."""

from __future__ import annotations

import math

from server.core.answer import draft as drafting
from server.core.answer.chunk import Chunk, content_hash
from server.core.answer.docmeta import DocMeta
from server.core.answer.question import KIND_PATTERNS, analyse, named_kinds
from server.core.answer.retrieve import Hit
from server.core.text import tokens

ROWS = [
    "Tranche : 1 ; Quotient familial : jusqu'à 450 € ; Repas : 1 €.",
    "Tranche : 4 ; Quotient familial : de 1 001 € à 1 400 € ; Repas : 3,80 €.",
    "Tranche : 6 ; Quotient familial : plus de 1 900 € ou non communiqué ; Repas : 5,20 €.",
]
SENTENCE = "Le quotient familial pris en compte est celui calculé par la CAF."


def _units(lines: list[str]) -> list[drafting.Unit]:
    text = "\n".join(lines)
    h = content_hash(text)
    chunk = Chunk(Chunk.make_id("tarifs", 0, h), DocMeta("tarifs", "Tarifs"), "Tarifs", 0, text, h)
    return [drafting.Unit(chunk, 0, i + 1, line, para=i) for i, line in enumerate(lines)]


def test_the_range_a_table_row_is_for() -> None:
    assert drafting.row_range(ROWS[0]) == (0.0, 450.0)
    assert drafting.row_range(ROWS[1]) == (1001.0, 1400.0)
    assert drafting.row_range(ROWS[2]) == (1900.0, math.inf)
    assert drafting.row_range("Jour : Lundi ; Matin : fermé ; Après-midi : 14 h – 18 h.") is None
    assert drafting.row_range(SENTENCE) is None


def test_the_question_s_number_picks_its_row_of_the_table() -> None:
    units = _units([SENTENCE, *ROWS])
    kept = drafting.rows_for_numbers(units, analyse("Pour un quotient familial de 1 200 €, combien coûte un repas ?"))
    assert [u.text for u in kept] == [SENTENCE, ROWS[1]]
    # no number, or a number no row is for, or a year: every row stays
    for question in ("Combien coûte un repas ?", "Un quotient de 800 € ?", "Les tarifs de 2026 ?"):
        assert len(drafting.rows_for_numbers(units, analyse(question))) == 4


def _hits(doc_chunks: dict[str, int]) -> list[Hit]:
    """Hits of ``n`` chunks of each document, in the order given, best first."""
    hits: list[Hit] = []
    for doc, n in doc_chunks.items():
        for i in range(n):
            text = f"Phrase {i} de {doc}."
            h = content_hash(text)
            chunk = Chunk(Chunk.make_id(doc, i, h), DocMeta(doc, doc), "", i, text, h)
            hits.append(Hit(chunk, 1.0 / (len(hits) + 1)))
    return hits


def test_the_drafter_reads_more_chunks_of_the_best_documents_than_the_language_model_is_given() -> None:
    hits = _hits({"a": 14, "b": 8, "c": 5, "d": 3, "e": 2, "f": 2})
    given = drafting.focus(hits)
    assert [(h.chunk.doc_id, d, r) for h, d, r in given][:5] == [
        ("a", 0, 0),
        ("a", 0, 1),
        ("a", 0, 2),
        ("a", 0, 3),
        ("b", 1, 0),
    ]
    assert [sum(1 for _, d, _ in given if d == k) for k in range(4)] == list(drafting.CHUNKS_PER_DOC)
    assert {h.chunk.doc_id for h, _, _ in given} == {"a", "b", "c", "d"}  # the model is never given a fifth
    read = drafting.focus(hits, drafting.READ_CHUNKS_PER_DOC)
    per_doc = [sum(1 for _, d, _ in read if d == k) for k in range(5)]
    assert per_doc == [12, 6, 3, 1, 1]
    # the drafter reads the best chunk of a fifth document (hit@5 counts it), never a sixth
    assert [(h.chunk.doc_id, r) for h, d, r in read if d == 4] == [("e", 0)]
    assert {h.chunk.doc_id for h, _, _ in read} == {"a", "b", "c", "d", "e"}
    assert [r for h, d, r in read if d == 0] == list(range(12))  # rank within the document, best first


def _scored(doc: str, lines: list[tuple[str, float]], heading: str = "") -> list[drafting.Unit]:
    """Units of one chunk of ``doc`` with their scores, as the scorer ranks them."""
    text = "\n".join(t for t, _ in lines)
    h = content_hash(text)
    chunk = Chunk(Chunk.make_id(doc, 0, h), DocMeta(doc, doc), doc, 0, text, h)
    units = []
    for i, (line, score) in enumerate(lines):
        u = drafting.Unit(chunk, 0, i + 1, line, heading, score=score, para=i)
        u.terms = set(tokens(line))
        units.append(u)
    return units


def test_a_question_word_no_chosen_sentence_holds_brings_its_best_sentence() -> None:
    question = "Le rendez-vous dure combien de temps, et on a combien de jours pour déclarer la naissance ?"
    w = {t: 1.0 + i for i, t in enumerate(dict.fromkeys(tokens(question)))}  # later words weigh more
    declared, noise, lasts, twin = _scored(
        "naissance",
        [
            ("La naissance doit être déclarée dans les 5 jours qui suivent l'accouchement.", 0.9),
            ("La polyclinique transmet l'avis de naissance à la mairie.", 0.6),
            ("Le rendez-vous dure environ 20 minutes.", 0.3),
            ("Le rendez-vous dure parfois plus longtemps.", 0.2),
        ],
    )
    chosen = [declared]
    drafting.cover_terms(w, [declared, noise, lasts, twin], chosen, least=0.25)
    # « rendez-vous » and « dure » are held by no chosen sentence: the best sentence holding them joins, once
    assert chosen == [declared, lasts]
    # under the floor, nothing joins
    chosen = [declared]
    drafting.cover_terms(w, [declared, noise, lasts, twin], chosen, least=0.35)
    assert chosen == [declared]


def test_a_question_word_in_the_chosen_sentence_s_heading_is_held() -> None:
    w = dict.fromkeys(tokens("horaires de la déchetterie le samedi"), 1.0)
    (opening,) = _scored("dechetterie", [("Ouverte de 9 h à 12 h et de 14 h à 18 h.", 0.9)], heading="Samedi")
    other = _scored("autre", [("La déchetterie de Belval accepte les gravats le samedi.", 0.8)])
    chosen = [opening]
    # « déchetterie » is in the chosen sentence's document path, « samedi » in its heading: nothing is missing
    drafting.cover_terms(w, [opening, *other], chosen, least=0.1)
    assert chosen == [opening]


def test_words_bring_at_most_a_few_sentences_and_one_more_document() -> None:
    w = {t: 10.0 - i for i, t in enumerate(tokens("alpha beta gamma delta"))}
    a = _scored("a", [("Rien ici.", 0.9), ("Un mot beta.", 0.5)])
    b = _scored("b", [("Autre chose.", 0.8)])
    c = _scored("c", [("Le mot alpha.", 0.7)])
    d = _scored("d", [("Le mot gamma.", 0.6), ("Le mot delta.", 0.55)])
    ranked = sorted([*a, *b, *c, *d], key=lambda u: -u.score)
    chosen = [a[0], b[0]]
    drafting.cover_terms(w, ranked, chosen, least=0.1)
    # alpha (heaviest) brings document c, a third document; beta comes from a cited one; then the limit is reached
    assert [u.text for u in chosen[2:]] == ["Le mot alpha.", "Un mot beta."]
    assert len(chosen) - 2 == drafting.TERM_SENTENCES
    # three documents cited already: a fourth is never opened
    chosen = [a[0], b[0], c[0]]
    drafting.cover_terms(dict.fromkeys(tokens("gamma"), 1.0), ranked, chosen, least=0.1)
    assert chosen == [a[0], b[0], c[0]]


def test_a_heading_names_the_kinds_of_fact_it_holds() -> None:
    assert named_kinds("Coût") == ("prix",)
    assert named_kinds("Gratuité") == ("prix",)
    assert named_kinds("Prendre rendez-vous") == ("contact",)
    assert named_kinds("Où s'adresser") == ("lieu",)
    assert named_kinds("Durée de la concession") == ("delai",)
    # a cue counts at the start of a word only: « pour vous » names no place, « Historique » no hours
    assert named_kinds("Pour vous") == ()
    assert named_kinds("Historique") == ()


def _chunk(text: str, path: str = "") -> Chunk:
    h = content_hash(text)
    return Chunk(Chunk.make_id("doc", 0, h), DocMeta("doc", "Carte d'identité"), path, 0, text, h)


def test_a_sentence_is_read_with_the_sentence_it_follows_on_and_the_kinds_its_headings_name() -> None:
    chunk = _chunk(
        "Le dépôt d'une demande se fait uniquement sur rendez-vous.\n"
        "- En ligne, 24 heures sur 24.\n"
        "- Par téléphone : 01 99 00 10 50.\n"
        "## Montant\n"
        "## En métropole\n"
        "138 €\n"
        "## Déclaration\n"
        "Vous n'avez aucune démarche à faire. Elle est payée avec l'impôt.",
        path="Prendre rendez-vous",
    )
    read = {r.text: r for r in drafting.read_chunk(chunk)}
    opener = frozenset(tokens("Le dépôt d'une demande se fait uniquement sur rendez-vous."))
    # both items follow on the sentence before the list, not on each other
    assert read["- En ligne, 24 heures sur 24."].lead == opener
    assert read["- Par téléphone : 01 99 00 10 50."].lead == opener
    assert read["- Par téléphone : 01 99 00 10 50."].named == {"contact"}  # under « Prendre rendez-vous »
    assert read["Le dépôt d'une demande se fait uniquement sur rendez-vous."].lead == frozenset()
    # two headings in a row are one path: « 138 € » stands under « Montant »
    assert read["138 €"].named == {"prix", "contact"}
    assert read["138 €"].lead == frozenset()  # a heading starts afresh
    assert read["Elle est payée avec l'impôt."].lead == frozenset(tokens("Vous n'avez aucune démarche à faire."))
    assert read["Elle est payée avec l'impôt."].named == {"contact"}  # « Déclaration » names no kind
    assert [r.order for r in read.values()] == [1, 2, 3, 4, 5, 6]


def test_an_asked_kind_held_only_under_other_headings_brings_the_sentence_under_its_own() -> None:
    question = analyse("Comment prendre rendez-vous pour un passeport ?")
    assert question.kinds == ("contact",)
    (other,) = _scored("contacts", [("Service état civil : 01 99 00 10 20.", 0.9)])
    own, below = _scored("titres", [("- Par téléphone : 01 99 00 10 50.", 0.3), ("Appelez le 01 99 00 10 60.", 0.1)])
    own.named = below.named = frozenset({"contact"})
    ranked = [other, own, below]
    chosen = [other]
    drafting._cover_kinds(question, ranked, chosen, least=0.2)
    # the chosen phone number's headings do not name an appointment: the best one under such a heading joins
    assert chosen == [other, own]
    # not under the floor
    chosen = [other]
    drafting._cover_kinds(question, [other, below], chosen, least=0.2)
    assert chosen == [other]
    # a chosen sentence under a heading naming the kind is enough
    chosen = [own]
    drafting._cover_kinds(question, ranked, chosen, least=0.05)
    assert chosen == [own]
    # a kind no chosen sentence holds brings its best sentence, whatever its headings
    (opening,) = _scored("mairie", [("La mairie ouvre à 8 h 30.", 0.95)])
    chosen = [opening]
    drafting._cover_kinds(question, [opening, other, own], chosen, least=0.2)
    assert chosen == [opening, other]


def test_a_chunk_is_read_as_itself_never_as_a_chunk_read_before() -> None:
    """The reading kept for a chunk is keyed by what it depends on: a chunk of the same id with another text or
    another heading path is read afresh, and a chunk read again gives what a fresh reading gives."""
    first = _chunk("Le passeport coûte 86 €.\nIl est valable 10 ans.", path="Passeport > Coût")
    first_read = drafting.read_chunk(first)
    assert [r.text for r in first_read] == ["Le passeport coûte 86 €.", "Il est valable 10 ans."]
    # same id and hash, other text (a store that changed under the same id): its own sentences
    other_text = Chunk(first.chunk_id, first.doc, first.heading_path, 0, "La mairie est ouverte le lundi.", "x")
    (other,) = drafting.read_chunk(other_text)
    assert other.text == "La mairie est ouverte le lundi."
    assert [k for k in KIND_PATTERNS if other.holds(k)] == ["horaire", "lieu"] and not other.number
    # same text under another heading path: the kinds and the period of that path
    summer = _chunk(first.text, path="Horaires d'été (du 1er juillet au 31 août)")
    summer_read = drafting.read_chunk(summer)
    assert [r.named for r in first_read] == [{"prix"}, {"prix"}]
    assert [r.named for r in summer_read] == [{"horaire"}, {"horaire"}]
    assert first_read[0].period is None and summer_read[0].period is not None
    # read again, or afresh: the same reading
    assert drafting.read_chunk(first) == first_read
    drafting._read.cache_clear()
    assert drafting.read_chunk(first) == first_read
    # what a reading carries is what the sentence alone gives
    for chunk in (first, other_text, summer):
        for r in drafting.read_chunk(chunk):
            assert r.heading_terms == set(tokens(r.heading))
            assert r.period == drafting.period_of(r.text, r.heading, chunk)
            assert all(r.holds(k) == bool(p.search(r.text)) for k, p in KIND_PATTERNS.items())
            assert r.number == any(ch.isdigit() for ch in r.text)
