"""The drafting pipeline: question -> hybrid retrieval -> sentence selection -> confidence -> draft or abstention.

The service, the CLI and the evaluation all call ``Assistant.draft``: eval scores exactly what agents get.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel

from server.core.answer import draft as drafting
from server.core.answer.confidence import Calibration, features, guard
from server.core.answer.embed import Embedder, embedder_for
from server.core.answer.index import CURRENT, Index
from server.core.answer.llm import chat_model, messages, stream_text
from server.core.answer.llm_draft import LLMDrafter, OnVerdict, Passage, cite, passages_for
from server.core.answer.models import Citation, DraftResult, LLMReport, Provenance, Source
from server.core.answer.notes import draft_notes
from server.core.answer.prompts import get_prompts
from server.core.answer.question import Question, analyse, parts
from server.core.answer.reasons import AbstainReason
from server.core.answer.respell import respelled
from server.core.answer.retrieve import Hit, Retrieval, retrieve, steer
from server.core.answer.school_calendar import UNKNOWN, SchoolDay
from server.core.answer.school_calendar import load as load_calendar
from server.core.answer.sender import without_sender
from server.core.config import Settings
from server.core.errors import InputError, RetrievalError
from server.core.text import tokens

log = logging.getLogger(__name__)


# Sentences quoted for each question of a message that asks several (list items brought along not counted).
PART_SENTENCES = 4


@dataclass
class PartDrafts:
    """What the questions of a message asking several give its draft: their own sentences, each question's
    confidence, the questions the draft leaves to the agent, and the hits of each answered one."""

    units: list[drafting.Unit] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    answered_hits: list[list[Hit]] = field(default_factory=list)

    @property
    def hits(self) -> list[Hit]:
        """The hits of the answered questions, one after the other."""
        return [hit for hits in self.answered_hits for hit in hits]

    @property
    def all_answerable(self) -> bool:
        """Every question of the message was looked up and reaches the threshold on its own."""
        return bool(self.confidences) and not self.uncovered

    def merged(self, units: list[drafting.Unit]) -> list[drafting.Unit]:
        """``units`` then the questions' own sentences not already among them."""
        texts = {u.text for u in units}
        return units + [u for u in self.units if u.text not in texts]

    def hits_for_model(self, hits: list[Hit]) -> list[Hit]:
        """The message's hits led by each answered question's best one, so that the language model reads a passage
        for every question."""
        out: list[Hit] = []
        seen: set[str] = set()
        for hit in [h[0] for h in self.answered_hits if h] + hits:
            if hit.chunk.chunk_id not in seen:
                seen.add(hit.chunk.chunk_id)
                out.append(hit)
        return out


REPLY_TEMPLATE = "reply_extractive.fr.j2"
ABSTAIN_TEMPLATE = "abstention.fr.j2"


def _french_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if len(iso) == 10 else iso


