"""What the request page shows, built from the stored draft, the trail and the current index (no logic in templates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.answer.chunk import HEADING_MARK
from server.core.answer.index import Index
from server.core.answer.question import parts
from server.core.desk import memory, outbox, workflow, workspace
from server.core.desk.states import TrailAction
from server.core.desk.tables import REPLY_VIA, Request
from server.core.errors import AccueilError


@dataclass
class Extract:
    """One passage of a source document shown to the agent, with the cited sentences marked."""

    heading_path: str
    segments: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class SourcePanel:
    """One document of a draft (one card, however many of its passages were retrieved or cited)."""

    n: int | None
    doc_id: str
    title: str
    url: str
    updated: str
    review_by: str
    stale: bool
    internal: bool
    quotes: list[str] = field(default_factory=list)
    extracts: list[Extract] = field(default_factory=list)
    missing: bool = False


def mark(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_quoted) so that the template can wrap quotes in <mark> with escaping on."""
    spans: list[tuple[int, int]] = []
    for q in quotes:
        start = text.find(q)
        if start >= 0:
            spans.append((start, start + len(q)))
    spans.sort()
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def french_date(iso: str) -> str:
    """« 15/10/2026 » for « 2026-10-15 »; anything else unchanged."""
    try:
        return dt.date.fromisoformat(iso[:10]).strftime("%d/%m/%Y") if iso else ""
    except ValueError:
        return iso


def _shown(text: str) -> str:
    return "\n".join(
        f"▸ {line[len(HEADING_MARK) :]}" if line.startswith(HEADING_MARK) else line for line in text.split("\n")
    )


def source_panels(result: dict[str, Any], index: Index | None) -> list[SourcePanel]:
    """One card per document: cited documents first (by [n], their quotes listed and marked), then the others."""
    quotes: dict[str, list[str]] = {}
    numbers: dict[str, int] = {}
    doc_quotes: dict[str, list[str]] = {}
    cited: dict[str, dict[str, Any]] = {}
    for c in result.get("citations") or []:
        cited.setdefault(c["chunk_id"], c)
        quotes.setdefault(c["chunk_id"], []).append(c["quote"])
        numbers.setdefault(c["doc_id"], c["n"])
        doc_quotes.setdefault(c["doc_id"], []).append(c["quote"])
    listed = {s["chunk_id"]: s for s in result.get("sources") or []}
    audience = {s["doc_id"]: s.get("audience", "") for s in listed.values()}
    today = dt.date.today().isoformat()
    panels: dict[str, SourcePanel] = {}
    for chunk_id in list(quotes) + [cid for cid in listed if cid not in quotes]:
        chunk = index.chunks[index.positions[chunk_id]] if index and chunk_id in index.positions else None
        meta = {**cited.get(chunk_id, {}), **listed.get(chunk_id, {})}
        doc_id = chunk.doc_id if chunk else str(meta.get("doc_id", ""))
        panel = panels.get(doc_id)
        if panel is None:
            panel = panels[doc_id] = SourcePanel(
                n=numbers.get(doc_id),
                doc_id=doc_id,
                title=chunk.title if chunk else str(meta.get("title", doc_id)),
                url=chunk.url if chunk else str(meta.get("url", "")),
                updated=french_date(chunk.updated if chunk else str(meta.get("updated", ""))),
                review_by=french_date(chunk.review_by) if chunk else "",
                stale=bool(meta.get("stale")) or (chunk.is_stale(today) if chunk else False),
                internal=(chunk.audience if chunk else audience.get(doc_id, "")) == "internal",
                quotes=doc_quotes.get(doc_id, []),
            )
        elif chunk_id not in quotes:
            continue  # a document's other retrieved passages add nothing to its card
        if chunk is None:
            panel.missing = True
            continue
        panel.extracts.append(Extract(chunk.heading_path, mark(_shown(chunk.text), quotes.get(chunk_id, []))))
    return sorted(panels.values(), key=lambda p: (p.n is None, p.n or 0))


def searched(question: str) -> list[str]:
    """What the assistant looked up for a question: each of its questions when it asks several, else itself."""
    found = parts(question)
    return [*found.questions, *found.left_out] or [question]


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) for the page: "ajout", "retrait" or "" (headers and hunk marks left out)."""
    out: list[tuple[str, str]] = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        kind = "ajout" if line.startswith("+") else "retrait" if line.startswith("-") else ""
        out.append((kind, line[1:] if line[:1] in "+- " else line))
    return out


def request_page(session: Session, assistant: Assistant, demande: Request, streaming: bool) -> dict[str, Any]:
    """Everything the request page shows (routes add the user, and an error with the typed text after a refusal)."""
    generated = workflow.last_generated(session, demande)
    result: dict[str, Any] = generated.result if generated else {}
    try:
        index: Index | None = assistant.index()
    except AccueilError:
        index = None
    is_open = demande.state in workflow.OPEN_STATES
    recalls: list[memory.Recall] = []
    if index is not None and is_open:
        recalls = memory.recall(session, index, assistant.embedder, demande.question, demande.id)
    trail = workflow.audit_trail(session, demande)
    return {
        "d": demande,
        "result": result,
        "generated": generated,
        "panels": source_panels(result, index),
        "thread": workflow.thread_of(session, demande),
        "trail": trail,
        "diffs": {
            e.id: diff_lines(str(e.data["diff"]))
            for e in trail
            if e.action == TrailAction.VALIDATED and e.data.get("diff")
        },
        "recalls": recalls,
        "open": is_open,
        "streaming": streaming and generated is None and is_open,
        "searched": searched(demande.question) if result.get("status") == "abstained" else [],
        "can_discard": is_open and bool(demande.current_text.strip()),
        "themes": workspace.themes(
            assistant.settings.themes, dict(index.manifest.docs) if index else {}, demande.theme
        ),
        "reply_via_list": REPLY_VIA,
        "default_via": workspace.DEFAULT_VIA,
        "mails": outbox.mails_of(session, demande),
    }
