"""The extractive drafter's structure rules that need no index (server/core/answer/draft.py)."""

from __future__ import annotations

import math

from server.core.answer import draft as drafting
from server.core.answer.chunk import Chunk, content_hash
from server.core.answer.docmeta import DocMeta
from server.core.answer.question import analyse
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
