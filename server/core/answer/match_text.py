"""What the citizen-side decision (``answer.match``) reads in a text: its content words with spelling slips forgiven,
the kind of fact it asks, its stance, the nouns that say what it is about, the names and details it gives.

Pure functions over French text (folded by ``server.core.text``); no model, no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from server.core.answer.question import KIND_PATTERNS, expand
from server.core.text import STOP_WORDS, fold, stem, words

# Two words are the same word with a spelling slip from this rapidfuzz ratio on, when both have 4 letters or more.
FUZZ_MIN = 80

# The kind of fact a text asks, by unambiguous cues only (matched on folded words): the kinds of the facts
# ``question.KIND_PATTERNS`` finds in an answer, and two that no pattern finds, a procedure (« démarche ») and what
# goes in (« contenu »). « quand » or « jour » alone ask no kind: too many questions use them. ``question.KIND_CUES``
# (the drafts') is broader: read by this decision it rejected paraphrases (faq-dev precision 0.967 -> 0.926,
# measured before the démarche and contenu kinds).
ASKED: dict[str, re.Pattern[str]] = {
    "prix": re.compile(
        r"\b(?:combien (?:ca |cela )?(?:coute|coutent|vaut|revient|faut[- ]il payer)|couts?|coute\w*|prix|tarifs?"
        r"|payante?s?|gratuite?s?|payer|cher|euros?|frais|montant|est combien|fait combien"
        # Paying and billing said otherwise (« on paie combien », « facturé à l'heure ou au forfait »).
        r"|paie(?:s|nt)?|payes?|payent|payons|payez|factur\w*|forfaits?)\b|€"
    ),
    # « à l'heure » and « par heure » bill a time, they do not ask when (« facturé à l'heure »).
    "horaire": re.compile(
        r"\b(?:horaires?|(?<!\ba )(?<!\bpar )heures?|ouverte?s?|ouverture|fermee?s?|fermeture|ouvre|ferment)\b"
    ),
    "lieu": re.compile(
        r"\b(?:adresse(?! (?:e-?)?mail| electronique| courriel)|ou (?:se )?(?:trouve|situe|est)|situee?"
        r"|quel(?:le)?s? (?:rues?|quartiers?|endroits?|lieux?|secteurs?))\b"
    ),
    "contact": re.compile(r"\b(?:telephone|numero de tel\w*|mail|e-mail|courriel|joindre|appeler)\b"),
    "pieces": re.compile(r"\b(?:pieces?|documents?|papiers?|justificatifs?|fournir|apporter)\b"),
    "delai": re.compile(r"\b(?:delais?|combien de temps|valable|validite|duree)\b"),
    "conditions": re.compile(
        r"\bqui (?:peut|peuvent|doit|doivent|a droit|ont droit)\b|\bconditions?\b|\ba droit\b|\beligible"
    ),
    # What a thing is for, what becomes of it: no entry's hours, price or procedure says it.
    "usage": re.compile(r"\b(?:a quoi (?:ca |cela )?(?:sert|servent|servira)|que (?:devient|deviennent))\b"),
    # How to get something done (book, register, rent, apply): a question on a procedure is not answered by the
    # hours or the price of the same place (« inscrire son enfant au centre de loisirs » is not its hours).
    "demarche": re.compile(
        r"\b(?:comment (?:faire|fait on|on fait|obtenir|avoir|demander|prendre|reserver|louer|inscrire|declarer"
        r"|recuperer|signaler|proceder|refaire|renouveler|se (?:faire|procurer|debarrasser))"
        # « comment » and any infinitive (« comment reconnaître », « comment contester ») asks how to do it.
        r"|comment (?:(?:me|se|s|le|la|les|l|y|en|lui|leur) )?\w{2,}(?:er|ir|re)"
        r"|(?:on|je) (?:fait|fais) comment|reserv\w*|louer|inscri(?:re|ption|ptions)|demarches?|formalites?"
        r"|faire une demande|prendre (?:un )?rendez vous)\b"
    ),
    # What goes in or is accepted (a bin, the déchetterie): not the day it is collected nor its hours.
    "contenu": re.compile(
        r"\b(?:consignes?|quoi (?:mettre|jeter)|(?:peut|doit) on (?:mettre|jeter|deposer)|faut il (?:mettre|jeter)"
        r"|on (?:peut )?(?:met|jette|depose)|(?:mettre|jeter|deposer) (?:dans|a|au|aux)"
        r"|acceptee?s?|quels? (?:dechets|objets|materiaux))\b"
    ),
}
# Words that never name a place or a service: when, how much, which day (« samedi » is in many entries' phrasings).
NOT_SUBJECT = frozenset(
    """lundi mardi mercredi jeudi vendredi samedi dimanche matin soir midi apres nuit semaine mois an ans annee
    janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
    jour jours ferie feries week end weekend heure heures horaire horaires prix tarif tarifs cout coute payant gratuit
    ouvert ouverte ouverture ferme fermee fermeture adresse numero delai duree date demande demander obtenir faire
    peut faut quand combien comment gratuit gratuite gratuits gratuites payante payants payantes
    prochain prochaine prochains prochaines dernier derniere derniers dernieres""".split()
)


def asked(text: str) -> frozenset[str]:
    """The kinds of fact a text asks by an unambiguous cue (prix, horaire, lieu, contact, pieces, delai, conditions,
    demarche, contenu)."""
    folded = " ".join(words(text.replace("€", " euros ")))
    return frozenset(kind for kind, cue in ASKED.items() if cue.search(folded))


# Availability, not a delay (« en ligne, 24 heures sur 24 »): not a fact of the kind « délai ».
_ALWAYS = re.compile(r"\b24\s?(?:h|heures)\s?(?:sur|/)\s?24\b|\b7\s?(?:j|jours)\s?(?:sur|/)\s?7\b", re.I)


def given(answer: str) -> frozenset[str]:
    """The kinds of fact an answer gives (amounts, hours, addresses… as ``question.KIND_PATTERNS`` finds them)."""
    answer = _ALWAYS.sub(" ", answer)
    return frozenset(kind for kind, pattern in KIND_PATTERNS.items() if pattern.search(answer))


def agrees(kinds: frozenset[str], asks: frozenset[str], gives: frozenset[str], general: bool) -> bool:
    """Whether an entry answers the kinds of fact a text asks (any, when it asks none), from the kinds its phrasings
    ask, those its answer gives, and whether its question asks none (a general entry).

    The kinds its phrasings ask answer them (any one of them; or, when they ask none, the kinds its answer gives).
    A procedure (« Comment obtenir… ») or a general entry (« Quelles sont les règles… ») also answers what its
    answer gives: the price or the documents of a procedure are in it, the hours of a site are not its booking.
    """
    if not kinds:
        return True
    if kinds & (asks or gives):
        return True
    return ("demarche" in asks or general) and kinds <= asks | gives


# A negation said in full (« je ne suis plus inscrit »), read on the text with its accents (« né » is no « ne »).
_NEGATION = re.compile(r"(?<![\w-])(?:ne|n')\s*(?:\w+\s+){0,3}?(?:pas|plus|jamais|rien|aucune?)\b")
# Not wanting or refusing something (« je ne veux plus être inscrit », « je veux pas », « refuser »).
_REFUSAL = re.compile(
    r"\b(?:veu[xt]|voudrai\w*|souhaite\w*|désire\w*|aimerai\w*)\s+(?:ne\s+)?(?:pas|plus)\b|\brefus\w*"
)
# A place named after « à », « de », « du »: a capital inside the sentence (« la mairie de Valprée »).
PLACE = re.compile(r"(?:^|(?<=\S)\s)(?:[àÀ]|a|de|d'|du|au|en)\s*((?:[A-ZÉÈÎ][\w]+)(?:-[\w]+)*)")
# A name inside a sentence (« après l'Ascension », « aux Tilleuls »): the entry must be the one that speaks of it.
NAME = re.compile(r"(?<=[\w,;'’] )(?:l'|d')?([A-ZÉÈÎ][a-zà-ÿ]+(?:-[A-Za-zà-ÿ]+)*)")
_SUMMER = re.compile(r"(\bl'|\bd'|\bcet\s+|\ben\s+)ete\b")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
# A question of this many content words or fewer is elliptic (« Pouvez-vous nous expliquer ? », « Est-ce possible et
# combien cela coûte-t-il ? »): its subject is in the sentence before it. 2, 4, 6 or every question read with the
# sentence before it did about as well with the seven tuning sets (``python -m eval.faq_fit``: 0.463 / 0.454, 0.461 /
# 0.456, 0.459 / 0.456, 0.459 / 0.460 at pooled precision 0.98, grouped by entry / each set left out); 4 was chosen
# beforehand.
ELLIPTIC = 4


def stance(text: str) -> tuple[bool, bool]:
    """Whether the text is negated, and whether it refuses or does not want something: what words do not see."""
    lowered = text.lower().replace("’", "'")
    return bool(_NEGATION.search(lowered)), bool(_REFUSAL.search(lowered))


def asking_part(text: str, context: bool = False) -> str:
    """The sentences of a message that ask (ending with « ? »), or the whole text when none does; with ``context``,
    an elliptic one (``ELLIPTIC``) comes with the sentence before it that has content words, where its subject is."""
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    asking: list[str] = []
    for i, sentence in enumerate(sentences):
        if not sentence.endswith("?"):
            continue
        if context and len(content_words(sentence)) <= ELLIPTIC:
            before = next((s for s in reversed(sentences[:i]) if content_words(s)), None)
            if before is not None and before not in asking:
                asking.append(before)
        asking.append(sentence)
    return " ".join(asking) if asking else text


def content_words(text: str) -> list[str]:
    """Folded content words of a text, abbreviations spelled out, function words dropped (the summer kept: « l'été »
    is no form of « être »)."""
    text = _SUMMER.sub(r"\1estival", expand(text))
    return [w for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=100_000)
def same_word(a: str, b: str) -> bool:
    """Whether two folded words are one word, up to its ending or a spelling slip."""
    if a == b or stem(a) == stem(b):
        return True
    return min(len(a), len(b)) >= 4 and a[0] == b[0] and fuzz.ratio(a, b) >= FUZZ_MIN


_DETAIL_WORDS = frozenset(
    """lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout
    septembre octobre novembre decembre ete hiver printemps automne""".split()
)


def details(text: str) -> frozenset[str]:
    """The numbers, days and months a text names (« 14 ans », « le samedi »): a reply for one is not for another."""
    return frozenset(w for w in words(text) if w.isdigit() or w in _DETAIL_WORDS)


_DATE = re.compile(
    r"\b((?:\d{1,2}(?:er)?(?:\s*,\s*|\s+et\s+|\s+au\s+))*\d{1,2})(?:er)?\s+"
    r"(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)\b"
)


def dates(text: str) -> frozenset[str]:
    """The days of the year a text names (« le 1er mai » -> « 1 mai », « les 24 et 31 décembre » -> both)."""
    return frozenset(f"{int(d)} {m}" for days, m in _DATE.findall(fold(text)) for d in re.findall(r"\d+", days))


_DETERMINERS = frozenset("le la les l un une des du de d au aux mon ma mes son sa ses votre notre leur".split())
_TOKEN = re.compile(r"[a-z0-9]+")


def nouns(text: str) -> set[str]:
    """Folded words a determiner introduces, and the word right after each (« la mairie annexe », « le bac jaune »)."""
    found: set[str] = set()
    for noun, qualifier in _noun_pairs(text):
        found.add(noun)
        if qualifier:
            found.add(qualifier)
    return found


# People a story names (« mon fils », « ma compagne »): who asks, never what is asked about.
PEOPLE = frozenset(
    """fils fille filles enfant enfants bebe petit petite compagne compagnon copain copine mari femme epouse epoux
    conjoint pere mere parents grand proche proches famille ami amie voisin voisine""".split()
)


# Nouns of speech that name nothing asked about (« du coup », « un peu », « un message »).
_VAGUE = frozenset(
    """coup peu fois moment chose choses truc trucs question questions message info infos renseignement
    renseignements solution facon maniere cas habitude souci probleme chacun chacune""".split()
)
# Verb endings: after « la », « le » or « les » a verb is read as a noun (« ils la prennent », « la renouveler »).
_VERB = re.compile(r"(?:er|ez|ons|ent|ir)$")


def heads(text: str) -> set[str]:
    """The folded nouns a determiner introduces (« la loge », « une moto »), not the words that qualify them."""
    return {
        n
        for n, _ in _noun_pairs(text)
        if len(n) >= 3
        and not n.isdigit()
        and n not in NOT_SUBJECT
        and n not in PEOPLE
        and n not in _VAGUE
        and not _VERB.search(n)
    }


def qualifiers(text: str) -> set[tuple[str, str]]:
    """The nouns narrowed by the word after them (« mairie », « annexe »), never by a word of time, price or hours."""
    return {(n, q) for n, q in _noun_pairs(text) if q and len(q) >= 4 and q not in NOT_SUBJECT and not q.isdigit()}


def _noun_pairs(text: str) -> list[tuple[str, str]]:
    tokens = _TOKEN.findall(_SUMMER.sub(r"\1estival", fold(text).replace("’", "'")))
    out = []
    for i, token in enumerate(tokens):
        if (i == 0 or tokens[i - 1] in _DETERMINERS) and token not in STOP_WORDS and token not in _DETERMINERS:
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            out.append((token, after if after not in STOP_WORDS and after not in _DETERMINERS else ""))
    return out


def subjects_of(phrasings: Sequence[str]) -> frozenset[str]:
    """What an entry is about: the nouns that come back in its phrasings (« déchetterie » in each way of asking
    its hours), or those of its only phrasing; never a word of time, price or hours."""
    counts: dict[str, int] = {}
    for p in phrasings:
        for w in nouns(p):
            counts[w] = counts.get(w, 0) + 1
    least = 2 if len(phrasings) > 1 else 1
    return frozenset(
        w for w, n in counts.items() if n >= least and w not in NOT_SUBJECT and w not in PEOPLE and not w.isdigit()
    )


def same_name(a: str, b: str) -> bool:
    """Stricter than ``same_word``: a place or service named with a slip, never two close words."""
    return a == b or stem(a) == stem(b) or (min(len(a), len(b)) >= 6 and a[0] == b[0] and fuzz.ratio(a, b) >= 88)
