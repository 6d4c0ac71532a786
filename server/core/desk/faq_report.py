"""What a FAQ import tells the person who ran it: the report (entries added, updated, published, held, unchanged, and
each refused line with its reason), and how its messages name the import's two options.

The same import runs from ``accueil faq import`` and from the supervisor's FAQ page; a message that tells the reader
what to do next (« give the page's source », « import as drafts ») names what they have in hand: the command's
options (:data:`COMMAND`) or the page's form fields (``server.web.routes.faq_files.FORM``). The wording is chosen
by whoever starts the import and used where each message is built, never rewritten afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """How an import's messages name its options ``source`` and ``draft``, each phrase as a sentence uses it."""

    source: str  # as a sentence's subject: « --source ne vaut que pour une page HTML »
    with_source: str  # how to give a source: « Donnez-en une de l'index avec --source. »
    with_source_value: str  # the same, showing what to give: « donnez sa source avec --source LIEN_OU_DOCUMENT »
    import_as_draft: str  # how to leave entries unpublished: « ou importez avec --draft »
    draft: str  # the draft option, in brackets after « non publiées »


COMMAND = Wording(
    source="--source",
    with_source="avec --source",
    with_source_value="avec --source LIEN_OU_DOCUMENT",
    import_as_draft="importez avec --draft",
    draft="--draft",
)
"""``accueil faq import``'s options, the wording unless the caller gives another."""


@dataclass
class Refused:
    """A line left out of the import, and why (in French)."""

    number: int
    reason: str


@dataclass
class ImportReport:
    """What an import did: questions added, updated, published as they were, left unchanged, and refused lines."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # withdrawn by faq_watch: a supervisor must review them first
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    draft: bool = False
    unit: str = "ligne"  # what the numbers of refused lines count: a file's lines, or a page's questions
    wording: Wording = COMMAND

    @property
    def changed(self) -> bool:
        """Whether the import changed anything in the FAQ."""
        return bool(self.added or self.updated or self.published)

    def lines(self) -> list[str]:
        """The report in French, one line a fact (first the counts, then each refused line with its reason)."""
        state = f"non publiées ({self.wording.draft})" if self.draft else "publiées"
        out = [
            f"Entrées ajoutées : {len(self.added)} ; mises à jour : {len(self.updated)} ; "
            f"publiées sans autre changement : {len(self.published)} ; inchangées : {self.unchanged} ; "
            f"{self.unit}s refusées : {len(self.refused)}."
        ]
        out += [f"  + {q}" for q in self.added] + [f"  ~ {q}" for q in self.updated]
        out += [f"  ↑ {q}" for q in self.published]
        if self.held:
            out.append(
                f"Laissées non publiées, une de leurs sources ayant changé depuis leur publication (à relire dans "
                f"Supervision → FAQ) : {len(self.held)}."
            )
            out += [f"  ! {q}" for q in self.held]
        out += [f"  ✗ {self.unit} {r.number} : {r.reason}" for r in self.refused]
        if self.changed:
            out.append(f"Entrées ajoutées ou mises à jour : {state}.")
        else:
            out.append("Rien n'a changé : la FAQ contenait déjà ces entrées.")
        return out
