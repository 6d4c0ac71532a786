"""What the citizen side may answer on its own: practical information only (hours, documents, fees, places…).

A personal case, a request for advice or an opinion, a dispute or a complaint always goes to a person, however
well the documents seem to match. Procedures ("comment refaire ma carte d'identité ?") are practical information;
whether the documents answer them is the confidence's business, with the citizen side's stricter threshold.
"""

from __future__ import annotations

import re

from server.core.answer.question import Question
from server.core.answer.reasons import AbstainReason
from server.core.text import fold

# Cues are matched on the folded question (lower case, no accents).
_ADVICE = re.compile(
    r"\b(?:vous pensez|tu penses|a votre avis|selon vous|vous me conseillez|que me conseillez|conseillez[- ]moi"
    r"|qu'?est[- ]ce que je dois faire|que dois[- ]je faire|vaut[- ]il mieux|c'?est mieux de|ai[- ]je (?:le )?droit"
    r"|est[- ]ce (?:que c'?est )?legal|mes chances|je vais gagner|est[- ]ce que je risque|je risque)\b"
)
_DISPUTE = re.compile(
    r"\b(?:contest\w*|recours|avocat|tribunal|proces|porter plainte|plainte|litige|reclamation|mediateur"
    r"|scandal\w*|inadmissible|honteu\w*|injuste|pas normal|pas mes|faire demolir|me retourner contre|prud'?hom\w*"
    r"|(?:faire )?sauter (?:mon|ma|le|la|cette|ce) (?:pv|amende|contravention)|le faire sauter"
    r"|annuler (?:mon|ma|le|la|cette|ce) (?:pv|amende|contravention))\b"
)
_OWN_CASE = re.compile(
    r"\b(?:mon dossier|ma demande|mon permis de construire a ete|mon voisin|ma voisine|mes voisins|j'?ai (?:recu|depose"
    r"|demande|ete)|on m'?a (?:refuse|dit)|ma situation|mon cas|dans mon cas|pour moi c'?est|sera[- ]t[- ]il pret"
    r"|est[- ]ce qu'?il sera"
    # What is left on one's own account (« combien de passages il me reste »).
    r"|il me reste|me reste[- ]t[- ]il)\b"
)


def out_of_scope(question: Question) -> AbstainReason | None:
    """Why the citizen side must hand this question to a person, or None when it may answer it."""
    folded = fold(question.text)
    if question.other_place:
        return AbstainReason.OTHER_COMMUNE
    if _DISPUTE.search(folded):
        return AbstainReason.DISPUTE
    if _ADVICE.search(folded):
        return AbstainReason.ADVICE
    if _OWN_CASE.search(folded):
        return AbstainReason.PERSONAL_CASE
    return None


# A question about one's own file that the scope check does not already see: where a file stands, a child's
# registration, a named person, a case number. Matched on the folded text, except names (capitals).
_OWN_FILE = re.compile(
    r"\b(?:ou en est|ou en sont|avez[- ]vous (?:bien )?recu|vous avez (?:bien )?recu|a[- ]t[- ](?:il|elle) ete"
    r"|(?:est|sont)[- ](?:ils|elles|il|elle) (?:bien )?(?:validee?s?|acceptee?s?|enregistree?s?|inscrite?s?|traitee?s?)"
    r"|toujours pas (?:recu|eu|de reponse)|quand (?:vais|va|allez)[- ](?:je|t[- ]on|vous) (?:recevoir|avoir)"
    r"|(?:l'?inscription|le dossier|la demande) de (?:mon|ma|mes) (?:fils|fille|enfants?|mere|pere|mari|femme)"
    r"|(?:mon|ma|mes) (?:fils|fille|enfants?) (?:est|sont|a|ont|n'?a|n'?est)\b"
    r"|(?:numero|n°|no|ref(?:erence)?) (?:de )?(?:dossier|demande|facture)|(?:dossier|demande|facture) (?:n°|no|numero)"
    r"|mon (?:numero|n°) (?:de )?(?:dossier|demande)"
    # Who one is (« je m'appelle… », « né le 12/04/1990 »), or one's own standing to confirm (« vérifier que je suis
    # inscrit »).
    r"|je m'?appelle|mon nom est|nee? le \d{1,2}[/. -]\d{1,2}[/. -]\d{2,4}"
    r"|(?:confirmer|verifier) (?:que|si) (?:je suis|j'?ai|mon|ma|mes|nous sommes|nous avons))"
)
_CASE_NUMBER = re.compile(r"\b(?:[A-Z]{1,5}[- ]?\d{2,4}[-/ ]\d{3,}|\d{6,})\b")
_NAMED = re.compile(r"\b(?:M\.|Mme|Mlle|Monsieur|Madame|monsieur|madame)\s+[A-ZÀ-Ý][\w'-]+")


def personal_situation(question: str) -> bool:
    """Whether the question is about the citizen's own case (a file, a registration, a named person, a number)."""
    return bool(_OWN_FILE.search(fold(question)) or _CASE_NUMBER.search(question) or _NAMED.search(question))
