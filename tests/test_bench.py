"""The parts of ``accueil bench`` that decide what a run says (the run itself is a benchmark, not a test)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from eval.bench import _change_fiches, markdown, verdicts
from tests.conftest import SUBSET


def test_targets_say_met_or_by_how_much_they_are_missed() -> None:
    rows = {
        r["name"]: r for r in verdicts({"ingest_full_s": 1500.0, "http_16_drafts_per_s": 61.5, "first_draft_s": 2.4})
    }
    assert rows["ingest_full_s"]["met"] is False and rows["ingest_full_s"]["gap"] == 300.0
    assert rows["first_draft_s"]["met"] is False and rows["first_draft_s"]["gap"] == 0.4
    assert rows["http_16_drafts_per_s"]["met"] is True and rows["http_16_drafts_per_s"]["gap"] is None
    assert rows["service_peak_mb"]["value"] is None and rows["service_peak_mb"]["met"] is None
    report = {"date": "2026-11-26", "machine": "x86_64, 2 cœurs", "backend": "onnx-int8", "results": {}}
    table = markdown({**report, "verdicts": list(rows.values())})
    assert "| Ingestion complète (7 591 fiches) | 1500 s | ≤ 1200 s | non (écart +300 s) |" in table
    assert "| Brouillons/s, 16 clients HTTP | 61.5 /s | ≥ 60 /s | oui |" in table
    assert "non mesuré" in table


def test_one_percent_of_the_fiches_get_a_changed_description(tmp_path: Path) -> None:
    archive = tmp_path / "fiches.zip"
    names = sorted(p.name for p in SUBSET.glob("*.xml"))[:200]
    with zipfile.ZipFile(archive, "w") as out:
        for name in names:
            out.write(SUBSET / name, name)
    assert _change_fiches(archive, 0.01) == 2
    with zipfile.ZipFile(archive) as changed:
        texts = {n: changed.read(n) for n in changed.namelist()}
    assert sorted(texts) == names
    touched = [n for n, data in texts.items() if data != (SUBSET / n).read_bytes()]
    assert len(touched) == 2 and all("Texte ajouté pour la mesure.".encode() in texts[n] for n in touched)
