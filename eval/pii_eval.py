"""Scoring of the personal-data masking (server.core.pii) on eval/datasets/pii.jsonl.

The dataset is JSONL, one text a line: ``{"id": "pii-001", "text": "...", "spans": [{"kind": "telephone",
"value": "06 39 98 12 34"}]}``; ``spans`` is empty for a text without personal data. ``score`` runs the very
``find`` that masks texts in production and returns plain figures (definitions in DEFINITIONS).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.core.errors import InputError
from server.core.pii import KINDS, Span, find

DATASET = Path(__file__).resolve().parent / "datasets" / "pii.jsonl"

DEFINITIONS = {
    "recall": "Part des données personnelles attendues entièrement masquées (quel que soit le type reconnu).",
    "kind_recall": "Part des données personnelles attendues entièrement couvertes par un seul masque du bon type.",
    "precision": "Part des masques posés qui recouvrent une donnée personnelle attendue.",
    "false_positive_rate": "Part des textes sans donnée personnelle où quelque chose a été masqué.",
}


@dataclass(frozen=True)
class Expected:
    """One piece of personal data a text contains."""

    kind: str
    value: str


@dataclass(frozen=True)
class Case:
    """One text of the dataset and the personal data it contains (none for a negative)."""

    id: str
    text: str
    spans: tuple[Expected, ...]


def load(path: Path = DATASET) -> list[Case]:
    """Read and validate the dataset: known kinds, unique ids, each value present in its text."""
    cases: list[Case] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                case = Case(
                    id=str(raw["id"]),
                    text=str(raw["text"]),
                    spans=tuple(Expected(str(s["kind"]), str(s["value"])) for s in raw["spans"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{line_no} : ligne invalide ({exc})") from exc
            if case.id in seen:
                raise InputError(f"{path}:{line_no} : identifiant en double {case.id!r}")
            for exp in case.spans:
                if exp.kind not in KINDS:
                    raise InputError(f"{path}:{line_no} : type inconnu {exp.kind!r}")
                if exp.value not in case.text:
                    raise InputError(f"{path}:{line_no} : {exp.value!r} absent du texte")
            seen.add(case.id)
            cases.append(case)
    if not cases:
        raise InputError(f"{path} : aucun texte")
    return cases


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = text.find(value)
    while start >= 0:
        out.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return out


def _covered(found: Sequence[Span], start: int, end: int) -> bool:
    """True when every character of [start, end) lies in some found span."""
    return all(any(s.start <= i < s.end for s in found) for i in range(start, end))


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def score(dataset: Sequence[Case]) -> dict[str, object]:
    """Recall, kind recall, precision and false-positive rate of ``find`` on a dataset, overall and per kind."""
    expected = dict.fromkeys(KINDS, 0)
    masked = dict.fromkeys(KINDS, 0)
    typed = dict.fromkeys(KINDS, 0)
    found_n = dict.fromkeys(KINDS, 0)
    found_ok = dict.fromkeys(KINDS, 0)
    negatives = flagged = 0
    misses: list[dict[str, str]] = []
    false_positives: list[dict[str, str]] = []
    for case in dataset:
        found = find(case.text)
        targets = [(exp, _occurrences(case.text, exp.value)) for exp in case.spans]
        for exp, occ in targets:
            expected[exp.kind] += 1
            if any(_covered(found, a, b) for a, b in occ):
                masked[exp.kind] += 1
            else:
                misses.append({"id": case.id, "kind": exp.kind, "value": exp.value})
            if any(s.kind == exp.kind and s.start <= a and b <= s.end for s in found for a, b in occ):
                typed[exp.kind] += 1
        for span in found:
            found_n[span.kind] += 1
            if any(span.start < b and a < span.end for _, occ in targets for a, b in occ):
                found_ok[span.kind] += 1
            else:
                false_positives.append({"id": case.id, "kind": span.kind, "value": span.value})
        if not case.spans:
            negatives += 1
            flagged += bool(found)
    per_kind = {
        k: {
            "expected": expected[k],
            "recall": _ratio(masked[k], expected[k]),
            "kind_recall": _ratio(typed[k], expected[k]),
            "found": found_n[k],
            "precision": _ratio(found_ok[k], found_n[k]),
        }
        for k in KINDS
    }
    return {
        "texts": len(dataset),
        "negatives": negatives,
        "expected": sum(expected.values()),
        "found": sum(found_n.values()),
        "recall": _ratio(sum(masked.values()), sum(expected.values())),
        "kind_recall": _ratio(sum(typed.values()), sum(expected.values())),
        "precision": _ratio(sum(found_ok.values()), sum(found_n.values())),
        "false_positive_rate": flagged / negatives if negatives else 0.0,
        "per_kind": per_kind,
        "misses": misses,
        "false_positives": false_positives,
    }


def report(path: Path) -> str:
    """The figures of one dataset as lines of text: overall, then per kind."""
    result = score(load(path))
    lines = [
        f"{path.name} : {result['texts']} textes ({result['negatives']} sans donnée), {result['expected']} données "
        f"attendues, rappel {result['recall']:.3f}, précision {result['precision']:.3f}, "
        f"faux positifs {result['false_positive_rate']:.3f}"
    ]
    per_kind = result["per_kind"]
    assert isinstance(per_kind, dict)
    for kind, figures in per_kind.items():
        if figures["expected"] or figures["found"]:
            lines.append(
                f"  {kind:<15} attendues {figures['expected']:>3}  rappel {figures['recall']:.3f}  "
                f"trouvées {figures['found']:>3}  précision {figures['precision']:.3f}"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m eval.pii_eval [FILE …]`` prints the figures of each dataset (default pii.jsonl)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m eval.pii_eval", description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, default=[DATASET], help="jeux JSONL (défaut : pii.jsonl)")
    for path in parser.parse_args(argv).datasets:
        sys.stdout.write(report(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
