"""The ingest run: discover inputs, parse what changed, embed new chunks, commit a new index generation.

Incremental: a source whose bytes are unchanged is not even parsed, a document whose content hash is
unchanged keeps its chunks and embeddings, documents gone from an ingested folder are deleted.
Atomic: everything is written to a new generation; CURRENT switches only at the end (see server.core.answer.index).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ingest.document import SourceDoc
from ingest.loaders import READERS, load_bytes
from ingest.sources import SourceFile, discover, in_scope
from ingest.split import SplitParams, split_document
from server.core import storage
from server.core.answer.chunk import Chunk
from server.core.answer.embed import embedder_for
from server.core.answer.index import (
    FORMAT_VERSION,
    GenerationWriter,
    Manifest,
    current_generation,
    doc_entry,
    ingest_lock,
    prune_generations,
    read_chunks,
)
from server.core.config import Settings
from server.core.errors import IngestError, LoaderError

log = logging.getLogger(__name__)
_EMBED_STEP = 256
# Disk taken by one chunk in a generation (vectors, HNSW, text, BM25): 13.5 KB measured on the demo corpus + 388
# fiches (43 MB for 3,183 chunks), rounded up.
_BYTES_PER_CHUNK = 16 * 1024


@dataclass
class IngestSummary:
    """Counts of an ingest run, by document, and the files that failed with their reason."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    duplicates: int = 0  # identical copies of a document already read from another file, skipped
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # links leading out of an ingested folder, not followed
    chunks_embedded: int = 0
    chunks_total: int = 0
    generation: str = ""

    @property
    def ingested(self) -> int:
        """Documents present in the index from this run's inputs."""
        return self.added + self.updated + self.unchanged


@dataclass
class _Plan:
    manifest: Manifest
    kept_docs: set[str] = field(default_factory=set)
    new_docs: dict[str, list[Chunk]] = field(default_factory=dict)
    removed_docs: set[str] = field(default_factory=set)
    # Files read again only because older loaders had read them: the manifest must record the new reading.
    reread: int = 0


def _parse(source: SourceFile, settings: Settings) -> list[SourceDoc]:
    if source.size > settings.max_file_bytes:
        raise LoaderError(
            source.name,
            f"fichier trop volumineux ({source.size // 1_000_000} Mo, maximum "
            f"{settings.max_file_bytes // 1_000_000} Mo)",
        )
    try:
        data = source.read()
    except OSError as exc:
        raise LoaderError(source.name, f"lecture impossible : {exc.strerror or exc}") from exc
    return load_bytes(source.name, data, source.doc_id)


def _check_roots(roots: list[Path], old: Manifest | None, prune: bool) -> None:
    """Refuse, before anything changes, a folder that is gone or now empty while the index holds its documents (an
    unmounted share, a typo): deleting a corpus must be asked for with ``prune``."""
    if prune:
        return
    for root in roots:
        known = old is not None and any(in_scope(key, [root]) for key in old.sources)
        if not root.exists():
            raise IngestError(
                f"Chemin introuvable : {root}. L'index n'est pas modifié (partage non monté, faute de frappe ?). "
                "Pour retirer de l'index les documents de ce chemin, relancez avec --prune."
            )
        if known and root.is_dir() and not any(p for p in root.iterdir() if not p.name.startswith((".", "_"))):
            raise IngestError(
                f"Le dossier {root} est vide alors que l'index contient ses documents : l'index n'est pas modifié "
                "(partage non monté ?). Pour les retirer de l'index, relancez avec --prune."
            )


