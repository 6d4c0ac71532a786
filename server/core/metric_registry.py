"""Every metric the project shows, defined once: its French label, definition, unit and direction.

``accueil eval`` (report.json, report.html), the supervisor pages, the weekly summary and the CSV exports all take
their labels, definitions and number formats from here; none writes its own. Two families:

- ``EVAL``: what an evaluation run measures over a dataset (computed by ``eval.metrics.summarise``);
- ``DESK``: the desk's activity over a period (computed by ``server.core.desk.activity.compute``).

This module imports nothing of the project, so the answering core, the desk, the web and ``eval`` can all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """How a metric's value reads."""

    SHARE = "part"  # between 0 and 1, shown as a percentage
    SCORE = "score"  # between 0 and 1, shown as a decimal number
    COUNT = "nombre"
    MS = "ms"
    MINUTES = "minutes"
    TABLE = "tableau"  # a table of figures rather than one value


@dataclass(frozen=True)
class Metric:
    """One metric: its key (in report.json and in code), French label and definition, unit and direction.

    ``higher_is_better`` is None where neither way is a goal (a volume, a latency read as information);
    ``target`` is the goal an evaluation report checks, met when the value is on the better side of it.
    """

    key: str
    label: str
    definition: str
    unit: Unit
    higher_is_better: bool | None = None
    target: float | None = None

    def format(self, value: object) -> str:
        """The value as a French reader expects it: "90,6 %", "0,78", "123 ms", "12,5 min", "—" when undefined."""
        return format_value(value, self.unit)

    def met(self, value: float | None) -> bool:
        """True when ``value`` reaches the target (False when undefined or when the metric has no target)."""
        if value is None or self.target is None:
            return False
        return value <= self.target if self.higher_is_better is False else value >= self.target


