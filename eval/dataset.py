"""The evaluation dataset: JSONL, one question a line (see eval/datasets/README.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from server.core.errors import InputError


@dataclass(frozen=True)
class Item:
    """One evaluation question."""

    id: str
    question: str
    expect: str
    reference_answer: str = ""
    gold_sources: list[str] = field(default_factory=list)
    theme: str = ""
    kind: str = ""

    @property
    def facts(self) -> list[str]:
        """The atomic facts of the reference answer (separated by ';')."""
        return [f.strip() for f in self.reference_answer.split(";") if f.strip()]


def load_dataset(path: Path) -> list[Item]:
    """Read and validate a dataset file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"{path} : jeu de questions introuvable") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} : lecture impossible ({exc})") from exc
    items: list[Item] = []
    seen: set[str] = set()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = Item(
                id=str(raw["id"]),
                question=str(raw["question"]),
                expect=str(raw["expect"]),
                reference_answer=str(raw.get("reference_answer") or ""),
                gold_sources=[str(s) for s in raw.get("gold_sources") or []],
                theme=str(raw.get("theme") or ""),
                kind=str(raw.get("kind") or ""),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{line_no} : ligne invalide ({exc})") from exc
        if item.expect not in ("answer", "abstain"):
            raise InputError(f"{path}:{line_no} : expect doit valoir 'answer' ou 'abstain'")
        if item.id in seen:
            raise InputError(f"{path}:{line_no} : identifiant en double {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path} : aucune question")
    return items


def dataset_digest(path: Path) -> str:
    """Short hash of the dataset file, printed in the report."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
