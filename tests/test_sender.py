"""What the drafter reads of a message: without who sends it (``server.core.answer.sender``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.framed import FRAMES, framed, main
from server.core.answer.sender import without_sender

QUESTION = "Quels sont les horaires d'ouverture de la mairie ?"


@pytest.mark.parametrize(
    "message",
    [
        f"Bonjour, je suis Mme Perrin. {QUESTION} Cordialement, Jeanne Perrin",
        f"Bonjour, je m'appelle Karim Benali. {QUESTION} Merci d'avance.",
        f"{QUESTION} Merci. Paul Girard, 06 39 98 73 05",
        f"Bonjour Madame, Monsieur, {QUESTION} Vous pouvez me rappeler au 06 39 98 12 34. Bien à vous, M. Benali",
        f"Bonjour, ici Gérard Lemoine. {QUESTION}\nCordialement,\nGérard Lemoine\ngerard.lemoine@exemple.fr",
    ],
)
def test_the_sender_is_left_out_and_the_question_kept(message: str) -> None:
    # A greeting stays when it opens the question's sentence (« Bonjour Madame, Monsieur, » read « Bonjour, »).
    assert without_sender(message) in (QUESTION, f"Bonjour, {QUESTION}")


def test_a_question_without_its_mark_is_cut_from_the_signature() -> None:
    assert without_sender("perte carte identité Cordialement, Karim Benali") == "perte carte identité"


@pytest.mark.parametrize(
    "message",
    [
        QUESTION,
        "Est-ce que mon voisin M. Leroy, au 12 rue des Tanneurs, touche des aides du CCAS ?",  # whom it asks about
        "Quel jour passent les encombrants au 12 rue des Lilas ?",  # the street says which round
        "Mon fils a 16 ans. Peut-il faire sa carte seul ? Merci de me dire quels papiers apporter.",
        "Bonjour, je suis portugaise et j'habite en France depuis six ans.",  # an adjective, no name
    ],
)
def test_what_is_asked_stays(message: str) -> None:
    assert without_sender(message) == message


def test_a_message_that_is_only_a_greeting_is_read_as_sent() -> None:
    only = "Bonjour Madame, cordialement, Jeanne Perrin"
    assert without_sender(only) == only


def test_every_frame_of_the_framed_sets_gives_back_the_question() -> None:
    """``python -m eval.framed`` writes each question inside one of ``FRAMES``; read, each gives the question back."""
    seen = set()
    for n in range(60):
        item = framed({"id": f"q-{n}", "question": QUESTION, "expect": "answer"})
        seen.add(str(item["question"]).replace(QUESTION, "{q}"))
        read = without_sender(str(item["question"]))
        assert read in (QUESTION, f"Bonjour, {QUESTION}"), json.dumps(item, ensure_ascii=False)
    assert len(seen) > len(FRAMES)  # several people in each frame


def test_the_command_writes_the_framed_set(tmp_path: Path) -> None:
    source, out = tmp_path / "set.jsonl", tmp_path / "framed.jsonl"
    lines = [{"id": f"q-{n}", "question": QUESTION, "expect": "answer", "reference_answer": "8 h 30"} for n in range(3)]
    source.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    assert main(["--dataset", str(source), "--out", str(out)]) == 0
    written = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in written] == ["q-0", "q-1", "q-2"]
    assert all(x["reference_answer"] == "8 h 30" for x in written)
    assert all(QUESTION in x["question"] and x["question"] != QUESTION for x in written)
