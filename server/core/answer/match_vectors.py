"""The embeddings the FAQ decision (``answer.match``) compares: each text embedded once per process and embedder, a
question as a query and an answer as a passage (e5's prefixes), a FAQ's phrasings in batches."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from server.core.answer.embed import Embedder


class Vectors:
    """Embeddings of texts, each computed once: a question as a query, an answer as a passage (e5's prefixes)."""

    def __init__(self, embedder: Embeddings) -> None:
        self.embedder = embedder
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def _get(self, kind: str, text: str) -> np.ndarray:
        found = self._cache.get((kind, text))
        if found is None:
            embed = self.embedder.embed_query if kind == "query" else self._passage
            found = np.asarray(embed(text), dtype=np.float32)
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[(kind, text)] = found
        return found

    def _passage(self, text: str) -> list[float]:
        return self.embedder.embed_documents([text])[0]

    def fill(self, queries: Sequence[str], passages: Sequence[str] = ()) -> None:
        """Embed the texts not cached yet, in batches (a FAQ's phrasings: one call instead of one per text)."""
        for kind, texts in (("query", queries), ("passage", passages)):
            missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self._cache))
            if not missing:
                continue
            if isinstance(self.embedder, Embedder):
                found = self.embedder.encode(missing, kind="query" if kind == "query" else "passage")
            elif kind == "passage":
                found = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            else:
                found = np.asarray([self.embedder.embed_query(t) for t in missing], dtype=np.float32)
            if len(self._cache) + len(missing) > 50_000:
                self._cache.clear()
            for text, vector in zip(missing, found, strict=True):
                self._cache[(kind, text)] = np.asarray(vector, dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        """The unit-length vector of ``text`` read as a question."""
        return self._get("query", text)

    def passage(self, text: str) -> np.ndarray:
        """The unit-length vector of ``text`` read as a passage that answers."""
        return self._get("passage", text)


_VECTORS: dict[int, Vectors] = {}
_VECTORS_LOCK = threading.Lock()


def vectors_for(embedder: Embeddings) -> Vectors:
    """The process's embeddings cache for this embedder (the known phrasings are embedded once per process)."""
    with _VECTORS_LOCK:
        found = _VECTORS.get(id(embedder))
        if found is None or found.embedder is not embedder:
            found = _VECTORS[id(embedder)] = Vectors(embedder)
        return found