def _plan(
    settings: Settings, roots: list[Path], old: Manifest | None, summary: IngestSummary, prune: bool = False
) -> _Plan:
    split = SplitParams(settings.chunk_max_chars, settings.chunk_min_chars)
    manifest = Manifest(embedding_model=settings.embedder_id, dimension=0, split=split.__dict__)
    plan = _Plan(manifest)
    reusable = old is not None and old.embedding_model == settings.embedder_id and old.split == split.__dict__
    old_sources = old.sources if old and reusable else {}
    old_docs = old.docs if old and reusable else {}
    if old and not reusable:
        log.warning("Modèle ou découpage changé depuis la dernière ingestion : tout est réencodé.")
    # Sources outside this run's folders are carried over untouched.
    for key, src in (old.sources if old else {}).items():
        if not in_scope(key, roots):
            if reusable:
                manifest.sources[key] = src
                for doc_id in src["docs"]:
                    manifest.docs[doc_id] = old_docs[doc_id]
                    plan.kept_docs.add(doc_id)
    seen_keys: set[str] = set()
    for root in roots:
        if prune and not root.exists():
            continue  # asked for: its documents leave the index
        try:
            sources = list(discover(root, summary.skipped))
        except LoaderError as exc:
            summary.failed.append(str(exc))
            continue
        for source in sources:
            seen_keys.add(source.key)
            previous = old_sources.get(source.key)
            # Unchanged bytes are trusted only when the same loaders read them (a source of an older index has no
            # "readers": 0); else the file is read again, and its documents keep their vectors where their text
            # did not change.
            unchanged = previous is not None and previous["hash"] == source.digest
            if unchanged and previous is not None and previous.get("readers", 0) == READERS:
                manifest.sources[source.key] = previous
                for doc_id in previous["docs"]:
                    manifest.docs[doc_id] = old_docs[doc_id]
                    plan.kept_docs.add(doc_id)
                    summary.unchanged += 1
                continue
            plan.reread += unchanged
            try:
                docs = _parse(source, settings)
            except LoaderError as exc:
                summary.failed.append(str(exc))
                if previous:  # keep the last good version rather than lose it
                    manifest.sources[source.key] = previous
                    for doc_id in previous["docs"]:
                        manifest.docs[doc_id] = old_docs[doc_id]
                        plan.kept_docs.add(doc_id)
                continue
            doc_ids: list[str] = []
            for doc in docs:
                if doc.doc_id in manifest.docs and manifest.docs[doc.doc_id]["source"] != source.key:
                    other = manifest.docs[doc.doc_id]
                    if other["hash"] == doc.content_hash():
                        # The same fiche published twice (service-public puts some in two zips): kept once.
                        summary.duplicates += 1
                        continue
                    summary.failed.append(
                        f"{source.name} : identifiant {doc.doc_id!r} déjà utilisé par {other['source']}"
                    )
                    continue
                chunks = split_document(doc, split)
                if not chunks:
                    summary.failed.append(f"{source.name} : aucun texte indexable")
                    continue
                digest = doc.content_hash()
                before = old_docs.get(doc.doc_id)
                manifest.docs[doc.doc_id] = doc_entry(doc.meta, digest, source.key, [c.chunk_id for c in chunks])
                doc_ids.append(doc.doc_id)
                if before and before["hash"] == digest:
                    plan.kept_docs.add(doc.doc_id)
                    summary.unchanged += 1
                else:
                    plan.new_docs[doc.doc_id] = chunks
                    if before:
                        summary.updated += 1
                    else:
                        summary.added += 1
            if doc_ids:
                manifest.sources[source.key] = {"hash": source.digest, "docs": doc_ids, "readers": READERS}
    for doc_id in old_docs:
        if doc_id not in manifest.docs:
            plan.removed_docs.add(doc_id)
    summary.deleted = len(plan.removed_docs)
    return plan


