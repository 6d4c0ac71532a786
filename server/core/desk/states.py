"""The desk's control values: the states of a request and the actions of the trail, with their French labels.

Programs compare the members; the database stores their values (``requests.state``, ``audit_events.action``) and
the JSON API returns them. The values are the ASCII codes the desk has always stored, kept as they are: the trail
is append-only (a rewritten trail would no longer be a trail) and integrations read these codes from the API. A
member's ``label`` is what people read; ``server.core.desk.labels`` gives the templates, exports and CLI every label.
"""

from __future__ import annotations

from enum import StrEnum


class RequestState(StrEnum):
    """Where a request stands (``requests.state``)."""

    NEW = "nouvelle"
    DRAFT_READY = "brouillon_pret"
    VALIDATED = "validee"
    REJECTED = "rejetee"
    TRANSFERRED = "transmise"

    @property
    def label(self) -> str:
        """The French wording shown to people."""
        return STATE_LABELS[self]


OPEN_STATES = (RequestState.NEW, RequestState.DRAFT_READY)
CLOSED_STATES = (RequestState.VALIDATED, RequestState.REJECTED, RequestState.TRANSFERRED)


class TrailAction(StrEnum):
    """What an event of the audit trail records (``audit_events.action``)."""

    # A request's life (workflow, workspace, outbox).
    CREATED = "creee"
    DRAFT_GENERATED = "brouillon_genere"
    SAVED = "enregistree"
    VALIDATED = "validee"
    REJECTED = "rejetee"
    TRANSFERRED = "transmise"
    MEMORY_REUSED = "memoire_reprise"
    MAIL_QUEUED = "courriel_en_attente"
    MAIL_SENT = "courriel_envoye"
    MAIL_FAILED = "courriel_echec"
    MAIL_RETRIED = "courriel_relance"
    DRAFT_DISCARDED = "brouillon_ecarte"
    INTERNAL_COMMENT = "commentaire_interne"
    PINNED = "epinglee"
    UNPINNED = "desepinglee"
    THEME_CHANGED = "theme_modifie"
    # Accounts and access (auth, throttle), tied to no request.
    USER_CREATED = "utilisateur_cree"
    PASSWORD_RESET = "mot_de_passe_renouvele"
    USER_ENABLED = "utilisateur_reactive"
    USER_DISABLED = "utilisateur_desactive"
    SESSIONS_CLOSED = "sessions_fermees"
    TOKEN_CREATED = "jeton_cree"
    TOKEN_REVOKED = "jeton_revoque"
    LOGIN_LOCKED = "connexion_bloquee"
    # The FAQ (faq_watch): an entry withdrawn because a re-ingest changed or removed one of its sources.
    FAQ_SOURCE_CHANGED = "faq_source_modifiee"

    @property
    def label(self) -> str:
        """The French wording shown to people."""
        return ACTION_LABELS[self]


STATE_LABELS: dict[RequestState, str] = {
    RequestState.NEW: "Nouvelle",
    RequestState.DRAFT_READY: "Brouillon prêt",
    RequestState.VALIDATED: "Validée",
    RequestState.REJECTED: "Rejetée",
    RequestState.TRANSFERRED: "Transmise",
}

ACTION_LABELS: dict[TrailAction, str] = {
    TrailAction.CREATED: "Demande créée",
    TrailAction.DRAFT_GENERATED: "Brouillon généré",
    TrailAction.SAVED: "Texte enregistré",
    TrailAction.VALIDATED: "Réponse validée",
    TrailAction.REJECTED: "Brouillon rejeté",
    TrailAction.TRANSFERRED: "Demande transmise",
    TrailAction.MEMORY_REUSED: "Réponse mémorisée reprise",
    TrailAction.MAIL_QUEUED: "Courriel de réponse mis en file d'envoi",
    TrailAction.MAIL_SENT: "Courriel de réponse envoyé",
    TrailAction.MAIL_FAILED: "Échec d'envoi du courriel (nouvel essai prévu)",
    TrailAction.MAIL_RETRIED: "Envoi du courriel relancé",
    TrailAction.DRAFT_DISCARDED: "Brouillon écarté : réponse rédigée par l'agent",
    TrailAction.INTERNAL_COMMENT: "Commentaire interne (jamais envoyé à l'habitant)",
    TrailAction.PINNED: "Demande épinglée",
    TrailAction.UNPINNED: "Demande désépinglée",
    TrailAction.THEME_CHANGED: "Thème modifié",
    TrailAction.USER_CREATED: "Compte créé",
    TrailAction.PASSWORD_RESET: "Mot de passe renouvelé",
    TrailAction.USER_ENABLED: "Compte réactivé",
    TrailAction.USER_DISABLED: "Compte désactivé",
    TrailAction.SESSIONS_CLOSED: "Sessions fermées",
    TrailAction.TOKEN_CREATED: "Jeton d'accès créé",
    TrailAction.TOKEN_REVOKED: "Jeton d'accès révoqué",
    TrailAction.LOGIN_LOCKED: "Connexion bloquée après trop d'échecs",
    TrailAction.FAQ_SOURCE_CHANGED: "Entrée de FAQ retirée : une de ses sources a changé (à relire)",
}