def format_value(value: object, unit: Unit) -> str:
    """A value of ``unit`` in French (decimal comma, unit after a space); "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if unit is Unit.SHARE:
        return f"{value * 100:.1f} %".replace(".", ",")
    if unit is Unit.SCORE:
        return f"{value:.2f}".replace(".", ",")
    if unit is Unit.MS:
        return f"{value:.0f} ms"
    if unit is Unit.MINUTES:
        return f"{value:.1f} min".replace(".", ",")
    return str(value) if isinstance(value, int) else f"{value:g}".replace(".", ",")


_RIGHT = True
_WRONG = False

EVAL: tuple[Metric, ...] = (
    Metric(
        "hit@1",
        "Source trouvée (1re position)",
        "Part des questions à sources attendues dont un document attendu est la première source trouvée.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "hit@5",
        "Source trouvée (5 premières)",
        "Part des questions à sources attendues dont un document attendu figure parmi les 5 premières sources.",
        Unit.SHARE,
        _RIGHT,
        0.90,
    ),
    Metric(
        "hit@10",
        "Source trouvée (10 premières)",
        "Part des questions à sources attendues dont un document attendu figure parmi les 10 premières sources.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "mrr",
        "Rang réciproque moyen (MRR)",
        "Moyenne de 1/rang du premier document attendu parmi les sources (0 s'il n'y figure pas).",
        Unit.SCORE,
        _RIGHT,
    ),
    Metric(
        "coverage",
        "Taux de réponse",
        "Part des questions auxquelles l'assistant répond (au lieu de s'abstenir).",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "correctness",
        "Réponses correctes (questions à réponse)",
        "Part des questions qui appellent une réponse dont le brouillon répondu contient tous les faits de la réponse "
        "de référence (après normalisation de la casse, des accents, des espaces, de « € »/« euros » et des nombres).",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "selective_accuracy",
        "Précision des réponses données",
        "Part des brouillons répondus qui sont corrects (une réponse à une question qui appelait une abstention compte "
        "comme fausse).",
        Unit.SHARE,
        _RIGHT,
        0.90,
    ),
    Metric(
        "abstain_precision",
        "Précision de l'abstention",
        "Parmi les abstentions, part des questions qui appelaient bien une abstention.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "abstain_recall",
        "Rappel de l'abstention",
        "Parmi les questions qui appelaient une abstention, part de celles où l'assistant s'est abstenu.",
        Unit.SHARE,
        _RIGHT,
        0.90,
    ),
    Metric(
        "abstain_f1",
        "F1 de l'abstention",
        "Moyenne harmonique de la précision et du rappel de l'abstention.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "over_abstention",
        "Abstentions à tort",
        "Part des questions qui appelaient une réponse où l'assistant s'est abstenu.",
        Unit.SHARE,
        _WRONG,
        0.15,
    ),
    Metric(
        "citation_validity",
        "Citations exactes",
        "Part des citations des brouillons répondus dont l'extrait figure mot pour mot dans le document cité.",
        Unit.SHARE,
        _RIGHT,
        1.00,
    ),
    Metric(
        "cited_sentences",
        "Phrases citées",
        "Part des phrases des brouillons répondus qui portent une citation [n] valide.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "public_coverage",
        "Côté habitants : taux de réponse par extraits",
        "Côté habitants : part des questions auxquelles des extraits de documents publics sont montrés (sans compter "
        "la FAQ, absente de l'évaluation).",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "public_precision",
        "Côté habitants : précision des réponses",
        "Côté habitants : part des réponses montrées qui contiennent tous les faits de la réponse de référence (une "
        "réponse à une question qui appelait une abstention compte comme fausse).",
        Unit.SHARE,
        _RIGHT,
        0.98,
    ),
    Metric(
        "public_not_verbatim",
        "Côté habitants : extraits non trouvés mot pour mot",
        "Côté habitants : nombre d'extraits montrés qui ne figurent pas mot pour mot dans un document public de "
        "l'index (doit être 0 : jamais de texte rédigé).",
        Unit.COUNT,
        _WRONG,
        0,
    ),
    Metric(
        "llm_used",
        "Mode llm : brouillons du modèle utilisés",
        "Mode llm : part des brouillons répondus faits des phrases vérifiées du modèle (les autres : brouillon "
        "extractif, modèle écarté ou injoignable).",
        Unit.SHARE,
    ),
    Metric(
        "llm_removed_sentences",
        "Mode llm : phrases du modèle retirées",
        "Mode llm : part des phrases écrites par le modèle retirées par la vérification.",
        Unit.SHARE,
        _WRONG,
    ),
    Metric(
        "unsupported_facts",
        "Faits absents des sources citées",
        "Nombre de faits (montant, date, heure, durée, téléphone, courriel, adresse web, nombre) des brouillons "
        "répondus absents des documents qu'ils citent (vérifié à part du vérificateur) : doit valoir 0.",
        Unit.COUNT,
        _WRONG,
    ),
    Metric(
        "latency_p50_ms",
        "Latence médiane (ms)",
        "Temps de réponse médian par question, en millisecondes.",
        Unit.MS,
        _WRONG,
    ),
    Metric(
        "latency_p95_ms",
        "Latence p95 (ms)",
        "Temps de réponse sous lequel se trouvent 95 % des questions, en millisecondes.",
        Unit.MS,
        _WRONG,
    ),
)

DESK: tuple[Metric, ...] = (
    Metric("requests", "Demandes", "Demandes enregistrées pendant la période (tous canaux).", Unit.COUNT),
    Metric("validated", "Validées", "Demandes de la période dont la réponse a été validée.", Unit.COUNT),
    Metric(
        "validation_minutes",
        "Délai de validation (médiane)",
        "Temps entre l'enregistrement d'une demande et la validation de sa réponse (médiane et 9e décile, en "
        "minutes), sur les demandes de la période validées.",
        Unit.MINUTES,
        _WRONG,
    ),
    Metric(
        "validated_unedited",
        "Validées sans retouche",
        "Part des réponses validées envoyées telles que l'assistant les avait rédigées.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "mean_edit_ratio",
        "Part modifiée en moyenne",
        "Part moyenne du texte modifiée par l'agent entre le brouillon et la réponse validée (0 = inchangé, 1 = tout "
        "réécrit).",
        Unit.SHARE,
        _WRONG,
    ),
    Metric(
        "rejected",
        "Rejetées",
        "Part des demandes closes dont le brouillon a été rejeté, et répartition par motif.",
        Unit.SHARE,
        _WRONG,
    ),
    Metric(
        "abstention_rate",
        "Abstentions (premier brouillon)",
        "Part des demandes avec brouillon pour lesquelles l'assistant s'est abstenu au premier brouillon (« sources "
        "insuffisantes » ou question hors champ).",
        Unit.SHARE,
    ),
    Metric(
        "memory_reuse_rate",
        "Réponses mémorisées reprises",
        "Part des réponses validées qui reprennent une réponse déjà validée (mémoire des réponses).",
        Unit.SHARE,
    ),
    Metric(
        "confidence",
        "Confiance de l'assistant",
        "Premiers brouillons de la période par décile de la confiance de l'assistant (0,0 – 0,1 … 0,9 – 1,0), et ce "
        "qu'il en est advenu : une confiance bien réglée donne peu de rejets et de retouches dans les déciles hauts.",
        Unit.TABLE,
    ),
)

# What ``accueil eval --faq`` measures: the citizen side's decision over the published FAQ (``answer.match``).
FAQ: tuple[Metric, ...] = (
    Metric(
        "faq_precision",
        "Précision des entrées montrées",
        "Part des entrées de FAQ montrées comme la réponse qui sont la bonne entrée (une question sans entrée qui "
        "y réponde ne doit rien montrer).",
        Unit.SHARE,
        _RIGHT,
        0.98,
    ),
    Metric(
        "faq_recall",
        "Rappel des entrées",
        "Part des questions auxquelles une entrée publiée répond pour lesquelles cette entrée est montrée.",
        Unit.SHARE,
        _RIGHT,
        0.80,
    ),
    Metric(
        "faq_suggestion_hit",
        "Bonne entrée proposée",
        "Part des questions à entrée pour lesquelles aucune entrée n'est montrée mais dont la bonne entrée figure "
        "dans « Vouliez-vous dire… » (3 propositions au plus).",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "faq_offered_unanswered",
        "Propositions sans réponse",
        "Part des questions auxquelles aucune entrée ne répond pour lesquelles « Vouliez-vous dire… » propose des "
        "entrées (le prix de la bonne entrée proposée : une proposition de trop se lit et s'écarte).",
        Unit.SHARE,
        None,
    ),
    Metric(
        "faq_shown",
        "Entrées montrées",
        "Questions auxquelles une entrée de FAQ est montrée comme la réponse.",
        Unit.COUNT,
    ),
    Metric(
        "faq_wrong",
        "Entrées montrées à tort",
        "Questions auxquelles une entrée est montrée alors qu'elle n'y répond pas (ou qu'aucune n'y répond).",
        Unit.COUNT,
        _WRONG,
    ),
    Metric(
        "memory_precision",
        "Mémoire : précision des réponses proposées",
        "Paires de questions (memory-pairs.jsonl) dont la réponse validée pour l'une est proposée pour l'autre : "
        "part de celles où les deux questions demandent vraiment la même chose.",
        Unit.SHARE,
        _RIGHT,
        0.95,
    ),
    Metric(
        "memory_recall",
        "Mémoire : rappel",
        "Part des paires de questions qui demandent la même chose pour lesquelles la réponse validée est proposée.",
        Unit.SHARE,
        _RIGHT,
    ),
    Metric(
        "memory_offered",
        "Mémoire : réponses proposées",
        "Paires de questions pour lesquelles la réponse validée pour l'une est proposée pour l'autre.",
        Unit.COUNT,
    ),
)

METRICS: dict[str, Metric] = {m.key: m for m in (*EVAL, *DESK, *FAQ)}
# The few evaluation metrics listed for each run on the supervisor's evaluation page and in its CSV export.
EVAL_HEADLINE = ("hit@5", "correctness", "selective_accuracy", "abstain_recall", "over_abstention", "latency_p95_ms")


def metric(key: str) -> Metric:
    """The metric named ``key`` (KeyError for an unknown one: a page must not invent its own)."""
    return METRICS[key]


def labels(metrics: tuple[Metric, ...]) -> dict[str, str]:
    """``{key: French label}`` of these metrics, in their order."""
    return {m.key: m.label for m in metrics}


def definitions(metrics: tuple[Metric, ...]) -> dict[str, str]:
    """``{key: French definition}`` of these metrics, in their order."""
    return {m.key: m.definition for m in metrics}
