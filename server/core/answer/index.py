"""The index: one owner for where and how chunks are stored, written and read.

An index directory holds immutable *generations* (``gen-…/``: a Chroma store, a BM25 index, the chunk
table and a manifest) and a ``CURRENT`` file naming the one in service. An ingest writes a new
generation beside the current one and switches ``CURRENT`` atomically (``os.replace``) only when
everything is on disk, so a crash or ``kill -9`` mid-ingest leaves the previous generation in service.

Dense search has two ways (``Index.dense_mode``): ``memory`` reads every vector once and searches them exactly with
numpy (the embedded default); ``chroma`` asks the vector store itself (``collection.query``), so that a worker of a
Chroma server holds no vector (the default with ``ACCUEIL_CHROMA_URL``). ``ACCUEIL_DENSE_SEARCH`` forces either.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import bm25s
import httpx
import numpy as np

from server.core import storage
from server.core.answer.chunk import Chunk
from server.core.answer.docmeta import Audience, DocMeta
from server.core.errors import IndexError_, IndexMismatchError, IngestError

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG on import: no line per build

# 2: the breadcrumb collection carries each chunk's audience and document (for the vector store's own filtered query).
FORMAT_VERSION = 2
DenseMode = Literal["memory", "chroma"]
COLLECTION = "chunks"
HEADINGS = "headings"  # one embedding per chunk of its breadcrumb (title > headings), same ids
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
TERMS = "terms.json"
BM25_DIR = "bm25"
CHROMA_DIR = "chroma"
COMPLETE = "COMPLETE"
_ADD_BATCH = 1000
_PROBE_TIMEOUT = 3.0
# Reading a whole collection from a Chroma server may take a while; a silent server must not hang a worker.
_HTTP_TIMEOUT = httpx.Timeout(120.0, connect=5.0)


def chroma_client(path: Path, url: str | None = None) -> Any:
    """A Chroma client, telemetry off (the service runs offline): embedded on ``path``, or the server at ``url``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if not url:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    with _SERVER_LOCK:
        if url not in _SERVER_CLIENTS:
            _probe(url)  # chromadb's constructor already calls the server, without any timeout
            parts = urlsplit(url)
            try:
                client = chromadb.HttpClient(
                    host=parts.hostname or "127.0.0.1",
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=settings,
                )
            except Exception as exc:  # chromadb raises ValueError, httpx or its own errors for an unreachable server
                raise VectorStoreDown(url, exc) from exc
            # chromadb 1.5 builds its HTTP session with timeout=None: a server that accepts a connection and then
            # stays silent would hang a request forever. Bound it (attribute checked: internal to chromadb).
            session = getattr(getattr(client, "_server", None), "_session", None)
            if isinstance(session, httpx.Client):
                session.timeout = _HTTP_TIMEOUT
            _SERVER_CLIENTS[url] = client
        return _SERVER_CLIENTS[url]


def _probe(url: str) -> None:
    """Raise VectorStoreDown unless the Chroma server answers its heartbeat within a few seconds."""
    try:
        httpx.get(f"{url.rstrip('/')}/api/v2/heartbeat", timeout=_PROBE_TIMEOUT).raise_for_status()
    except httpx.HTTPError as exc:
        raise VectorStoreDown(url, exc) from exc


def release(client: Any, url: str | None) -> None:
    """Close an embedded client (its files are then free); a server's client stays, as the process's connection pool.

    (chromadb 1.5 does not close its HTTP session when a server client is closed: closing them would leak sockets.)
    """
    if not url:
        client.close()


# One client per Chroma server and process, created on first use.
_SERVER_CLIENTS: dict[str, Any] = {}
_SERVER_LOCK = threading.Lock()


class VectorStoreDown(IndexError_):
    """The Chroma server cannot be reached (client/server mode)."""

    def __init__(self, url: str, exc: BaseException) -> None:
        super().__init__(f"Le serveur Chroma ({url}) est injoignable : {type(exc).__name__}. Réessayez plus tard.")


def collection_names(generation: str, url: str | None) -> tuple[str, str]:
    """Names of a generation's two collections: fixed in its own folder, prefixed by it on a shared server."""
    return (COLLECTION, HEADINGS) if not url else (f"{generation}-{COLLECTION}", f"{generation}-{HEADINGS}")