def _embed(chunks: list[Chunk], settings: Settings, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Text embeddings of the chunks, and embeddings of their breadcrumbs (each distinct one encoded once)."""
    embedder = embedder_for(settings)
    texts = [c.embedding_text() for c in chunks]
    crumbs = sorted({c.breadcrumb for c in chunks})
    parts: list[np.ndarray] = []
    # The encoding processes live for this ingest only: left running, they would outlive a long-lived caller's
    # interest (a test session, the bench) and be torn down noisily at its exit.
    try:
        with tqdm(
            total=len(texts) + len(crumbs), desc="Encodage", unit="texte", disable=not progress, file=sys.stderr
        ) as bar:
            for start in range(0, len(texts), _EMBED_STEP):
                parts.append(embedder.encode(texts[start : start + _EMBED_STEP], parallel=True, kind="passage"))
                bar.update(len(parts[-1]))
            crumb_vectors = embedder.encode(crumbs, parallel=True, kind="passage")
            bar.update(len(crumbs))
    finally:
        embedder.close()
    empty = np.zeros((0, embedder.dimension), dtype=np.float32)
    by_crumb = dict(zip(crumbs, crumb_vectors, strict=True))
    headings = np.stack([by_crumb[c.breadcrumb] for c in chunks]) if chunks else empty
    return (np.concatenate(parts) if parts else empty), headings


def _check_room(index_dir: Path, copied: Path | None, new_chunks: int) -> None:
    """Refuse, before the long embedding step, an ingest whose new generation cannot fit on the disk: it needs a copy
    of the current generation's files (``copied``, unless the vectors live on a Chroma server) and room for the new
    chunks, plus the margin the service needs to keep running."""
    needed = (storage.tree_bytes(copied) if copied else 0) + new_chunks * _BYTES_PER_CHUNK + storage.MIN_FREE_BYTES
    free = storage.free_bytes(index_dir)
    if free < needed:
        raise IngestError(
            f"Espace disque insuffisant pour écrire le nouvel index : il faut environ {needed // 2**20 + 1} Mo, "
            f"{free // 2**20} Mo sont libres. L'index en service n'est pas modifié. Libérez de la place."
        )


def run_ingest(
    settings: Settings, roots: list[Path], strict: bool = False, progress: bool = True, prune: bool = False
) -> IngestSummary:
    """Ingest ``roots`` into the index of ``settings.data_dir``; returns the counts (see IngestSummary).

    A root that does not exist, or a folder now empty whose documents are indexed, is refused with nothing changed,
    unless ``prune`` asks to remove its documents from the index.
    """
    summary = IngestSummary()
    index_dir = settings.index_dir
    if storage.read_only(index_dir):
        raise IngestError(f"{storage.read_only_reason(index_dir)} : ingestion impossible, l'index en service reste.")
    storage.make_private(settings.data_dir)
    with ingest_lock(index_dir):
        prune_generations(index_dir, settings.keep_generations, settings.chroma_url)
        base = current_generation(index_dir)
        old = Manifest.read(base / "manifest.json") if base else None
        _check_roots(roots, old, prune)
        plan = _plan(settings, roots, old, summary, prune)
        if strict and summary.failed:
            raise IngestError(f"{len(summary.failed)} fichier(s) en erreur (mode strict) : index inchangé.")
        reusable = old is not None and not (
            old.embedding_model != settings.embedder_id or old.split != plan.manifest.split
        )
        # An index of an older format is rewritten (its embeddings reused): see FORMAT_VERSION.
        outdated = old is not None and (not reusable or old.format_version < FORMAT_VERSION)
        changed = plan.new_docs or plan.removed_docs or outdated or plan.reread
        if base is not None and not changed:
            summary.generation = base.name
            summary.chunks_total = sum(len(d["chunks"]) for d in plan.manifest.docs.values())
            return summary
        if not plan.manifest.docs:
            if plan.removed_docs:
                raise IngestError("Cette commande retirerait tous les documents : un index ne peut pas être vide.")
            return summary
        old_chunks = {c.chunk_id: c for c in read_chunks(base)} if base is not None and reusable else {}
        new_chunks = [c for chunks in plan.new_docs.values() for c in chunks]
        _check_room(index_dir, base if reusable and not settings.chroma_url else None, len(new_chunks))
        vectors, heading_vectors = _embed(new_chunks, settings, progress)
        plan.manifest.dimension = int(vectors.shape[1]) if len(new_chunks) else (old.dimension if old else 0)
        stale_ids = [
            cid
            for doc_id in (set(plan.new_docs) | plan.removed_docs)
            if old and doc_id in old.docs
            for cid in old.docs[doc_id]["chunks"]
        ]
        fresh = {c.chunk_id: c for c in new_chunks}
        all_chunks = [
            fresh.get(cid) or old_chunks[cid]
            for doc_id in sorted(plan.manifest.docs)
            for cid in plan.manifest.docs[doc_id]["chunks"]
        ]
        writer: GenerationWriter | None = None
        try:
            writer = GenerationWriter(index_dir, base if reusable else None, plan.manifest, settings.chroma_url)
            writer.delete([cid for cid in stale_ids if cid in old_chunks])
            writer.add(new_chunks, vectors, heading_vectors)
            summary.generation = writer.commit(all_chunks).name
        except Exception as exc:
            if writer is not None:
                writer.abort()
            if storage.is_disk_full(exc):
                raise IngestError(
                    f"Disque plein pendant l'écriture du nouvel index ({storage.free_bytes(index_dir) // 2**20} Mo "
                    "libres) : il a été abandonné, l'index en service n'est pas modifié. Libérez de la place."
                ) from exc
            raise
        summary.chunks_embedded = len(new_chunks)
        summary.chunks_total = len(all_chunks)
        prune_generations(index_dir, settings.keep_generations, settings.chroma_url)
    return summary
