"""A question set that cannot be read is refused with a French message naming the file (and the line), no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_dataset
from server.core.errors import InputError
from tests.conftest import accueil

GOOD = '{"id": "q1", "question": "horaires de la mairie ?", "expect": "answer"}'


def test_eval_of_a_missing_question_set_says_so(tmp_path: Path) -> None:
    done = accueil("eval", "--dataset", str(tmp_path / "absent.jsonl"), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 1, done
    assert "absent.jsonl : jeu de questions introuvable" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (GOOD + "\n{pas du json\n", ":2 : ligne invalide"),
        (GOOD + '\n{"id": "q2", "question": "x", "expect": "peut-être"}\n', ":2 : expect doit valoir"),
        (GOOD + "\n" + GOOD + "\n", ":2 : identifiant en double 'q1'"),
        ("\n\n", "aucune question"),
        (b"\xff\xfe", "lecture impossible"),
    ],
)
def test_a_bad_question_set_is_refused_with_its_line(tmp_path: Path, content: str | bytes, said: str) -> None:
    path = tmp_path / "jeu.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=said):
        load_dataset(path)
