"""The period a draft quotes and the notes the agent sees beside it (server/core/answer/notes.py, draft.timely)."""

from __future__ import annotations

from datetime import date

from server.core.answer import draft as drafting
from server.core.answer.chunk import Chunk, content_hash, heading_line
from server.core.answer.docmeta import Audience, DocMeta
from server.core.answer.models import Citation
from server.core.answer.notes import draft_notes, period_note, source_notes
from server.core.answer.question import analyse

WINTER = "Du 1er novembre au 31 mars, la déchetterie est ouverte du mardi au samedi de 9 h à 12 h."
SUMMER = "Du 1er avril au 31 octobre, la déchetterie est ouverte du mardi au samedi de 9 h à 18 h."
BADGE = "L'accès à la déchetterie se fait avec un badge gratuit."


def _chunk(text: str, review_by: str = "", heading_path: str = "Horaires d'ouverture") -> Chunk:
    doc = DocMeta("dechets/dechetterie", "Déchetterie", review_by=review_by, audience=Audience.PUBLIC)
    h = content_hash(text)
    return Chunk(Chunk.make_id(doc.doc_id, 0, h), doc, heading_path, 0, text, h)


def _units(chunk: Chunk) -> list[drafting.Unit]:
    """The sentences of a chunk as the drafter reads them: each under the last sub-heading line before it."""
    units: list[drafting.Unit] = []
    heading = ""
    for para, line in enumerate(chunk.text.split("\n")):
        if line.startswith("## "):
            heading = line[3:]
            continue
        u = drafting.Unit(chunk, 0, len(units) + 1, line, heading, para=para)
        u.period = drafting.period_of(line, heading, chunk)
        units.append(u)
    return units


HOURS = _chunk(
    "\n".join(
        [
            heading_line(("Horaires d'été (du 1er avril au 31 octobre)",)),
            SUMMER,
            heading_line(("Horaires d'hiver (du 1er novembre au 31 mars)",)),
            WINTER,
            heading_line(("Accès avec badge",)),
            BADGE,
        ]
    )
)


def test_the_schedule_of_today_is_kept_and_the_other_dropped() -> None:
    units = _units(HOURS)
    kept, wanted = drafting.timely(units, analyse("horaires de la déchetterie ?"), date(2026, 12, 6))
    assert wanted is None
    assert [u.text for u in kept] == [WINTER, BADGE]
    kept, _ = drafting.timely(units, analyse("horaires de la déchetterie ?"), date(2027, 7, 1))
    assert [u.text for u in kept] == [SUMMER, BADGE]


def test_the_period_the_question_names_wins_over_today() -> None:
    kept, wanted = drafting.timely(_units(HOURS), analyse("la déchetterie est ouverte en juillet ?"), date(2026, 12, 6))
    assert wanted is not None
    assert [u.text for u in kept] == [SUMMER, BADGE]


def test_nothing_is_dropped_when_no_sentence_of_the_wanted_period_exists() -> None:
    units = _units(_chunk(SUMMER))
    kept, _ = drafting.timely(units, analyse("horaires de la déchetterie ?"), date(2026, 12, 6))
    assert [u.text for u in kept] == [SUMMER]


def test_the_period_note_names_the_heading_and_the_day() -> None:
    units = _units(HOURS)
    winter = [u for u in units if u.text == WINTER]
    summer = [u for u in units if u.text == SUMMER]
    day = date(2026, 12, 6)
    assert period_note(winter, False, True, day) == (
        "Période citée : horaires d'hiver (du 1er novembre au 31 mars), en vigueur le 6 décembre 2026."
    )
    assert period_note(summer, True, True, day) == (
        "Période citée : horaires d'été (du 1er avril au 31 octobre), celle que nomme la question ; "
        "elle ne s'applique pas le 6 décembre 2026."
    )
    note = period_note(summer, False, True, day)
    assert note is not None and "ne s'applique pas le 6 décembre 2026 : vérifiez" in note
    assert period_note([u for u in units if u.text == BADGE], False, False, day) is None


def test_a_period_mentioned_in_passing_gets_no_note_and_a_coming_one_is_said_to_come() -> None:
    day = date(2026, 12, 6)
    passing = _units(_chunk("Les inscriptions ont lieu du 1er avril au 31 mai.", heading_path="Inscriptions"))
    assert period_note(passing, False, False, day) is None
    assert period_note(passing, True, False, day) is not None
    coming = _units(_chunk("Du mardi 6 juillet au samedi 28 août 2027, la médiathèque ferme à 18 h.", heading_path=""))
    assert period_note(coming, False, False, day) == (
        "Période citée : du mardi 6 juillet au samedi 28 août 2027, à venir (nous sommes le 6 décembre 2026)."
    )
    gone = _units(_chunk("Du 2 mai au 30 juin 2025, les inscriptions sont ouvertes.", heading_path=""))
    note = period_note(gone, False, False, day)
    assert note is not None and "déjà passée le 6 décembre 2026" in note


def test_past_dates_and_a_past_review_date_are_warned() -> None:
    text = "Le marché de Noël a lieu le samedi 13 décembre 2025 place de la République."
    chunk = _chunk(text, review_by="2026-10-05", heading_path="Marché de Noël")
    units = _units(chunk)
    citations = [Citation.of(chunk, 1, text)]
    notes = source_notes(units, citations, date(2026, 12, 6))
    assert notes == [
        "Les dates citées de la source [1] sont passées (la dernière : 13 décembre 2025) : vérifiez qu'elle est à "
        "jour avant de répondre.",
        "La source [1] est à revérifier : sa date de révision (5 octobre 2026) est dépassée.",
    ]
    assert source_notes(units, citations, date(2025, 12, 1)) == []


def test_draft_notes_put_the_period_first() -> None:
    units = [u for u in _units(HOURS) if u.text == WINTER]
    citations = [Citation.of(HOURS, 1, WINTER)]
    selection = drafting.Selection(units, 1.0, 1.0, 1.0, period_chosen=True)
    notes = draft_notes(selection, units, citations, date(2026, 12, 6))
    assert len(notes) == 1 and notes[0].startswith("Période citée : horaires d'hiver")
