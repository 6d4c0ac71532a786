"""Warm start: the service loads the model and the index before it accepts connections (#20: the first draft after
``accueil serve`` starts is as fast as the next ones). Real model, real index, real application lifespan."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.cli.demo import DEMO_FAQ
from server.core.desk import demo, faq, faq_match
from server.web.app import create_app
from server.web.warm import WARM_QUESTION
from tests.conftest import settings_for


def test_the_service_loads_the_model_and_the_index_before_the_first_question(
    demo_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    settings = settings_for(data)
    published, _ = demo.publish_faq(settings, DEMO_FAQ)
    assert published > 0
    app = create_app(settings)
    assert app.state.assistant._index is None  # nothing loaded by building the application
    faq_match._MATCHERS.clear()
    with caplog.at_level(logging.INFO), TestClient(app) as client:
        assert app.state.assistant._index is not None  # loaded during startup, before any request
        with app.state.db.session() as session:  # the FAQ decision over the published entries is built too
            rows = faq.entries(session, published_only=True)
        assert len(rows) == published
        assert (id(app.state.assistant.embedder), settings.commune_name, tuple((r.id, r.version) for r in rows)) in (
            faq_match._MATCHERS
        )
        health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["warm_start_s"] > 0
    assert any("Modèle, index et FAQ" in r.getMessage() for r in caplog.records)
    assert not any(WARM_QUESTION in r.getMessage() for r in caplog.records)


def test_warm_start_can_be_turned_off(demo_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    app = create_app(settings_for(data, warm_start=False))
    with TestClient(app) as client:
        assert app.state.assistant._index is None
        health = client.get("/health").json()  # /health opens the index, and says nothing was warmed
    assert health["warm_start_s"] is None


def test_a_service_without_an_index_still_starts_and_says_why_nothing_was_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings_for(tmp_path / "data"))
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        health = client.get("/health")
    assert health.status_code == 503  # no index: degraded, as before
    warnings = [r.getMessage() for r in caplog.records if r.name == "server.web.warm"]
    assert warnings and warnings[0].startswith("Préchargement de l'index impossible")