def server_heartbeat(url: str) -> None:
    """Raise VectorStoreDown unless the Chroma server answers within a few seconds."""
    _probe(url)


@dataclass
class Manifest:
    """What a generation holds: model, chunking, and for each source and document its hash and chunks."""

    embedding_model: str
    dimension: int
    split: dict[str, int]
    generation: str = ""
    created: str = ""
    format_version: int = FORMAT_VERSION
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Load a manifest file."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def to_json(self) -> str:
        """Serialised form."""
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True)

    def meta(self, doc_id: str) -> DocMeta:
        """The metadata of an indexed document (KeyError when it is not in this generation)."""
        return DocMeta.from_record({"doc_id": doc_id, **self.docs[doc_id]})


def doc_entry(meta: DocMeta, digest: str, source: str, chunks: list[str]) -> dict[str, Any]:
    """A document's entry in the manifest: its content hash, its source file, its chunks and its metadata (flat, the
    document's id being the entry's key)."""
    record: dict[str, Any] = meta.record()
    del record["doc_id"]
    return {"hash": digest, "source": source, "chunks": chunks, **record}


def _heading_metadata(chunk: Chunk) -> dict[str, str]:
    """What the breadcrumb collection keeps of a chunk: enough to filter a query like the chunk collection."""
    return {"doc_id": chunk.doc_id, "audience": str(chunk.audience)}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def generation_name(now_ns: int) -> str:
    """A new generation's name, from one reading of the clock (UTC): sortable by creation time, unique even for two
    ingests within one second of one process.

    (The second and its fraction come from the same reading: read apart, a generation made as the second turns got
    the old second with the new fraction and sorted before the one it replaced.)
    """
    seconds, fraction = divmod(now_ns, 10**9)
    return f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(seconds))}-{fraction:09d}-{os.getpid()}"


