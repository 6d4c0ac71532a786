"""The ``llm`` drafting mode: a language model rewrites the retrieved passages, and only verified sentences stay.

The model gets the question (personal data masked) and the best documents' passages, numbered [1]..[n], and must
cite them in every sentence. Each sentence is verified as soon as it is complete (server/core/answer/verify.py), so that
the agent page can show the draft while it is written without ever showing an unverified sentence. What the model
wrote, what was removed and why are kept with the draft.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from server.core import pii
from server.core.answer.chunk import HEADING_MARK, Chunk
from server.core.answer.draft import focus
from server.core.answer.models import Citation, LLMReport, RemovedClaim
from server.core.answer.prompts import Prompts
from server.core.answer.retrieve import Hit
from server.core.answer.verify import (
    KeptSentence,
    RemovedSentence,
    Verification,
    Verifier,
    content_stems,
    renumber,
    split,
)
from server.core.text import sentences

SYSTEM_TEMPLATE = "llm_system.fr.j2"
USER_TEMPLATE = "llm_user.fr.j2"
MAX_PASSAGES = 3

Verdict = KeptSentence | RemovedSentence
OnVerdict = Callable[[Verdict], None]


@dataclass(frozen=True)
class Passage:
    """One document's best chunks, numbered [n] for the model; ``text`` is exactly what the model reads."""

    n: int
    doc_id: str
    title: str
    url: str
    updated: str
    chunks: tuple[Chunk, ...]
    text: str


def _plain(chunk: Chunk) -> str:
    """A chunk's text with its heading lines unmarked."""
    return "\n".join(line.removeprefix(HEADING_MARK) for line in chunk.text.split("\n"))


def passages_for(hits: list[Hit], max_chars: int) -> list[Passage]:
    """The best documents' focus chunks, one passage per document, each cut to ``max_chars`` on a line end."""
    by_doc: dict[str, list[Chunk]] = {}
    for hit, doc_rank, _ in focus(hits):
        if doc_rank < MAX_PASSAGES:
            by_doc.setdefault(hit.chunk.doc_id, []).append(hit.chunk)
    out: list[Passage] = []
    for n, chunks in enumerate(by_doc.values(), start=1):
        used: list[Chunk] = []
        parts: list[str] = []
        for chunk in chunks:
            text = _plain(chunk)
            room = max_chars - sum(len(t) + 1 for t in parts)
            if len(text) > room:
                if parts:
                    break
                text = text[:room].rsplit("\n", 1)[0] if "\n" in text[:room] else text[:room]
            used.append(chunk)
            parts.append(text)
        first = chunks[0]
        out.append(Passage(n, first.doc_id, first.title, first.url, first.updated, tuple(used), "\n".join(parts)))
    return out


