"""The answer memory (desk/memory.py, answer/pairs.py) on the real model and index: which questions its rule takes
for the same one, and the recall of a validated reply for a paraphrase through the citizen side's decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.core.answer import pairs
from server.core.answer.assistant import Assistant
from server.core.answer.embed import embedder_for
from server.core.answer.index import Index
from server.core.answer.match import Known, Matcher, vectors_for
from server.core.desk import memory, workflow
from server.core.desk.db import Database
from tests.conftest import settings_for


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("Quels sont les horaires de la médiathèque ?", "quels sont les horaires de la mediatheque", True),
        ("Horaires de la médiathèque ?", "La médiathèque : quels horaires ?", True),
        ("Combien coûte un passeport pour un adulte ?", "Combien coûte un passeport pour un mineur ?", False),
        ("Comment demander un acte de naissance ?", "Comment demander un acte de décès ?", False),
    ],
)
def test_close_questions_and_hard_negatives(tmp_path: Path, a: str, b: str, close: bool) -> None:
    """The memory's rule on the real model: a reply validated for ``a`` is offered for ``b`` only when ``b`` asks the
    same thing (not for a minor when the reply was for an adult)."""
    embedder = embedder_for(settings_for(tmp_path, embedding_model="e5-small"))
    matcher = Matcher([Known(1, a)], vectors_for(embedder), rule=pairs.MEMORY)
    decision = matcher.decide(b)
    assert (decision.entry is not None) is close, decision


def _sources(index: Index, doc_id: str) -> list[dict[str, str]]:
    chunk = next(c for c in index.chunks if c.doc_id == doc_id)
    return [{"doc_id": doc_id, "title": chunk.title, "chunk_id": chunk.chunk_id, "content_hash": chunk.content_hash}]


def test_a_paraphrase_recalls_the_reply_with_its_date_changed_sources_and_never_a_deleted_one(
    tmp_path: Path, small_corpus: Path
) -> None:
    """Real e5, a real index of six demo documents and a real SQLite base: a validated reply comes back for another
    wording of its question (accents, case, words order), not for another detail (another day); a changed source
    is named; a deleted one withdraws the reply."""
    from ingest.pipeline import run_ingest

    settings = settings_for(tmp_path / "data", embedding_model="e5-small")
    assert run_ingest(settings, [small_corpus], progress=False).failed == []
    assistant = Assistant(settings)
    index = assistant.index()
    docs = sorted({c.doc_id for c in index.chunks})
    database = Database(settings)
    try:
        with database.session() as db:
            asked = [
                ("Que faire d'un chien errant trouvé dans la rue ?", docs[0], "Appelez la police municipale."),
                ("Comment déclarer un chien dangereux le samedi ?", docs[1], "Déclaration en mairie, en semaine."),
            ]
            for question, doc_id, reply in asked:
                request = workflow.create_request(db, question, "guichet", "agent1")
                memory.remember(db, request.id, question, reply, _sources(index, doc_id))
            db.flush()
            found = memory.recall(db, index, assistant.embedder, "chien errant trouve dans la rue, que faire ?")
            assert [r.entry.text for r in found] == ["Appelez la police municipale."] and found[0].changed_sources == []
            assert found[0].entry.validated_at is not None
            assert (
                memory.recall(db, index, assistant.embedder, "Comment déclarer un chien dangereux le dimanche ?") == []
            )
            assert (
                memory.recall(db, index, assistant.embedder, "chien errant", exclude_request=found[0].entry.request_id)
                == []
            )
            db.commit()
        path = next(p for p in small_corpus.iterdir() if docs[0].endswith(p.stem))
        path.write_text(path.read_text(encoding="utf-8").replace("fourrière", "fourrière municipale"), encoding="utf-8")
        second = next(p for p in small_corpus.iterdir() if docs[1].endswith(p.stem))
        second.unlink()
        assert run_ingest(settings, [small_corpus], progress=False).failed == []
        index = Assistant(settings).index()
        with database.session() as db:
            found = memory.recall(db, index, assistant.embedder, "chien errant trouve dans la rue, que faire ?")
            assert len(found) == 1 and found[0].changed_sources
            assert memory.recall(db, index, assistant.embedder, "Comment déclarer un chien dangereux le samedi ?") == []
    finally:
        database.close()
