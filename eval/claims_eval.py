"""Calibration and scoring of the claim verifier (server.core.answer.verify) on eval/datasets/claims.jsonl.

Each row is a sentence a language model could write from one service-public fiche, cited as [1], labelled
``supported`` (a faithful paraphrase) or ``unsupported`` (an invented claim, a wrong figure, another subject);
see eval/datasets/README.md. The verifier runs exactly as in the ``llm`` mode, with the whole fiche as passage.
The support threshold is chosen on the dev split: the lowest one that lets through at most
``MAX_UNSUPPORTED_KEPT`` of the unsupported sentences; the test split reports what it gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders.dila_xml import load_dila_xml
from server.core.answer.verify import KeptSentence, Verifier
from server.core.errors import InputError

DATASET = Path(__file__).resolve().parent / "datasets" / "claims.jsonl"
MAX_UNSUPPORTED_KEPT = 0.05
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(13))  # 0.30 … 0.90


@dataclass(frozen=True)
class Claim:
    """One labelled sentence and the fiche it cites."""

    id: str
    split: str
    doc_id: str
    sentence: str
    supported: bool
    kind: str


def passage_text(path: Path) -> str:
    """The whole text of a fiche as the dataset cites it: title, then each section's heading path and blocks."""
    doc = load_dila_xml(path.name, path.read_bytes())
    parts = [doc.meta.title]
    for section in doc.sections:
        if section.path:
            parts.append(" > ".join(section.path))
        parts.extend(section.blocks)
    return "\n".join(parts)


def load(path: Path = DATASET) -> list[Claim]:
    """Read the dataset."""
    claims: list[Claim] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            claims.append(
                Claim(
                    str(raw["id"]),
                    str(raw["split"]),
                    str(raw["doc_id"]),
                    str(raw["sentence"]),
                    raw["label"] == "supported",
                    str(raw["kind"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{line_no} : ligne invalide ({exc})") from exc
    return claims


def kept_rates(claims: list[Claim], fiches: Path, threshold: float) -> dict[str, float | int]:
    """Share of supported and of unsupported sentences that the verifier keeps at ``threshold``."""
    verifiers: dict[str, Verifier] = {}  # one per fiche: reading its passage is most of the work
    kept = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for c in claims:
        if c.doc_id not in verifiers:
            verifiers[c.doc_id] = Verifier([passage_text(fiches / f"{c.doc_id}.xml")], threshold)
        verdict = verifiers[c.doc_id].check(c.sentence)
        total[c.supported] += 1
        kept[c.supported] += isinstance(verdict, KeptSentence)
    return {
        "threshold": threshold,
        "supported": total[True],
        "unsupported": total[False],
        "supported_kept": round(kept[True] / total[True], 4) if total[True] else 0.0,
        "unsupported_kept": round(kept[False] / total[False], 4) if total[False] else 0.0,
    }


def calibrate(claims: list[Claim], fiches: Path) -> tuple[float, list[dict[str, float | int]]]:
    """The dev split's curve and the lowest threshold keeping at most MAX_UNSUPPORTED_KEPT of unsupported sentences."""
    dev = [c for c in claims if c.split == "dev"]
    curve = [kept_rates(dev, fiches, t) for t in THRESHOLDS]
    chosen = next((float(r["threshold"]) for r in curve if r["unsupported_kept"] <= MAX_UNSUPPORTED_KEPT), 1.0)
    return chosen, curve