class Assistant:
    """Owns the loaded index, embedder, templates and calibration; safe to share between threads.

    ``today`` fixes the day the drafts are made for (which schedule applies, which dates are past): the evaluation
    and the tests pass one so that their results do not change with the calendar; by default, the real date.
    """

    def __init__(self, settings: Settings, today: date | None = None) -> None:
        self.settings = settings
        self.fixed_today = today
        self.prompts = get_prompts(settings.prompts_dir)
        self.calibration = Calibration.load(settings.calibration_path)
        if settings.school_calendar is not None:
            load_calendar(settings.school_calendar)  # a missing or malformed calendar stops the start, clearly
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._pointer: str = ""
        self._llm: BaseChatModel | None = None

    def today(self) -> date:
        """The day drafts are made for: the fixed one, else the real date."""
        return self.fixed_today or date.today()

    def school_day(self, day: date) -> SchoolDay:
        """What the commune's school calendar says of ``day`` (read again when its file changes), if one is set."""
        path = self.settings.school_calendar
        return UNKNOWN if path is None else load_calendar(path).day(day)

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
    def claim_support(self) -> float:
        """The verifier's support threshold for a language model's sentences: setting, else calibrated."""
        t = self.settings.llm_min_support
        return self.calibration.claim_support if t is None else t

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once per process)."""
        return embedder_for(self.settings)

    def index(self) -> Index:
        """The generation in service, reopened when an ingest has switched CURRENT."""
        pointer_file: Path = self.settings.index_dir / CURRENT
        pointer = pointer_file.read_text().strip() if pointer_file.exists() else ""
        with self._lock:
            if self._index is None or pointer != self._pointer:
                settings = self.settings
                index = Index.open_current(
                    settings.index_dir, settings.embedder_id, settings.chroma_url, settings.dense_search
                )
                # Under the lock: Chroma's client is not safe to create from several threads at once (a load test of
                # 32 clients met "Could not connect to tenant" on the first requests).
                index.prepare()
                if self._index is not None:
                    self._index.close()
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

    def _render_reply(self, citations: list[Citation], lines: list[str] | None = None) -> str:
        """The reply: the quoted groups (extractive) or the verified lines of the model, then the sources."""
        seen: dict[int, Citation] = {}
        for c in citations:
            seen.setdefault(c.n, c)
        sources = [
            {"n": n, "title": c.title, "updated": _french_date(c.updated), "url": c.url} for n, c in seen.items()
        ]
        groups = drafting.groups_for(citations) if lines is None else [{"n": 0, "lines": [ln]} for ln in lines]
        return self.prompts.render(REPLY_TEMPLATE, groups=groups, sources=sources)

    def chat_model(self) -> BaseChatModel:
        """The language model client of the ``llm`` mode, built once."""
        with self._lock:
            if self._llm is None:
                self._llm = chat_model(self.settings)
            return self._llm

    def _llm_draft(
        self, question: str, history: list[str], hits: list[Hit], on_verdict: OnVerdict | None
    ) -> tuple[str, list[Citation], LLMReport]:
        """Ask the language model; keep only its verified sentences. Empty reply when it is not to be used."""
        passages = passages_for(hits, self.settings.llm_passage_chars)
        written, citations, report = self._ask_model(question, history, passages, on_verdict)
        report.documents = [p.doc_id for p in passages]
        return written, citations, report

    def _ask_model(
        self, question: str, history: list[str], passages: list[Passage], on_verdict: OnVerdict | None
    ) -> tuple[str, list[Citation], LLMReport]:
        """The model's verified reply over ``passages``, or an empty reply and the report saying why not."""
        import httpx
        import openai  # imported here: a service in extractive mode never loads the OpenAI client

        drafter = LLMDrafter(self.prompts, self.settings.commune_name, self.settings.llm_model, self.claim_support)
        system, user = drafter.prompt(question, history, passages)
        try:
            pieces = stream_text(self.chat_model(), messages(system, user))
            raw, verification = drafter.verify_stream(pieces, passages, on_verdict)
        except openai.APITimeoutError:
            return "", [], drafter.unavailable(f"délai de {self.settings.llm_timeout:g} s dépassé")
        except openai.APIStatusError as exc:
            return "", [], drafter.unavailable(f"erreur {exc.status_code} du service")
        except (openai.APIError, httpx.HTTPError, OSError) as exc:
            log.warning("Modèle de langue injoignable : %s", exc)
            return "", [], drafter.unavailable("service injoignable")
        report = drafter.report(raw, verification, self.settings.llm_min_kept)
        if report.status != "utilise":
            return "", [], report
        lines, citations = cite(verification.kept, passages)
        return self._render_reply(citations, lines), citations, report

    def _retrieve(
        self,
        index: Index,
        vector: np.ndarray,
        q: Question,
        public_only: bool,
        pinned: list[str] | None,
        excluded: list[str] | None,
    ) -> Retrieval:
        """The hits for ``q``, steered by the documents the agent pinned or excluded."""
        try:
            found = retrieve(index, vector, q, self.settings.retrieval_candidates, public_only)
        except (RuntimeError, ValueError, OSError) as exc:
            raise RetrievalError(f"La recherche dans l'index a échoué : {exc}") from exc
        if pinned or excluded:
            found.hits = steer(index, vector, found.hits, list(pinned or []), list(excluded or []))
        return found

    def _part_units(
        self,
        index: Index,
        text: str,
        history: list[str] | None,
        public_only: bool,
        pinned: list[str] | None,
        excluded: list[str] | None,
        today: date | None = None,
    ) -> PartDrafts:
        """For a message asking several questions, each one retrieved and drafted on its own.

        Retrieval for the whole message favours its dominant subject and often misses the second question. A
        question's sentences are kept only when its own confidence reaches the threshold; otherwise, or when it is
        beyond ``MAX_PARTS``, it is named to the agent. A question of a few terms is read with the one before (or
        the thread's last); a pinned document steers a question only when it is among the documents read for it.
        """
        split = parts(text)
        if not split.questions:
            return PartDrafts()
        day = today or self.today()
        out = PartDrafts()
        earlier = list(history or [])
        asked: list[Question] = []
        for piece in split.questions:
            short = len(tokens(piece)) <= 3
            asked.append(respelled(index, analyse(piece, earlier if short else None, self.settings.commune_name)))
            earlier.append(piece)
        vectors = self.embedder.encode([pq.query for pq in asked])
        seen: set[str] = set()
        for piece, pq, vector in zip(split.questions, asked, vectors, strict=True):
            found = self._retrieve(index, vector, pq, public_only, None, excluded)
            # Among the documents the drafter reads for this question, not merely among its many candidates: a
            # multilingual retriever puts related documents of the same theme far down every question's list.
            read = {hit.chunk.doc_id for hit, _, _ in drafting.focus(found.hits)}
            own = [d for d in pinned or [] if d in read]
            if own:
                found.hits = steer(index, vector, found.hits, own, [])
            chosen = drafting.select(
                index,
                pq,
                found.hits,
                self.calibration.units,
                PART_SENTENCES,
                self.calibration.unit_floor,
                day,
                self.school_day(day).off,
            )
            confidence = 0.0 if guard(pq) else self.calibration.score(features(index, pq, found, chosen))
            out.confidences.append(confidence)
            if confidence < self.threshold:
                out.uncovered.append(piece)  # the assistant would abstain on this question alone: nothing of it
                continue
            out.answered_hits.append(found.hits)
            for unit in chosen.units:
                if unit.text not in seen:
                    seen.add(unit.text)
                    out.units.append(unit)
        out.uncovered.extend(split.left_out)
        return out

    def draft(
        self,
        question: str,
        history: list[str] | None = None,
        public_only: bool = False,
        qid: str | None = None,
        pinned: list[str] | None = None,
        excluded: list[str] | None = None,
        mode: str | None = None,
        on_verdict: OnVerdict | None = None,
        today: date | None = None,
    ) -> DraftResult:
        """Draft a grounded reply to ``question`` or abstain.

        ``history`` holds earlier questions of the thread; ``pinned`` and ``excluded`` are document ids the agent
        wants used first, or left out. ``mode`` overrides the configured drafting mode; the citizen side
        (``public_only``) is always extractive. In ``llm`` mode, ``on_verdict`` hears each sentence of the model
        as soon as it is verified (kept or removed), for streaming. ``today``: the day the draft is for (default:
        the assistant's).
        """
        day = today or self.today()
        school = self.school_day(day)
        mode = "extractive" if public_only else (mode or self.settings.mode)
        text = question.strip()
        if not text:
            raise InputError("La question est vide.")
        if len(text) > self.settings.max_question_chars:
            raise InputError(f"La question dépasse {self.settings.max_question_chars} caractères.")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        index = self.index()
        # What is read is the message without who sends it (``sender``); the result keeps the message as sent.
        read = without_sender(text)
        earlier = [without_sender(h) for h in history] if history else history
        q = respelled(index, analyse(read, earlier, self.settings.commune_name))
        vector = self.embedder.encode([q.query])[0]
        timings["embed"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        found = self._retrieve(index, vector, q, public_only, pinned, excluded)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        selection = drafting.select(
            index,
            q,
            found.hits,
            self.calibration.units,
            self.settings.draft_max_sentences,
            self.calibration.unit_floor,
            day,
            school.off,
        )
        reason = guard(q)
        split = PartDrafts()
        if not reason and not q.follow_up:
            split = self._part_units(index, read, earlier, public_only, pinned, excluded, day)
        feats = features(index, q, found, selection)
        confidence = 0.0 if reason else self.calibration.score(feats)
        units = split.merged(selection.units)
        if split.all_answerable and not q.other_place and confidence < self.threshold:
            # Each question is answerable on its own, though the mixed retrieval of the whole message is not: the
            # draft is made of the questions' own sentences, and is as sure as the least sure of them.
            confidence = min(split.confidences)
            units = split.units
        ordered = drafting.by_document(units)
        citations = drafting.citations_for(ordered)
        if not reason and not citations:
            reason = AbstainReason.NO_PASSAGE
        if not reason and confidence < self.threshold:
            reason = AbstainReason.LOW_CONFIDENCE
        today_iso = day.isoformat()
        sources = self._sources(found.hits, today_iso)
        unlisted = {c.doc_id for c in citations} - {src.doc_id for src in sources}
        sources += self._sources([h for h in split.hits if h.chunk.doc_id in unlisted], today_iso)  # cited by a part
        notes = draft_notes(selection, ordered, citations, day, school)
        candidate = self._render_reply(citations) if citations else ""
        template = self.prompts.version(ABSTAIN_TEMPLATE if reason else REPLY_TEMPLATE)
        llm: LLMReport | None = None
        if mode == "llm" and not reason:
            t3 = time.perf_counter()
            hits = split.hits_for_model(found.hits)
            written, written_citations, llm = self._llm_draft(text, list(history or []), hits, on_verdict)
            timings["llm"] = (time.perf_counter() - t3) * 1000
            if written:
                candidate, citations = written, written_citations
                template = f"{llm.prompt}+{template}"
        if reason:
            listed = [{"title": s.title, "updated": _french_date(s.updated), "url": s.url} for s in sources[:5]]
            shown_reason = None if reason == AbstainReason.LOW_CONFIDENCE else reason.label
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
            uncovered_parts=[] if reason else split.uncovered,
            notes=[] if reason else notes,
            citations=[] if reason else citations,
            sources=sources,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
            provenance=Provenance(
                index_version=index.version,
                embedding_model=index.manifest.embedding_model,
                mode="llm" if llm is not None and llm.status == "utilise" else "extractive",
                template=template,
                calibration=self.calibration.version,
            ),
            features={k: round(v, 5) for k, v in feats.items()},
            llm=llm,
            candidate_draft=candidate,
            candidate_citations=citations,
        )
