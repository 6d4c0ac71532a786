"""The Jinja2 templates of ``prompts/``: rendering, and the name and hash recorded with each draft."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from server.core.errors import ConfigError


class Prompts:
    """Plain-text templates (replies are text, escaped by the page that shows them)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701 - text replies, never inserted as HTML
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, **context: Any) -> str:
        """Render template ``name`` with ``context``."""
        try:
            return self.env.get_template(name).render(**context).strip()
        except TemplateNotFound as exc:
            raise ConfigError(f"Gabarit introuvable : {name} dans {self.folder}") from exc

    def version(self, name: str) -> str:
        """``name@hash``: identifies the exact template text used for a draft."""
        digest = hashlib.sha256((self.folder / name).read_bytes()).hexdigest()[:12]
        return f"{name}@{digest}"


@lru_cache(maxsize=4)
def get_prompts(folder: Path) -> Prompts:
    """The template set of a folder, built once."""
    return Prompts(folder)