def current_generation(index_dir: Path) -> Path | None:
    """The generation in service, or None when nothing was ever indexed."""
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    gen = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (gen / COMPLETE).exists():
        raise IndexError_(f"L'index en service ({gen.name}) est incomplet ou a été supprimé : relancez l'ingestion.")
    return gen


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive lock so that two ingests never write the same index at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = index_dir / ".ingest.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES) or not lock.exists():
            raise
        fd = os.open(lock, os.O_RDONLY)  # a backup from a read-only disk still locks (local flock needs no write)
    with os.fdopen(fd) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestError(
                "Une autre ingestion est en cours sur cet index ; réessayez quand elle sera finie."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class GenerationWriter:
    """Builds a new generation from the current one: copy, apply deletions and additions, then commit."""

    def __init__(self, index_dir: Path, base: Path | None, manifest: Manifest, chroma_url: str | None = None) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.chroma_url = chroma_url
        self.path = index_dir / generation_name(time.time_ns())
        self.path.mkdir(parents=True)
        self._client: Any = None
        self._committed = False
        # A generation copied from one of format 1 gets the audience of its copied breadcrumbs at commit.
        self._upgrade = base is not None and Manifest.read(base / MANIFEST).format_version < 2
        try:
            if base is not None and not chroma_url:
                shutil.copytree(base / CHROMA_DIR, self.path / CHROMA_DIR)
            self._client = chroma_client(self.path / CHROMA_DIR, chroma_url)
            config = {"hnsw": {"space": "cosine"}}
            names = collection_names(self.path.name, chroma_url)
            self.collection = self._client.get_or_create_collection(
                names[0], embedding_function=None, configuration=config
            )
            self.headings = self._client.get_or_create_collection(
                names[1], embedding_function=None, configuration=config
            )
            if base is not None and chroma_url:
                # On a server, the new generation's collections start as a copy of the current ones.
                old = collection_names(base.name, chroma_url)
                _copy(self._client.get_collection(old[0]), self.collection)
                _copy(self._client.get_collection(old[1]), self.headings)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Give up this generation: its files (and its collections on a server) are removed, CURRENT is untouched.

        Does nothing once the generation is in service (a failure after the switch leaves it in place)."""
        current = self.index_dir / CURRENT
        if self._committed or (current.exists() and current.read_text().strip() == self.path.name):
            return
        if self._client is not None:
            if self.chroma_url:
                for name in collection_names(self.path.name, self.chroma_url):
                    try:
                        self._client.delete_collection(name)
                    except Exception:  # noqa: BLE001 - absent or server gone: prune_generations retries later
                        log.warning("Collection %s non supprimée après l'abandon de l'ingestion", name)
            release(self._client, self.chroma_url)
            self._client = None
        shutil.rmtree(self.path, ignore_errors=True)

    def delete(self, chunk_ids: list[str]) -> None:
        """Remove chunks from the vector store."""
        for start in range(0, len(chunk_ids), _ADD_BATCH):
            self.collection.delete(ids=chunk_ids[start : start + _ADD_BATCH])
            self.headings.delete(ids=chunk_ids[start : start + _ADD_BATCH])

    def add(self, chunks: list[Chunk], vectors: np.ndarray, heading_vectors: np.ndarray) -> None:
        """Add chunks with their precomputed text and breadcrumb embeddings."""
        for start in range(0, len(chunks), _ADD_BATCH):
            batch = chunks[start : start + _ADD_BATCH]
            ids = [c.chunk_id for c in batch]
            self.collection.add(
                ids=ids,
                embeddings=vectors[start : start + _ADD_BATCH],
                documents=[c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
            )
            self.headings.add(
                ids=ids,
                embeddings=heading_vectors[start : start + _ADD_BATCH],
                documents=[c.breadcrumb for c in batch],
                metadatas=[_heading_metadata(c) for c in batch],
            )

    def commit(self, chunks: list[Chunk]) -> Path:
        """Write the chunk table, BM25 index, term statistics and manifest, then switch CURRENT."""
        if self.collection.count() != len(chunks) or self.headings.count() != len(chunks):
            raise IngestError(
                f"Incohérence de l'index vectoriel ({self.collection.count()} extraits pour {len(chunks)} attendus) : "
                "l'index en service n'est pas modifié."
            )
        if self._upgrade:
            for start in range(0, len(chunks), _ADD_BATCH):
                batch = chunks[start : start + _ADD_BATCH]
                self.headings.update(ids=[c.chunk_id for c in batch], metadatas=[_heading_metadata(c) for c in batch])
        with open(self.path / CHUNKS, "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.to_record(), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        corpus_tokens = [c.lexical_terms() for c in chunks]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(corpus_tokens, show_progress=False)
        retriever.save(str(self.path / BM25_DIR), show_progress=False)
        df = Counter(t for toks in corpus_tokens for t in set(toks))
        _write_durable(self.path / TERMS, json.dumps({"n": len(chunks), "df": df}, ensure_ascii=False))
        self.manifest.generation = self.path.name
        self.manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S")
        _write_durable(self.path / MANIFEST, self.manifest.to_json())
        _write_durable(self.path / COMPLETE, self.path.name)
        _fsync_dir(self.path)
        tmp = self.index_dir / (CURRENT + ".tmp")
        _write_durable(tmp, self.path.name)
        os.replace(tmp, self.index_dir / CURRENT)
        self._committed = True  # in service now: abort() must never remove it
        _fsync_dir(self.index_dir)
        release(self._client, self.chroma_url)
        return self.path


def _copy(source: Any, target: Any) -> None:
    """Copy every record of a Chroma collection into another."""
    offset = 0
    while True:
        batch = source.get(include=["embeddings", "documents", "metadatas"], limit=_ADD_BATCH, offset=offset)
        if not batch["ids"]:
            return
        target.add(
            ids=batch["ids"], embeddings=batch["embeddings"], documents=batch["documents"], metadatas=batch["metadatas"]
        )
        offset += len(batch["ids"])


def prune_generations(index_dir: Path, keep: int, chroma_url: str | None = None) -> list[str]:
    """Delete old generations (keeping ``keep``, the current one included) and unfinished ones.

    On a Chroma server, the collections of generations that no longer exist are deleted too.
    """
    if not index_dir.exists():
        return []
    current = (index_dir / CURRENT).read_text().strip() if (index_dir / CURRENT).exists() else ""
    gens = sorted(p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("gen-"))
    complete = [g for g in gens if (g / COMPLETE).exists()]
    doomed = [g for g in gens if not (g / COMPLETE).exists() and g.name != current]
    # CURRENT names the last generation committed: every other complete one is older. They go oldest first, in
    # the order they were committed (names made in local time by earlier versions do not sort with UTC ones).
    older = sorted(
        (g for g in complete if g.name != current), key=lambda g: ((g / COMPLETE).stat().st_mtime_ns, g.name)
    )
    doomed += older[: max(len(older) - (keep - 1), 0)]
    for g in doomed:
        shutil.rmtree(g, ignore_errors=True)
    if chroma_url:
        client = chroma_client(index_dir, chroma_url)
        alive = {g.name for g in gens} - {g.name for g in doomed}
        for collection in client.list_collections():
            name = getattr(collection, "name", collection)
            generation = name.rsplit("-", 1)[0]
            if name.startswith("gen-") and generation not in alive:
                client.delete_collection(name)
    return [g.name for g in doomed]


def read_chunks(gen: Path) -> list[Chunk]:
    """The chunk table of a generation, in index order."""
    with open(gen / CHUNKS, encoding="utf-8") as fh:
        return [Chunk.from_record(json.loads(line)) for line in fh]


class Index:
    """A read-only view of one generation: chunk table, BM25, term statistics and the Chroma collections.

    ``dense``: "memory", "chroma", or "auto" (the vector store's query on a Chroma server, memory when embedded).
    """

    def __init__(self, path: Path, chroma_url: str | None = None, dense: str = "auto") -> None:
        self.path = path
        self.chroma_url = chroma_url
        try:
            self.manifest = Manifest.read(path / MANIFEST)
            self.chunks = read_chunks(path)
            self.bm25 = bm25s.BM25.load(str(path / BM25_DIR), show_progress=False)
            terms = json.loads((path / TERMS).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(f"Index illisible ({path.name}) : {exc}") from exc
        self.n_chunks: int = terms["n"]
        self.df: dict[str, int] = terms["df"]
        self.positions = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.public_mask = np.array([c.audience is Audience.PUBLIC for c in self.chunks], dtype=bool)
        self.dense_mode: DenseMode = _dense_mode(dense, chroma_url, self.manifest.format_version, path.name)
        self._collection: Any = None
        self._headings: Any = None
        self._chroma: Any = None
        self._ro_copy: Path | None = None
        self._vectors: np.ndarray | None = None
        # The breadcrumbs' embeddings, each distinct one once (the chunks of a section share theirs: 25,070 distinct
        # for 34,867 chunks on the full index), and which one each chunk has: ``dense_search`` reads 28 % fewer rows
        # and each process holds 15 MB less, for the same similarities.
        self._heading_vectors: np.ndarray | None = None
        self._heading_of: np.ndarray | None = None

    @classmethod
    def open_current(
        cls, index_dir: Path, embedding_model: str, chroma_url: str | None = None, dense: str = "auto"
    ) -> Index:
        """Open the generation in service, refusing one built with another embedding model."""
        gen = current_generation(index_dir)
        if gen is None:
            raise IndexError_(f"Aucun index dans {index_dir} : lancez d'abord « accueil ingest corpus/ ».")
        index = cls(gen, chroma_url, dense)
        built_with = index.manifest.embedding_model
        if built_with != embedding_model:
            raise IndexMismatchError(
                f"L'index a été construit avec le modèle {built_with!r} mais le modèle configuré est "
                f"{embedding_model!r} : réindexez (accueil ingest) ou rétablissez ACCUEIL_EMBEDDING_MODEL."
            )
        return index

    @property
    def version(self) -> str:
        """The generation name, recorded with every draft."""
        return self.path.name

    def _client(self) -> Any:
        if self._chroma is None:
            if self.chroma_url:
                _probe(self.chroma_url)  # a silent server answers nothing within the probe's delay: fail fast
            store = self.path / CHROMA_DIR
            if not self.chroma_url and storage.mounted_read_only(store):
                # Chroma writes to its files when it opens them: on a read-only disk, read a copy in the temporary
                # directory (the vectors are then held in memory and the copy removed by close()).
                self._ro_copy = Path(tempfile.mkdtemp(prefix="accueil-index-"))
                log.warning("Index sur un disque en lecture seule : lecture d'une copie dans %s", self._ro_copy)
                store = Path(shutil.copytree(store, self._ro_copy / CHROMA_DIR))
            self._chroma = chroma_client(store, self.chroma_url)
        return self._chroma

    def close(self) -> None:
        """Release the Chroma client (its vectors stay in memory)."""
        if self._chroma is not None:
            release(self._chroma, self.chroma_url)
            self._chroma = None
            self._collection = None
            self._headings = None
        if self._ro_copy is not None:
            shutil.rmtree(self._ro_copy, ignore_errors=True)
            self._ro_copy = None

    @property
    def collection(self) -> Any:
        """The Chroma collection of chunks, opened on first use."""
        if self._collection is None:
            self._collection = self._client().get_collection(collection_names(self.path.name, self.chroma_url)[0])
        return self._collection

    @property
    def headings(self) -> Any:
        """The Chroma collection of breadcrumbs, opened on first use."""
        if self._headings is None:
            self._headings = self._client().get_collection(collection_names(self.path.name, self.chroma_url)[1])
        return self._headings

    def prepare(self) -> None:
        """Get ready to search, once per process and under the caller's lock (Chroma's client is not safe to create
        from several threads at once): in memory mode the vectors are read and the store released; in chroma mode
        the collections are opened and kept."""
        if self.dense_mode == "memory":
            try:
                _ = self.vectors
            finally:
                self.close()  # the vectors are in memory now: the store is no longer needed
            return
        try:
            _ = self.collection, self.headings
        except IndexError_:
            raise
        except Exception as exc:  # see chroma_client
            if not self.chroma_url:
                raise
            raise VectorStoreDown(self.chroma_url, exc) from exc

    def _stored(self, collection: Any) -> Iterator[tuple[int, np.ndarray]]:
        """Each chunk's embedding in ``collection``, read batch by batch, with the chunk's position in the table."""
        for start in range(0, len(self.chunks), _ADD_BATCH):
            ids = [c.chunk_id for c in self.chunks[start : start + _ADD_BATCH]]
            res = collection.get(ids=ids, include=["embeddings"])
            for cid, vec in zip(res["ids"], res["embeddings"], strict=True):
                yield self.positions[cid], np.asarray(vec, dtype=np.float32)

    def _matrix(self, collection: Any) -> np.ndarray:
        matrix = np.zeros((len(self.chunks), self.manifest.dimension), dtype=np.float32)
        found = 0
        for position, vec in self._stored(collection):
            matrix[position] = vec
            found += 1
        if found != len(self.chunks):
            raise IndexError_(f"Index incohérent : {found} vecteurs pour {len(self.chunks)} extraits.")
        return matrix

    def _distinct_matrix(self, collection: Any) -> tuple[np.ndarray, np.ndarray]:
        """The distinct embeddings of ``collection``, each once, and which one each chunk has (chunk-table order).

        Read batch by batch into rows allocated lazily (``np.zeros``: the pages past the distinct rows are never
        touched), a 128-bit digest telling a row seen before: no whole matrix is held beside the result (sorting it,
        as ``np.unique`` does, raised each process's peak by ≈ 140 MB on the full index)."""
        rows = np.zeros((len(self.chunks), self.manifest.dimension), dtype=np.float32)
        which = np.full(len(self.chunks), -1, dtype=np.int64)
        seen: dict[bytes, int] = {}
        for position, row in self._stored(collection):
            key = hashlib.blake2b(row.tobytes(), digest_size=16).digest()
            if key not in seen:
                seen[key] = len(seen)
                rows[seen[key]] = row
            which[position] = seen[key]
        if (which < 0).any():
            raise IndexError_(
                f"Index incohérent : {int((which >= 0).sum())} vecteurs pour {len(self.chunks)} extraits."
            )
        return rows[: len(seen)], which

    @property
    def vectors(self) -> np.ndarray:
        """Text embeddings of the chunks, read once from Chroma, in chunk-table order."""
        if self._vectors is None:
            try:
                vectors = self._matrix(self.collection)
                self._heading_vectors, self._heading_of = self._distinct_matrix(self.headings)
            except IndexError_:
                raise
            except Exception as exc:  # see chroma_client: any failure of the store means no vectors
                if not self.chroma_url:
                    raise
                raise VectorStoreDown(self.chroma_url, exc) from exc
            self._vectors = vectors
        return self._vectors

    def heading_similarities(self, vector: np.ndarray) -> np.ndarray:
        """The cosine of ``vector`` with each chunk's breadcrumb embedding (read with the text embeddings), in
        chunk-table order."""
        _ = self.vectors
        assert self._heading_vectors is not None and self._heading_of is not None
        return (self._heading_vectors @ vector)[self._heading_of]

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency of a stemmed term over chunks."""
        return float(np.log((self.n_chunks + 1) / (self.df.get(term, 0) + 0.5)))

    def dense_search(self, vector: np.ndarray, k: int, public_only: bool) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity: the better of the text's and the breadcrumb's.

        The breadcrumb's similarity lets a section titled "Horaires d'ouverture" be found even when its
        text is a table of hours that the embedding model reads poorly. Exact in memory mode; in chroma mode,
        the vector store's approximate (HNSW) search.
        """
        if not self.chunks:
            return []
        if self.dense_mode == "chroma":
            return self._store_search(vector, k, public_only)
        # Exact search over the embeddings read from Chroma: its approximate HNSW search, each process building its
        # own graph from the files, gave slightly different neighbours from one process to the next, and the same
        # question must get the same draft. (All the workers of a Chroma server query its one graph.)
        v = vector.astype(np.float32)
        sims = np.maximum(self.vectors @ v, self.heading_similarities(v))
        if public_only:
            sims = np.where(self.public_mask, sims, -np.inf)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((top, -sims[top]))]
        return [(self.chunks[i], float(sims[i])) for i in top if np.isfinite(sims[i])]

    def _store_search(self, vector: np.ndarray, k: int, public_only: bool) -> list[tuple[Chunk, float]]:
        """``dense_search`` by the vector store: the top ``k`` of each collection, merged by the better similarity.

        Exact given exact neighbour lists: a chunk among the best ``k`` by its better similarity is among the best
        ``k`` of the collection that gives it."""
        where = {"audience": str(Audience.PUBLIC)} if public_only else None
        query = [vector.astype(np.float32).tolist()]
        best: dict[str, float] = {}
        try:
            for collection in (self.collection, self.headings):
                res = collection.query(query_embeddings=query, n_results=k, where=where, include=["distances"])
                for cid, distance in zip(res["ids"][0], res["distances"][0], strict=True):
                    best[cid] = max(best.get(cid, -np.inf), 1.0 - float(distance))  # cosine distance = 1 - similarity
        except Exception as exc:  # see chroma_client: any failure of a server means no search
            if not self.chroma_url:
                raise
            raise VectorStoreDown(self.chroma_url, exc) from exc
        top = sorted((cid for cid in best if cid in self.positions), key=lambda c: (-best[c], self.positions[c]))[:k]
        return [(self.chunks[self.positions[cid]], best[cid]) for cid in top]

    def doc_vectors(self, doc_id: str) -> tuple[list[int], np.ndarray]:
        """The positions (in chunk-table order) and text embeddings of one document's chunks."""
        positions = [i for i, c in enumerate(self.chunks) if c.doc_id == doc_id]
        if not positions:
            return [], np.zeros((0, self.manifest.dimension), dtype=np.float32)
        if self.dense_mode == "memory":
            return positions, self.vectors[positions]
        try:
            res = self.collection.get(ids=[self.chunks[i].chunk_id for i in positions], include=["embeddings"])
        except Exception as exc:  # see chroma_client
            if not self.chroma_url:
                raise
            raise VectorStoreDown(self.chroma_url, exc) from exc
        by_id = dict(zip(res["ids"], res["embeddings"], strict=True))
        return positions, np.array([by_id[self.chunks[i].chunk_id] for i in positions], dtype=np.float32)

    def lexical_search(self, query_tokens: list[str], k: int, public_only: bool) -> list[tuple[Chunk, float]]:
        """Best chunks by BM25 score (zero-score chunks left out)."""
        known = [t for t in query_tokens if t in self.df]
        if not known or not self.chunks:
            return []
        scores = self.bm25.get_scores(known)
        if public_only:
            scores = np.where(self.public_mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]


def _dense_mode(asked: str, chroma_url: str | None, format_version: int, generation: str) -> DenseMode:
    """The dense search a generation gets: as asked, "auto" meaning the vector store's query on a server only.

    A generation of format 1 has no audience on its breadcrumbs, so the store cannot filter them: it is searched in
    memory (the next ``accueil ingest`` rewrites it)."""
    mode: DenseMode = "chroma" if asked == "chroma" or (asked == "auto" and chroma_url) else "memory"
    if mode == "chroma" and format_version < 2:
        log.warning(
            "Index %s antérieur à la recherche par Chroma : recherche en mémoire jusqu'à la prochaine ingestion.",
            generation,
        )
        return "memory"
    return mode
