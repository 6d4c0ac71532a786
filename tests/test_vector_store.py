"""Dense search by the vector store's own query (a ``chroma run`` server on loopback) against the exact in-memory
search: the worker holds no vector matrix and finds the same chunks on the demo corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from eval.dataset import load_dataset
from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.answer.embed import embedder_for
from server.core.answer.index import FORMAT_VERSION, Index, _dense_mode, current_generation
from server.core.config import Settings
from tests.conftest import CORPUS, free_port, settings_for
from tests.test_scale import chroma_server

pytestmark = pytest.mark.slow  # the demo corpus ingested into a `chroma run` server: about a minute on 2 idle cores

QUESTIONS = [item.question for item in load_dataset(Path(__file__).parents[1] / "eval" / "datasets" / "dev.jsonl")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The demo corpus ingested into a Chroma server that runs for the module."""
    tmp = tmp_path_factory.mktemp("store")
    with chroma_server(tmp / "chroma", free_port()) as url:
        settings = settings_for(tmp / "data", chroma_url=url)
        run_ingest(settings, [CORPUS], progress=False)
        yield settings


def _open(settings: Settings, dense: str) -> Index:
    gen = current_generation(settings.index_dir)
    assert gen is not None
    index = Index(gen, settings.chroma_url, dense)
    index.prepare()
    return index


def test_on_a_server_workers_query_the_store_and_hold_no_vectors(served: Settings) -> None:
    result = Assistant(served).draft("Quels sont les horaires d'ouverture de la mairie ?")
    assert result.status == "answered" and result.sources
    index = Assistant(served).index()
    assert index.dense_mode == "chroma" and index.manifest.format_version == FORMAT_VERSION
    assert index._vectors is None and index._heading_vectors is None, "aucune matrice de vecteurs dans le processus"


@pytest.mark.parametrize("public_only", [False, True])
def test_the_store_finds_what_the_exact_search_finds(served: Settings, public_only: bool) -> None:
    store, memory = _open(served, "chroma"), _open(served, "memory")
    vectors = embedder_for(served).encode(QUESTIONS[:60])
    same_top, overlaps = 0, []
    for vector in vectors:
        got = store.dense_search(vector, 10, public_only)
        want = memory.dense_search(vector, 10, public_only)
        assert len(got) == len(want) == 10
        if public_only:
            assert all(chunk.audience == "public" for chunk, _ in got)
        same_top += got[0][0].chunk_id == want[0][0].chunk_id
        overlaps.append(len({c.chunk_id for c, _ in got} & {c.chunk_id for c, _ in want}) / 10)
        # The store's similarity is the exact one (1 - cosine distance), up to float32 rounding.
        exact = {c.chunk_id: s for c, s in want}
        assert all(abs(s - exact[c.chunk_id]) < 1e-4 for c, s in got if c.chunk_id in exact)
    assert store._vectors is None and memory._vectors is not None
    # HNSW is approximate: on the demo corpus it finds the same best chunk and nearly the same ten.
    assert same_top >= 0.95 * len(vectors), f"{same_top}/{len(vectors)} meilleurs extraits identiques"
    assert np.mean(overlaps) >= 0.95, f"recouvrement moyen des 10 premiers : {np.mean(overlaps):.3f}"


def test_pinning_a_document_reads_only_its_vectors(served: Settings) -> None:
    store, memory = _open(served, "chroma"), _open(served, "memory")
    doc_id = store.chunks[0].doc_id
    (positions, got), (same, want) = store.doc_vectors(doc_id), memory.doc_vectors(doc_id)
    assert positions == same and np.allclose(got, want, atol=1e-6)
    assert store._vectors is None


def test_an_index_of_the_previous_format_is_searched_in_memory() -> None:
    """Its breadcrumbs carry no audience, so the store could not filter them: it loads, searched in memory."""
    assert _dense_mode("auto", "http://127.0.0.1:8001", 1, "gen-x") == "memory"
    assert _dense_mode("auto", "http://127.0.0.1:8001", FORMAT_VERSION, "gen-x") == "chroma"
    assert _dense_mode("auto", None, FORMAT_VERSION, "gen-x") == "memory"
    assert _dense_mode("chroma", None, FORMAT_VERSION, "gen-x") == "chroma"


def test_each_distinct_breadcrumb_is_held_once_for_the_same_similarities(served: Settings) -> None:
    """The chunks of a section share their breadcrumb: the memory search holds each distinct embedding once, and a
    chunk's breadcrumb similarity is the one its own stored embedding gives."""
    memory = _open(served, "memory")
    store = _open(served, "chroma")
    per_chunk = store._matrix(store.headings)  # every chunk's breadcrumb embedding, as the store keeps them
    distinct = np.unique(per_chunk, axis=0)
    assert memory._heading_vectors is not None and len(memory._heading_vectors) == len(distinct) < len(per_chunk)
    for vector in embedder_for(served).encode(QUESTIONS[:20]):
        assert np.allclose(memory.heading_similarities(vector), per_chunk @ vector, atol=1e-6)
