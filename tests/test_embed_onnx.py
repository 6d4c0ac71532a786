"""The int8 ONNX backend of the embedding model: made from the shipped weights, close to torch, recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.answer.embed import Embedder
from server.core.config import E5_MODEL, MINILM_MODEL
from server.core.errors import IndexMismatchError
from tests.conftest import settings_for

pytestmark = pytest.mark.slow

TEXTS = [
    "Combien coûte le renouvellement d'une carte d'identité perdue ?",
    "Horaires d'ouverture de la mairie le samedi matin",
    "Pièces à fournir pour une demande de passeport : photo d'identité, justificatif de domicile.",
    "La collecte des encombrants a lieu le premier mardi du mois, sur inscription.",
    "Inscription à la cantine scolaire et tarifs selon le quotient familial",
    "Le renouvellement de la carte d'identité est gratuit à condition de présenter l'ancienne carte.",
    "Pacs : la convention est enregistrée par l'officier de l'état civil de la mairie.",
    "jme suis fait voler ma cni samedi soir, jdois aller ou ?",
]


def test_int8_vectors_stay_close_to_torch_and_the_file_is_made_once(tmp_path: Path) -> None:
    torch = Embedder("all-MiniLM-L6-v2").encode(TEXTS)
    onnx = Embedder("all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=tmp_path)
    vectors = onnx.encode(TEXTS)
    assert vectors.shape == torch.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * torch).sum(axis=1)
    assert cosines.min() >= 0.97 and cosines.mean() >= 0.985, cosines
    # A text's vector does not depend on the texts encoded with it.
    assert np.array_equal(onnx.encode(TEXTS[3:4])[0], vectors[3])
    files = list(tmp_path.rglob("*.onnx"))
    assert len(files) == 1
    made = files[0].stat().st_mtime_ns
    Embedder("all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=tmp_path)
    assert files[0].stat().st_mtime_ns == made, "le fichier ONNX n'est fabriqué qu'une fois"


def test_encoding_in_several_processes_gives_the_same_vectors(tmp_path: Path) -> None:
    embedder = Embedder("all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=tmp_path)
    texts = [f"{text} ({i})" for i in range(10) for text in TEXTS]
    try:
        assert np.array_equal(embedder.encode(texts, parallel=True), embedder.encode(texts))
    finally:
        embedder.onnx.close()


def test_the_threads_setting_reaches_the_onnx_session(tmp_path: Path) -> None:
    from server.core.answer.embed import embedder_for

    embedder = embedder_for(
        settings_for(tmp_path, embedding_model=MINILM_MODEL, embedding_backend="onnx-int8", embedding_threads=1)
    )
    assert embedder.onnx.session.get_session_options().intra_op_num_threads == 1


def test_an_index_records_its_backend_and_refuses_the_other(tmp_path: Path, small_corpus: Path) -> None:
    onnx_settings = settings_for(tmp_path / "data", embedding_model=MINILM_MODEL, embedding_backend="onnx-int8")
    summary = run_ingest(onnx_settings, [small_corpus], progress=False)
    assert summary.ingested > 0 and not summary.failed
    assistant = Assistant(onnx_settings)
    assert assistant.index().manifest.embedding_model == "all-MiniLM-L6-v2+onnx-int8"
    result = assistant.draft("Quels sont les horaires d'ouverture de la mairie ?")
    assert result.sources
    with pytest.raises(IndexMismatchError):
        Assistant(settings_for(tmp_path / "data", embedding_model=MINILM_MODEL)).index()


def test_e5_records_the_same_model_whatever_the_backend_setting(tmp_path: Path) -> None:
    # e5-small always runs its own ONNX file: the backend setting must not make its index look foreign.
    ids = {settings_for(tmp_path, embedding_backend=b).embedder_id for b in ("torch", "onnx-int8")}
    assert ids == {E5_MODEL}
    assert settings_for(tmp_path, embedding_model=MINILM_MODEL, embedding_backend="onnx-int8").embedder_id == (
        "all-MiniLM-L6-v2+onnx-int8"
    )
