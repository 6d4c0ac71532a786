"""The drafting pipeline: question -> hybrid retrieval -> sentence selection -> confidence -> draft or abstention.

The service, the CLI and the evaluation all call ``Assistant.draft``: eval scores exactly what agents get.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path

from server.core import draft as drafting
from server.core.confidence import Calibration, features, guard
from server.core.config import Settings
from server.core.embed import Embedder, get_embedder
from server.core.errors import InputError, RetrievalError
from server.core.index import CURRENT, Index
from server.core.memory import PairRule
from server.core.models import Citation, DraftResult, Provenance, Source
from server.core.prompts import get_prompts
from server.core.question import analyse
from server.core.retrieve import Hit, retrieve, steer

log = logging.getLogger(__name__)

REPLY_TEMPLATE = "reply_extractive.fr.j2"
ABSTAIN_TEMPLATE = "abstention.fr.j2"


def _french_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if len(iso) == 10 else iso


class Assistant:
    """Owns the loaded index, embedder, templates and calibration; safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prompts = get_prompts(settings.prompts_dir)
        self.calibration = Calibration.load(settings.calibration_file)
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._pointer: str = ""

    @property
    def threshold(self) -> float:
        """Abstention threshold: the setting when given, else the calibrated one."""
        t = self.settings.abstain_threshold
        return self.calibration.threshold if t is None else t

    @property
    def public_threshold(self) -> float:
        """The citizen side's threshold: the setting or the calibrated one, never below the agents' threshold."""
        t = self.settings.public_threshold
        return max(self.calibration.public_threshold if t is None else t, self.threshold)

    @property
    def memory_rule(self) -> PairRule:
        """When a validated reply counts as close: the calibrated rule, its similarity limit overridable by setting."""
        rule = self.calibration.memory
        override = self.settings.memory_threshold
        return rule if override is None else PairRule(min_cos=override, max_diff=rule.max_diff)

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once per process)."""
        return get_embedder(self.settings.embedding_model, self.settings.embedding_batch_size)

    def index(self) -> Index:
        """The generation in service, reopened when an ingest has switched CURRENT."""
        pointer_file: Path = self.settings.index_dir / CURRENT
        pointer = pointer_file.read_text().strip() if pointer_file.exists() else ""
        with self._lock:
            if self._index is None or pointer != self._pointer:
                index = Index.open_current(self.settings.index_dir, self.settings.embedding_model)
                # Read the vectors now, under the lock: Chroma's client is not safe to create from several threads
                # at once (a load test of 32 clients met "Could not connect to tenant" on the first requests).
                _ = index.vectors
                self._index = index
                self._pointer = pointer
            return self._index

    def _sources(self, hits: list[Hit], today: str) -> list[Source]:
        best: dict[str, Hit] = {}
        for hit in hits:
            best.setdefault(hit.chunk.doc_id, hit)
        return [
            Source(
                doc_id=h.chunk.doc_id,
                title=h.chunk.title,
                url=h.chunk.url,
                updated=h.chunk.updated,
                score=round(h.score, 6),
                stale=h.chunk.is_stale(today),
                audience=h.chunk.audience,
                chunk_id=h.chunk.chunk_id,
                heading_path=h.chunk.heading_path,
            )
            for h in list(best.values())[: self.settings.sources_listed]
        ]

    def _render_reply(self, citations: list[Citation]) -> str:
        seen: dict[int, Citation] = {}
        for c in citations:
            seen.setdefault(c.n, c)
        sources = [
            {"n": n, "title": c.title, "updated": _french_date(c.updated), "url": c.url} for n, c in seen.items()
        ]
        return self.prompts.render(REPLY_TEMPLATE, groups=drafting.groups_for(citations), sources=sources)

    def draft(
        self,
        question: str,
        history: list[str] | None = None,
        public_only: bool = False,
        qid: str | None = None,
        pinned: list[str] | None = None,
        excluded: list[str] | None = None,
    ) -> DraftResult:
        """Draft a grounded reply to ``question`` or abstain.

        ``history`` holds earlier questions of the thread; ``pinned`` and ``excluded`` are document ids the agent
        wants used first, or left out.
        """
        text = question.strip()
        if not text:
            raise InputError("La question est vide.")
        if len(text) > self.settings.max_question_chars:
            raise InputError(f"La question dépasse {self.settings.max_question_chars} caractères.")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        index = self.index()
        q = analyse(text, history, self.settings.commune_name)
        vector = self.embedder.encode([q.query])[0]
        timings["embed"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        try:
            found = retrieve(index, vector, q, self.settings.retrieval_candidates, public_only)
        except (RuntimeError, ValueError, OSError) as exc:
            raise RetrievalError(f"La recherche dans l'index a échoué : {exc}") from exc
        if pinned or excluded:
            found.hits = steer(index, vector, found.hits, list(pinned or []), list(excluded or []))
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        selection = drafting.select(
            index, q, found.hits, self.calibration.units, self.settings.draft_max_sentences, self.calibration.unit_floor
        )
        citations = drafting.citations_for(selection.units)
        feats = features(index, q, found, selection)
        reason = guard(q)
        confidence = 0.0 if reason else self.calibration.score(feats)
        if not reason and not citations:
            reason = "aucun passage pertinent"
        if not reason and confidence < self.threshold:
            reason = "confiance insuffisante"
        today = date.today().isoformat()
        sources = self._sources(found.hits, today)
        candidate = self._render_reply(citations) if citations else ""
        if reason:
            listed = [{"title": s.title, "updated": _french_date(s.updated), "url": s.url} for s in sources[:5]]
            shown_reason = None if reason == "confiance insuffisante" else reason
            reply = self.prompts.render(ABSTAIN_TEMPLATE, reason=shown_reason, sources=listed)
        else:
            reply = candidate
        timings["draft"] = (time.perf_counter() - t2) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return DraftResult(
            id=qid,
            question=text,
            status="abstained" if reason else "answered",
            draft=reply,
            confidence=round(confidence, 4),
            threshold=self.threshold,
            abstain_reason=reason,
            citations=[] if reason else citations,
            sources=sources,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
            provenance=Provenance(
                index_version=index.version,
                embedding_model=index.manifest.embedding_model,
                mode="extractive",
                template=self.prompts.version(ABSTAIN_TEMPLATE if reason else REPLY_TEMPLATE),
                calibration=self.calibration.version,
            ),
            features={k: round(v, 5) for k, v in feats.items()},
            candidate_draft=candidate,
            candidate_citations=citations,
        )
