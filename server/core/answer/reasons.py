"""Why the assistant gives no answer: the abstention reasons, as stable codes, and their French labels.

The code is what programs compare and what is stored (``abstain_reason`` of a draft in ``draft_versions.result``
and in the trail's ``brouillon_genere`` events; migration 0010 turned the French sentences stored before into
these codes). The label is what people read: the agent's page, the abstention text, the exports. Codes are ASCII
French words, like every other code the desk stores (states ``brouillon_pret``, channels, rejection motives).

Two families: the agents' assistant abstains (``assistant.Assistant.draft``, ``confidence.guard``), and the
citizen side hands a question to a person (``scope.out_of_scope`` and the public answer).
"""

from __future__ import annotations

from enum import StrEnum


class AbstainReason(StrEnum):
    """Why a question gets no answer; ``label`` is its French wording."""

    # The assistant does not take the question (confidence.guard): no retrieval is trusted.
    OUT_OF_ROLE = "hors_role"
    FOREIGN_LANGUAGE = "autre_langue"
    NO_KEYWORD = "sans_mot_cle"
    # The documents do not answer.
    NO_PASSAGE = "aucun_passage"
    LOW_CONFIDENCE = "confiance_insuffisante"
    # The citizen side hands the question to a person (scope.out_of_scope, desk.public_answer).
    OTHER_COMMUNE = "autre_commune"
    DISPUTE = "litige"
    ADVICE = "conseil"
    PERSONAL_CASE = "situation_personnelle"
    NO_PUBLIC_EXTRACT = "aucun_extrait_public"

    @property
    def label(self) -> str:
        """The French wording shown to people."""
        return LABELS[self]


LABELS: dict[AbstainReason, str] = {
    AbstainReason.OUT_OF_ROLE: "consigne ou demande hors du rôle de l'assistant",
    AbstainReason.FOREIGN_LANGUAGE: "question dans une autre langue que le français",
    AbstainReason.NO_KEYWORD: "question sans mot-clé exploitable",
    AbstainReason.NO_PASSAGE: "aucun passage pertinent",
    AbstainReason.LOW_CONFIDENCE: "confiance insuffisante",
    AbstainReason.OTHER_COMMUNE: "question sur une autre commune",
    AbstainReason.DISPUTE: "litige, réclamation ou recours",
    AbstainReason.ADVICE: "demande de conseil ou d'avis",
    AbstainReason.PERSONAL_CASE: "situation personnelle",
    AbstainReason.NO_PUBLIC_EXTRACT: "aucun extrait public",
}


def guarded(reason: str | None) -> bool:
    """Whether the assistant abstained for another reason than its confidence (a guard, or nothing retrieved).

    Such questions are left out of the confidence's calibration, and the citizen side shows no extract for them.
    """
    return reason is not None and reason != AbstainReason.LOW_CONFIDENCE
