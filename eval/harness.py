"""Runs every question of a dataset through ``Assistant.draft`` (the service's code path) into records."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence

from tqdm import tqdm

from eval.dataset import Item
from eval.metrics import Record
from server.core.answer import verify
from server.core.answer.assistant import Assistant
from server.core.answer.facts import Evidence, extract
from server.core.answer.index import Index
from server.core.answer.models import DraftResult
from server.core.answer.reasons import guarded
from server.core.answer.verify import strip_citations
from server.core.desk import public_answer

# A segment of a draft and the citation marker closing it: "[2]", or "[1, 3]" in a model's sentence.
_MARKED = re.compile(r"(.+?)\s*(\[\s*\d+(?:\s*[,;\-–]\s*\d+)*\s*\])")


def _sentence_citations(result: DraftResult, index: Index) -> tuple[int, int, int, int]:
    """(citations, valid citations, body segments, segments carrying a valid citation) of an answered draft."""
    valid_quotes: set[tuple[int, str]] = set()
    valid_numbers: set[int] = set()
    for c in result.citations:
        pos = index.positions.get(c.chunk_id)
        chunk = index.chunks[pos] if pos is not None else None
        if chunk is not None and chunk.doc_id == c.doc_id and c.quote in chunk.text:
            valid_quotes.add((c.n, c.quote))
            valid_numbers.add(c.n)
    # A model's sentence is its own wording: it counts as cited when its number backs a valid quote.
    written = result.provenance.mode == "llm"
    body = result.draft.split("Voici les informations dont nous disposons :", 1)[-1]
    body = body.split("\nCordialement,", 1)[0]
    segments = 0
    cited = 0
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        marked = _MARKED.findall(line)
        leftover = _MARKED.sub("", line).strip()
        segments += len(marked) + (1 if re.search(r"\w", leftover) else 0)  # a stop after "[1, 2]" is no segment
        for text, marker in marked:
            numbers = verify.citations(marker)
            if written:
                cited += all(n in valid_numbers for n in numbers)
            else:
                cited += len(numbers) == 1 and (numbers[0], text.strip()) in valid_quotes
    return len(result.citations), len(valid_quotes), segments, cited


def _unsupported_facts(result: DraftResult, index: Index) -> int:
    """Facts of an answered draft's body absent from the full text of the documents it cites (apart from verify)."""
    docs = {c.doc_id for c in result.citations}
    evidence = Evidence.of([c.text for c in index.chunks if c.doc_id in docs])
    body = result.draft.split("Voici les informations dont nous disposons :", 1)[-1].split("\nCordialement,", 1)[0]
    return sum(1 for f in extract(strip_citations(body)) if not evidence.supports(f))


def _in_public_chunk(index: Index, quote: str) -> bool:
    """Checked apart from the code that chose the extract: is it word for word in some public chunk?"""
    return any(c.audience == "public" and quote in c.text for c in index.chunks)


def run(
    assistant: Assistant,
    items: Sequence[Item],
    progress: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> list[Record]:
    """Draft every question and record what eval scores; ``on_progress(done)`` is called every few questions."""
    index = assistant.index()
    records: list[Record] = []
    for done, item in enumerate(
        tqdm(items, desc="Évaluation", unit="question", disable=not progress, file=sys.stderr), start=1
    ):
        result = assistant.draft(item.question, qid=item.id)
        n_cit, n_valid, n_seg, n_cited = (
            _sentence_citations(result, index) if result.status == "answered" else (0, 0, 0, 0)
        )
        is_guarded = guarded(result.abstain_reason)
        public = public_answer.candidate(assistant, item.question)
        shown = public.decide(assistant.public_threshold).kind == "extraits"
        records.append(
            Record(
                id=item.id,
                question=item.question,
                expect=item.expect,
                kind=item.kind,
                theme=item.theme,
                status=result.status,
                confidence=result.confidence,
                guarded=is_guarded,
                facts=item.facts,
                gold=item.gold_sources,
                ranked_docs=[s.doc_id for s in result.sources],
                draft=result.draft,
                candidate_draft=result.candidate_draft,
                citations_total=n_cit,
                citations_valid=n_valid,
                sentences_total=n_seg,
                sentences_cited=n_cited,
                latency_ms=result.timings_ms.get("total", 0.0),
                features=result.features,
                sources=[{"doc_id": s.doc_id, "title": s.title, "stale": s.stale} for s in result.sources[:5]],
                public_shown=shown,
                public_confidence=public.confidence,
                public_features=public.features,
                public_in_scope=not public.reason,
                public_text="\n".join(e.quote for e in public.extracts),
                llm_status=result.llm.status if result.llm else None,
                llm_sentences=result.llm.kept + len(result.llm.removed) if result.llm else 0,
                llm_removed=len(result.llm.removed) if result.llm else 0,
                unsupported_facts=_unsupported_facts(result, index) if result.status == "answered" else 0,
                public_not_verbatim=sum(1 for e in public.extracts if not _in_public_chunk(index, e.quote))
                if shown
                else 0,
            )
        )
        if on_progress and (done % 10 == 0 or done == len(items)):
            on_progress(done)
    return records
