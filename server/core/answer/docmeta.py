"""A document's metadata: one owner for its keys, from ingest (loaders) to the index (chunk table, Chroma metadata,
manifest) to drafts (sources and citations shown to agents).

Stored flat under these same keys in ``chunks.jsonl``, in Chroma and in the manifest's ``docs``: ``record`` and
``from_record`` are the only places that turn it into and from such a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    """Who may read a document: the agents only (default), or the citizens too."""

    PUBLIC = "public"
    INTERNAL = "internal"


@dataclass(frozen=True)
class DocMeta:
    """What is known of a document besides its text (dates are ISO ``YYYY-MM-DD``, "" when unknown)."""

    doc_id: str
    title: str
    url: str = ""  # its web address, shown to agents and citizens: only http(s), else ""
    updated: str = ""  # last updated
    review_by: str = ""  # to be reviewed by then: after it, drafts citing it say it may be out of date
    # Shown to citizens only when its front matter (or its format: the service-public fiches) says "public": a file
    # nobody reviewed for them (a note, a PDF dropped in the folder, one reached by a link) stays for the agents.
    audience: Audience = Audience.INTERNAL
    theme: str = ""

    def __post_init__(self) -> None:
        # The link is shown to agents and citizens: only a web address may become one (never javascript:, data:…).
        if not self.url.strip().lower().startswith(("https://", "http://")):
            object.__setattr__(self, "url", "")
        object.__setattr__(self, "audience", Audience(self.audience))

    @property
    def public(self) -> bool:
        """True when citizens may read it."""
        return self.audience is Audience.PUBLIC

    def is_stale(self, today: str) -> bool:
        """True when the ``review_by`` date (YYYY-MM-DD) is past."""
        return bool(self.review_by) and self.review_by < today

    def record(self) -> dict[str, str]:
        """The flat, JSON- and Chroma-ready form (plain strings, no None)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> DocMeta:
        """Inverse of ``record``; other keys of ``record`` (a chunk's, a manifest entry's) are ignored."""
        values = {f.name: str(record[f.name]) for f in fields(cls) if f.name in record}
        audience = Audience(values.pop("audience", Audience.INTERNAL))
        return cls(**values, audience=audience)


KEYS = tuple(f.name for f in fields(DocMeta))
