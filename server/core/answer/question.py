"""What a question asks: its content terms, the kind of fact it wants, whether it follows up, and guard signals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from server.core.answer.places import other_commune
from server.core.text import STOP_WORDS, fold, tokens, words

# The kind of fact asked, found by cue words in the folded question, and the pattern of that kind of fact.
KIND_CUES: dict[str, tuple[str, ...]] = {
    "prix": (
        "combien",
        "cout",
        "coute",
        "prix",
        "tarif",
        "payer",
        "payant",
        "gratuit",
        "cher",
        "euros",
        "€",
        "frais",
        "montant",
        "timbre",
        "amende",
    ),
    "horaire": (
        "horaire",
        "heure",
        "ouvert",
        "ouverture",
        "ferme",
        "fermeture",
        "jour",
        "quand",
        "passage",
        "collecte",
        "ramass",
    ),
    "delai": (
        "delai",
        "combien de temps",
        "valable",
        "validite",
        "duree",
        "attente",
        "avant",
        "jusqu",
        "date",
        "c'est long",
        "quel age",
        "a partir de quel",
    ),
    "pieces": ("piece", "document", "papier", "fournir", "apporter", "justificatif", "dossier", "besoin"),
    "lieu": ("ou ", "adresse", "lieu", "endroit", "aller", "se rendre", "guichet", "bureau"),
    # An appointment is made by telephone or online: asking how to get one asks for that contact.
    "contact": ("telephone", "numero", "tel ", "contacter", "appeler", "mail", "joindre", "rendez-vous", "rendez vous"),
}
KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    "prix": re.compile(r"\d[\d  ]*(?:[,.]\d+)?\s?(?:€|euros?)|gratuit|timbre fiscal", re.I),
    "horaire": re.compile(r"\d{1,2}\s?h(?:\s?\d{2})?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche", re.I),
    "delai": re.compile(r"\d+\s?(?:jours?|semaines?|mois|ans?|heures?)|délai|avant le|au plus tard", re.I),
    "pieces": re.compile(r"justificatif|pièce|photo|acte|formulaire|cerfa|livret|carte|passeport|document", re.I),
    "lieu": re.compile(
        r"\d+,? (?:rue|place|avenue|boulevard|chemin|allée|route|impasse|quai)|mairie|guichet|bureau|préfecture", re.I
    ),
    "contact": re.compile(r"\d{2}(?:[ .]?\d{2}){4}|@|téléphone", re.I),
}
_FOLLOW_UP = re.compile(r"^(et|mais|sinon|aussi|pareil|idem|meme chose|et si|et pour|et le|et la|et les)\b")
_INJECTION = re.compile(
    r"ignor\w* (?:\w+ ){0,3}(?:instruction|consigne|regle)|oubli\w* (?:\w+ ){0,3}(?:instruction|consigne|regle)"
    r"|prompt|system\s*:|\bsysteme\b.*\b(?:message|instruction)|tu es (?:maintenant|desormais)"
    r"|a partir de maintenant|jailbreak|mode (?:developpeur|dan|debug)|cle (?:d'?)?api|api key|mot de passe admin"
    r"|reponds? uniquement|repete (?:apres moi|exactement)|ecris exactement|affiche (?:tes|la) (?:config|regle)",
    re.I,
)
_ENGLISH = frozenset("the what is are how do does can where when which my i you your please of to for and".split())
_SPANISH_GERMAN = frozenset(
    "el los las que donde cuando cual por favor como der die das ist wie wo wann ich und".split()
)


# SMS spellings and desk abbreviations, expanded before retrieval (folded forms, whole words only).
ABBREVIATIONS: dict[str, str] = {
    "cni": "carte nationale d'identite",
    "cb": "combien",
    "cmb": "combien",
    "cbien": "combien",
    "koi": "quoi",
    "kwa": "quoi",
    "kan": "quand",
    "qd": "quand",
    "pr": "pour",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "ds": "dans",
    "tps": "temps",
    "rdv": "rendez-vous",
    "ado": "adolescent mineur",
    "bb": "bebe",
    "hlm": "logement social",
    "jdc": "journee defense et citoyennete",
    "pb": "probleme",
    "dmd": "demande",
    "docs": "documents",
    "doc": "document",
    "kel": "quel",
    "kelle": "quelle",
    "keske": "qu'est-ce que",
    "nouvo": "nouveau",
    "mtn": "maintenant",
    "auj": "aujourd'hui",
    "tjr": "toujours",
    "tjrs": "toujours",
    "bcp": "beaucoup",
    "qqn": "quelqu'un",
    "qqch": "quelque chose",
    "ptit": "petit",
    "gosse": "enfant",
    "gamin": "enfant",
    "mome": "enfant",
    "papiers": "documents pieces",
    "pacse": "pacs",
    "pacser": "pacs",
    "mat": "maternelle",
    "tel": "telephone",
    "num": "numero",
    "adr": "adresse",
    "bjr": "bonjour",
    # Words of everyday speech, next to the administrative word the documents use.
    "adulte": "adulte majeur",
    "adultes": "adultes majeurs",
    "enfant": "enfant mineur",
    "enfants": "enfants mineurs",
    "bebe": "bebe enfant",
    "prix": "prix tarif",
    "tarif": "tarif prix",
}
_ABBREV_RE = re.compile(r"\b(" + "|".join(map(re.escape, ABBREVIATIONS)) + r")\b")


def expand(text: str) -> str:
    """The question with SMS spellings and abbreviations spelled out (folded)."""
    return _ABBREV_RE.sub(lambda m: ABBREVIATIONS[m.group(1)], fold(text))


@dataclass(frozen=True)
class Question:
    """A question ready for retrieval and drafting."""

    text: str
    query: str
    terms: list[str]
    kinds: tuple[str, ...]
    follow_up: bool
    injection: bool
    foreign: bool
    other_place: bool = False


_DURATION_ASKED = re.compile(r"combien de (?:temps|jours?|semaines?|mois|ans?|annees?)|jusqu'?a quand|dure")


def asked_kinds(text: str) -> tuple[str, ...]:
    """Kinds of fact the question asks for (prix, horaire, delai, pieces, lieu, contact)."""
    folded = _DURATION_ASKED.sub(" delai ", f" {fold(text)} ")
    return tuple(kind for kind, cues in KIND_CUES.items() if any(cue in folded for cue in cues))


@lru_cache(maxsize=4096)
def named_kinds(heading: str) -> tuple[str, ...]:
    """Kinds of fact a heading names (« Coût » a price, « Prendre rendez-vous » a contact, « Où s'adresser » a place):
    the question cues of ``KIND_CUES``, each at the start of a word of the folded heading."""
    folded = _DURATION_ASKED.sub(" delai ", f" {fold(heading)} ")
    return tuple(kind for kind, cues in _KIND_WORDS.items() if cues.search(folded))


# One pattern a kind: any of its cues at the start of a word.
_KIND_WORDS: dict[str, re.Pattern[str]] = {
    kind: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(cue) for cue in cues) + ")") for kind, cues in KIND_CUES.items()
}


# Where a message asking several things splits: after a question or exclamation mark, or at ", et" before a new
# question.
_PARTS = re.compile(
    r"(?<=[?!])(?![?!])\s*|\s*(,)\s*et\s+(?=(?:est-ce|quel|quand|comment|combien|c'est|jusqu|où|ou |qui|à quel|a quel|"
    r"on |il |elle |je |après|apres))",
    re.I,
)
_ASKS = re.compile(
    r"^(?:et |mais |sinon |alors )?(?:quel|quelle|quels|quelles|quand|comment|combien|ou |où|qui |pourquoi|est-ce"
    r"|est ce|peut-on|peut on|faut-il|faut il|a quel|à quel|jusqu|c'est quand|c'est combien|c'est ou|c'est où)"
)
# Content words of a piece that announces a question without asking one ("j'aurais une question ?").
_META = frozenset(
    tokens(
        "question questions renseignement renseignements information informations aurais aimerais "
        "savoir aide aider besoin demander petite rapide"
    )
)
MAX_PARTS = 3


@dataclass(frozen=True)
class Parts:
    """The questions of a message that asks several, and those of them that are not looked up on their own."""

    questions: list[str]
    left_out: list[str]


def _cue(piece: str) -> bool:
    """Whether the piece asks a kind of fact or opens like a question."""
    return bool(asked_kinds(expand(piece)) or _ASKS.match(fold(piece)))


def _asks(piece: str) -> bool:
    terms = set(tokens(piece))
    return bool(terms) and not terms <= _META and (piece.endswith("?") or _cue(piece))


def parts(text: str) -> Parts:
    """The questions of a message that asks several ("Combien coûte… ? Et où… ?"); none when it asks one.

    A statement ("Mon fils a 16 ans.") is context: it is read with the question after it; politeness is dropped. A
    question of one term that asks nothing of its own ("Et à Lyon ?") is read with the one before. Beyond
    ``MAX_PARTS`` questions, the rest are ``left_out``: the caller must not treat the message as fully looked up.
    """
    questions: list[str] = []
    context = ""
    # re.split gives each piece then the separator's group: "," when the next piece is a new question after ", et".
    found = _PARTS.split(text)
    pieces = [(p.strip(), sep == ",") for p, sep in zip(found[::2], [*found[1::2], None], strict=True)]
    for piece, before_et in pieces:
        if not piece:
            continue
        if not (before_et or _asks(piece)):
            terms = tokens(piece)
            if len(terms) >= 2 and not set(terms) <= _META:
                context = f"{context} {piece}".strip()
            continue
        piece = f"{context} {piece}".strip()
        context = ""
        if questions and len(tokens(piece)) < 2 and not _cue(piece):
            questions[-1] = f"{questions[-1]} {piece}"
        else:
            questions.append(piece)
    if len(questions) < 2:
        return Parts([], [])
    return Parts(questions[:MAX_PARTS], questions[MAX_PARTS:])


def is_foreign(text: str) -> bool:
    """True when the question is clearly not in French: another script, or more foreign than French words."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(1 for ch in letters if ord(ch) > 0x24F) > len(letters) * 0.5:
        return True
    ws = words(text)
    if len(ws) < 3:
        return False
    french = sum(w in STOP_WORDS for w in ws)
    foreign = sum(w in _ENGLISH or w in _SPANISH_GERMAN for w in ws)
    return foreign >= 2 and foreign > french


def analyse(text: str, history: list[str] | None = None, commune: str = "") -> Question:
    """Analyse a question; a short follow-up ("et pour un mineur ?") is read with the previous question."""
    history = [h for h in (history or []) if h.strip()]
    own_terms = tokens(expand(text))
    follow_up = bool(history) and (bool(_FOLLOW_UP.match(fold(text).strip())) or len(own_terms) <= 3)
    query = expand(f"{history[-1]} {text}" if follow_up else text)
    return Question(
        text=text,
        query=query,
        terms=tokens(query),
        kinds=asked_kinds(expand(text)) or (asked_kinds(expand(history[-1])) if follow_up else ()),
        follow_up=follow_up,
        injection=bool(_INJECTION.search(fold(text))),
        foreign=is_foreign(text),
        other_place=other_commune(text, commune),
    )
