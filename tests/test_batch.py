"""A batch of questions (``accueil ask --batch``): which lines are drafted, skipped or refused, with what message."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.core.answer.assistant import Assistant
from server.core.answer.batch import draft_batch, draft_lines
from server.core.errors import AccueilError, InputError
from tests.conftest import settings_for


def _refuse_long(question: str, qid: str) -> tuple[str, str]:
    if len(question) > 20:
        raise InputError("Question trop longue.")
    return qid, question


def test_each_line_is_drafted_skipped_or_refused_in_order() -> None:
    lines = [
        '{"id": "a", "question": "horaires", "autre": 1}\n',
        "\n",
        "pas du json\n",
        '{"id": "b"}\n',
        '{"question": "état civil"}\n',
        '{"id": "c", "question": "une question bien trop longue pour passer"}\n',
        "[1, 2]\n",
    ]
    out = list(draft_lines(lines, _refuse_long))
    assert [line.line_no for line in out] == [1, 3, 4, 5, 6, 7]  # the blank line 2 is not reported
    assert out[0].result == ("a", "horaires") and out[0].error == ""
    assert out[1].result is None and out[1].error.startswith("Ligne 3 ignorée : ")
    assert out[2].error == "Ligne 4 ignorée : 'question'"
    assert out[3].result == ("5", "état civil")  # no id: the line number
    assert out[4].error == "Ligne 6 : Question trop longue."
    assert out[5].error.startswith("Ligne 7 ignorée : ")


def test_a_batch_without_index_fails_before_reading_a_line(tmp_path: Path) -> None:
    assistant = Assistant(settings_for(tmp_path / "vide"))
    with pytest.raises(AccueilError, match="accueil ingest"):
        next(draft_batch(assistant, tmp_path / "absent.jsonl"))
