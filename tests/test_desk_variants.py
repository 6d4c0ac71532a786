"""``python -m eval.desk_variants``: a FAQ after the desk's questions were proposed and accepted as variants
(real e5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval import desk_variants
from eval.faq import read_jsonl
from server.core.config import REPO_ROOT
from tests.conftest import settings_for

HOURS = "Quels sont les horaires de la déchetterie ?"


def test_close_desk_questions_become_clean_variants_of_their_entry(tmp_path: Path) -> None:
    entries = [e for e in read_jsonl(REPO_ROOT / "eval" / "datasets" / "faq-entries.jsonl") if e["question"] == HOURS]
    desk: list[dict[str, Any]] = [
        {
            "id": "1",
            "question": "Bonjour, c'est quoi les horaires de la déchetterie ? Merci, Mme Perrin",
            "entry": HOURS,
        },
        {"id": "2", "question": "quels sont les HORAIRES de la déchetterie ?", "entry": HOURS},  # already its question
        {"id": "3", "question": "Mon voisin brûle ses feuilles mortes le dimanche, que faire ?", "entry": HOURS},  # far
        {"id": "4", "question": "Où est la déchetterie ?", "entry": None},  # no entry answers it: no request
    ]
    settings = settings_for(tmp_path).model_copy(update={"embedding_model": "e5-small"})
    bare, added, touched = desk_variants.with_desk_variants(settings, entries, desk, bare=True)
    assert bare[0]["variants"] == ["C'est quoi les horaires de la déchetterie ?"] and (added, touched) == (1, 1)
    kept, _, _ = desk_variants.with_desk_variants(settings, entries, desk, bare=False)
    assert kept[0]["variants"] == [*entries[0]["variants"], "C'est quoi les horaires de la déchetterie ?"]
    assert kept[0]["answer"] == entries[0]["answer"] and kept[0]["sources"] == entries[0]["sources"]


def test_the_command_writes_an_import_file(tmp_path: Path) -> None:
    out = tmp_path / "faq.jsonl"
    assert desk_variants.main(["--desk", "dev", "--bare", "--out", str(out)]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 44 and sum(len(e["variants"]) for e in written) > 0
    assert all("@" not in v for e in written for v in e["variants"])
