"""Drafting a batch of questions (``accueil ask --batch``): one JSON ``{id, question}`` a line, one outcome a line.

A line that is not such an object is skipped with its reason; a question refused by the assistant (too long…) is
reported with the French message; the others are drafted in file order, as the same ``Assistant.draft`` serves agents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from server.core.answer.assistant import Assistant
from server.core.answer.models import DraftResult
from server.core.errors import AccueilError

T = TypeVar("T")


@dataclass(frozen=True)
class BatchLine(Generic[T]):
    """One non-blank line of a batch: its draft, or the French message saying why it has none."""

    line_no: int
    result: T | None = None
    error: str = ""


def draft_lines(lines: Iterable[str], draft: Callable[[str, str], T]) -> Iterator[BatchLine[T]]:
    """Apply ``draft(question, id)`` to each JSON line; the id defaults to the line number (from 1)."""
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            result = draft(str(item["question"]), str(item.get("id", line_no)))
        except (ValueError, KeyError, TypeError) as exc:
            yield BatchLine(line_no, error=f"Ligne {line_no} ignorée : {exc}")
            continue
        except AccueilError as exc:
            yield BatchLine(line_no, error=f"Ligne {line_no} : {exc.message}")
            continue
        yield BatchLine(line_no, result=result)


def draft_batch(assistant: Assistant, path: Path, public_only: bool = False) -> Iterator[BatchLine[DraftResult]]:
    """Draft every question of the JSONL file ``path``, in order.

    The index is opened first, so that a missing index fails the batch (AccueilError) rather than every line;
    an unreadable file raises OSError.
    """
    assistant.index()
    with open(path, encoding="utf-8") as fh:
        yield from draft_lines(fh, lambda question, qid: assistant.draft(question, qid=qid, public_only=public_only))
