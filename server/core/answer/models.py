"""Shapes of a draft result, shared by the CLI (--json, --batch), the API and the evaluation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.core.answer.chunk import Chunk
from server.core.answer.docmeta import Audience
from server.core.answer.reasons import AbstainReason


class Citation(BaseModel):
    """A verbatim quote of a chunk, cited as [n] in the draft."""

    n: int
    doc_id: str
    title: str
    url: str
    updated: str
    quote: str
    chunk_id: str
    content_hash: str

    @classmethod
    def of(cls, chunk: Chunk, n: int, quote: str) -> Citation:
        """The citation [n] of ``quote``, a sentence of ``chunk``."""
        return cls(
            n=n,
            doc_id=chunk.doc_id,
            title=chunk.title,
            url=chunk.url,
            updated=chunk.updated,
            quote=quote,
            chunk_id=chunk.chunk_id,
            content_hash=chunk.content_hash,
        )


class Source(BaseModel):
    """A retrieved document, best first."""

    doc_id: str
    title: str
    url: str
    updated: str
    score: float
    stale: bool
    audience: Audience
    chunk_id: str
    heading_path: str


class Provenance(BaseModel):
    """What the draft was made from, for the audit trail."""

    index_version: str
    embedding_model: str
    mode: str
    template: str
    calibration: str


class RemovedClaim(BaseModel):
    """A sentence of the language model removed from the draft, with the reasons shown to the agent."""

    text: str
    reasons: list[str]


class LLMReport(BaseModel):
    """What the language model did for one draft (``llm`` mode), kept with the draft for the agent and the audit.

    ``status``: "utilise" (its verified sentences are the draft), "ecarte" (too little passed the verification:
    the extractive draft is proposed) or "indisponible" (the endpoint failed: the extractive draft is proposed).
    """

    status: Literal["utilise", "ecarte", "indisponible"]
    model: str
    prompt: str
    raw: str = ""
    kept: int = 0
    removed: list[RemovedClaim] = Field(default_factory=list)
    error: str | None = None
    notice: str | None = None
    # The documents whose passages the model was given, in order.
    documents: list[str] = Field(default_factory=list)


class DraftResult(BaseModel):
    """The result of one question: a cited draft, or an abstention with the nearest sources."""

    id: str | None = None
    question: str
    status: Literal["answered", "abstained"]
    draft: str
    confidence: float
    threshold: float
    abstain_reason: AbstainReason | None = None
    # Questions of a message asking several that the sources do not answer: the draft leaves them to the agent.
    uncovered_parts: list[str] = Field(default_factory=list)
    # What the agent is told beside the draft (the period quoted, dates past, a source to review): French lines.
    notes: list[str] = Field(default_factory=list)
    citations: list[Citation]
    sources: list[Source]
    timings_ms: dict[str, float]
    provenance: Provenance
    features: dict[str, float] = Field(default_factory=dict)
    llm: LLMReport | None = None
    # The draft that would have been given had the assistant answered: eval scores it along the
    # risk-coverage curve; never shown to anyone.
    candidate_draft: str = Field("", exclude=True)
    candidate_citations: list[Citation] = Field(default_factory=list, exclude=True)
