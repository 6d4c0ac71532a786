"""Every setting is documented (description in code, and a row in the README)."""

from __future__ import annotations

import pytest

from server.core.config import Settings
from tests.conftest import REPO_ROOT


def test_every_setting_has_a_description_and_a_readme_row() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} sans description"
        assert f"`ACCUEIL_{name.upper()}`" in readme, f"ACCUEIL_{name.upper()} absent du README"


def test_settings_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCUEIL_DRAFT_MAX_SENTENCES", "3")
    assert Settings(_env_file=None).draft_max_sentences == 3  # type: ignore[call-arg]