class LLMDrafter:
    """Prompts the model, verifies its sentences as they come, and builds the reply from the verified ones."""

    def __init__(self, prompts: Prompts, commune: str, model_name: str, min_support: float) -> None:
        self.prompts = prompts
        self.commune = commune
        self.model_name = model_name
        self.min_support = min_support

    @property
    def prompt_version(self) -> str:
        """The versions of the two prompt templates."""
        return f"{self.prompts.version(SYSTEM_TEMPLATE)}+{self.prompts.version(USER_TEMPLATE)}"

    def prompt(self, question: str, history: list[str], passages: list[Passage]) -> tuple[str, str]:
        """System and user messages; the question and the earlier ones are masked (they may hold personal data)."""
        system = self.prompts.render(SYSTEM_TEMPLATE, commune=self.commune)
        user = self.prompts.render(
            USER_TEMPLATE, passages=passages, question=pii.mask(question), history=[pii.mask(h) for h in history]
        )
        return system, user

    def verify_stream(
        self, pieces: Iterable[str], passages: list[Passage], on_verdict: OnVerdict | None = None
    ) -> tuple[str, Verification]:
        """Read the model's reply piece by piece; each sentence is verified (and reported) once complete."""
        verifier = Verifier([p.text for p in passages], self.min_support)
        result = Verification(min_support=self.min_support)
        raw = ""
        done = 0

        seen: set[str] = set()

        def judge(upto: int) -> None:
            nonlocal done
            for line, sentence in split(raw)[done:upto]:
                if sentence in seen:  # a small model repeats itself: each sentence is judged (and shown) once
                    continue
                seen.add(sentence)
                verdict = verifier.check(sentence, line)
                if verdict is None:
                    continue
                if isinstance(verdict, KeptSentence):
                    result.kept.append(verdict)
                else:
                    result.removed.append(verdict)
                if on_verdict:
                    on_verdict(verdict)
            done = max(done, upto)

        for piece in pieces:
            raw += piece
            complete = len(split(raw)) - 1  # the last sentence may still grow
            if complete > done:
                judge(complete)
        judge(len(split(raw)))
        return raw, result

    def report(self, raw: str, verification: Verification, min_kept: float) -> LLMReport:
        """Whether the verified draft is good enough to use, with the notice the agent reads."""
        removed = [RemovedClaim(text=s.text, reasons=list(s.reasons)) for s in verification.removed]
        kept = len(verification.kept)
        total = verification.total
        usable = kept > 0 and verification.kept_ratio >= min_kept
        if usable:
            notice = None
            if removed:
                notice = (
                    f"{len(removed)} phrase(s) du modèle retirée(s) sur {total} : non étayée(s) par les sources "
                    "(détail ci-dessous)."
                )
            status: Literal["utilise", "ecarte"] = "utilise"
        else:
            status = "ecarte"
            why = (
                "le modèle n'a écrit aucune phrase vérifiable"
                if not total
                else f"{total - kept} phrase(s) sur {total} non étayée(s) par les sources"
            )
            notice = f"Brouillon du modèle écarté ({why}) : brouillon extractif proposé à la place."
        return LLMReport(
            status=status,
            model=self.model_name,
            prompt=self.prompt_version,
            raw=raw,
            kept=kept,
            removed=removed,
            notice=notice,
        )

    def unavailable(self, error: str) -> LLMReport:
        """The report when the endpoint failed: the extractive draft is proposed, and the agent is told."""
        return LLMReport(
            status="indisponible",
            model=self.model_name,
            prompt=self.prompt_version,
            error=error,
            notice=f"Le modèle de langue n'a pas répondu ({error}) : brouillon extractif proposé à la place.",
        )


def cite(kept: list[KeptSentence], passages: list[Passage]) -> tuple[list[str], list[Citation]]:
    """The kept sentences as reply lines, renumbered by first use, and the citations backing them.

    Each citation quotes, verbatim from its chunk, the sentence of the cited passage that shares the most
    content words with the reply sentence: the agent sees which source sentence supports which claim.
    """
    mapping: dict[int, int] = {}
    for s in kept:
        for n in s.cited:
            if 1 <= n <= len(passages):
                mapping.setdefault(n, len(mapping) + 1)
    lines: dict[int, list[str]] = {}
    citations: list[Citation] = []
    seen: set[tuple[int, str]] = set()
    for s in kept:
        lines.setdefault(s.line, []).append(renumber(s.text, mapping))
        own = content_stems(s.text)
        for n in s.cited:
            if n not in mapping:
                continue
            chunk, quote = _best_sentence(passages[n - 1], own)
            if (mapping[n], quote) in seen:
                continue
            seen.add((mapping[n], quote))
            citations.append(Citation.of(chunk, mapping[n], quote))
    citations.sort(key=lambda c: c.n)
    return [" ".join(parts) for _, parts in sorted(lines.items())], citations


def _best_sentence(passage: Passage, own: set[str]) -> tuple[Chunk, str]:
    best: tuple[int, Chunk, str] | None = None
    for chunk in passage.chunks:
        for line in chunk.text.split("\n"):
            if line.startswith(HEADING_MARK):
                continue
            for sent in sentences(line):
                overlap = len(content_stems(sent) & own)
                if best is None or overlap > best[0]:
                    best = (overlap, chunk, sent)
    assert best is not None, "a passage always has a sentence"
    return best[1], best[2]
