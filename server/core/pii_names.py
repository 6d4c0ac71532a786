"""Persons' names in a French message to the town hall, found by what announces them.

A name cannot be told from any other capitalised word by its letters (« Blanc », « Martin », « Claire » are also
words; « Belval », « Jules Ferry », « Leroy Merlin » are no persons), so a name is only taken where a message
announces one:

- a title: « Mme Perrin », « M. et Mme Leroy », « le Dr Nguyen », « madame martinez » (« Monsieur le Maire »,
  « Madame la Directrice » name a function, not a person);
- introducing oneself: « je m'appelle jean dupont », « moi c'est Kevin », « je suis Yuki Tanaka », « ici Gérard
  Lemoine », « c'est mathis », « je soussignée Aïcha Benmoussa »;
- a relative or a person one speaks of: « mon fils Tom », « ma mère, Huguette Blanc », « ma fille léa », « maman de
  Moussa », « la fille de feu Marcel Thibault », « votre agent, Nicolas »;
- a signature: « Cordialement, Élodie Fournier », « Merci, Claire », « Bien à vous, R. Lefèvre »;
- a form: « Nom : MOREAU, prénom : Sylvie », « DUPONT Jean, 14 rue des Roses », « Voici mes coordonnées : Paul
  Girard »;
- a birth: « Léo, né le 2 janvier 2018 ».

After such a cue the name is its capitalised words, with their particles (« de La Fontaine », « Van der Berg », « Dos
Santos ») and an initial (« R. Lefèvre »), and « et » another (« Lina et Adam Haddad »). A word in lower case is
taken where the cue leaves no doubt (after « je m'appelle ») or when it is no French word (« ma fille léa », but not
« ma fille aînée »). Every other occurrence of a name found is a name too (« mon fils Enzo … Enzo a 7 ans »).
Missed: a name with no cue (« je me marie avec Lucas »). Pure functions; the French words are ``lexicon``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from server.core.lexicon import french_words
from server.core.text import STOP_WORDS, fold

# A word, with its inner apostrophes and hyphens (« N'Diaye », « Marie-Claire », « Wiśniewska »).
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*[^\W\d_])?")
_TITLE = (
    r"(?:M\.|MM\.|Mme|Mmes|Mlle|Mlles|Me|Dr|Pr|Mr|Mrs\.?|Ms\.?|Miss|Madame|Monsieur|Mademoiselle|Docteur|Maître|Famille|"
    r"madame|monsieur|famille|m\.|mr|mme|mlle)"
)
TITLES = rf"{_TITLE}(?:\s+et\s+{_TITLE})?"  # « Mme », « M. et Mme »
_KIN = (
    r"(?:ex-|beau-|belle-|grand-|arrière-grand-|petit-|petite-)?"
    r"(?:fils|filles?|enfants?|mari|femme|épouse|époux|compagnon|compagne|conjointe?|mère|père|maman|papa|frère|"
    r"sœur|soeur|tante|oncle|neveu|nièce|cousine?|voisine?|amie?|copain|copine|potes?|collègue|camarade|fiancée?|"
    r"bébé|jumeaux|jumelles|jumelle|jumeau|petit-fils|petite-fille|beau-frère|belle-sœur|belle-fille|gendre|filleule?|parrain|marraine|mamie|papi|"
    r"papy|agente?|locataire|propriétaire|tutrice|tuteur|patiente?)(?!\w)"
)
# What announces a name, and how sure it is: "sure" takes words in lower case too (what follows « je m'appelle » is a
# name), "kin" and "introduced" take a lower-case word that is no French word, "capital" and "introduced-capital" only
# capitalised words.
_CUES: tuple[tuple[re.Pattern[str], str, bool], ...] = (  # the cue, how sure it is, whether it names the sender
    (re.compile(rf"(?<![\w.]){TITLES}(?=\s)"), "kin", False),
    (
        re.compile(
            r"(?i:\b(?:je\s+m|[ts])['’]\s*appelle|\bje\s+me\s+nomme|\bse\s+(?:pré)?nomme|\bmon\s+nom\s+(?:est|c['’]est)|"
            r"\bmoi\s+c['’]est|\bje\s+me\s+présente\s*:)"
        ),
        "sure",
        True,
    ),
    (re.compile(r"(?i:\bje\s+soussign[ée]e?|\bmes\s+coordonn[ée]es\s*:)"), "capital", True),
    (re.compile(r"(?i:\bde\s+feu|\btitulaire(?:\s+du\s+compte)?\s*:|\bau\s+nom\s+de)"), "capital", False),
    # « je suis » is followed by an adjective as often as by a name (« je suis portugaise »): capitals only.
    (re.compile(r"(?i:\b(?:je\s+suis|j['’]?suis|chui))(?=\s+[^\W\d_])"), "introduced-capital", True),
    (re.compile(r"(?i:\b(?:ici|c['’]est)|\bc)(?=\s+[^\W\d_])"), "introduced", True),
    (
        re.compile(rf"(?i:\b(?:(?:mon|ma|mes|notre|nos|son|sa|ses|votre|vos|leur|leurs)\s+|l['’]\s*){_KIN})\s*,?"),
        "kin",
        False,
    ),
    (re.compile(r"(?i:\bchez\s+les)(?=\s)"), "kin", False),
    (
        re.compile(
            r"(?i:\b(?:maman|papa|mère|père|fils|fille|enfant|tutrice|tuteur|parents?|veuve?|épouse|époux)\s+"
            r"d[e'’]\s*)(?=[A-ZÀ-Þ])"
        ),
        "capital",
        False,
    ),
    (
        re.compile(
            r"(?i:\b(?:bien\s+)?cordialement|\bbien\s+à\s+vous|\bsalutations(?:\s+distinguées)?|\brespectueusement|"
            r"\bmerci(?:\s+d['’]avance|\s+beaucoup)?|\bbonne\s+(?:journée|soirée)|\bavec\s+mes\s+respects)\s*[,.]"
        ),
        "signature",
        True,
    ),
    (re.compile(r"(?i:\b(?:nom(?:\s+de\s+famille|\s+d['’]usage)?|prénom|prenom)\s*:)"), "form", True),
)
# A name in capitals then a first name opening a message or a line: « DUPONT Jean, 14 rue des Roses ».
_CAPITALS_FIRST = re.compile(
    r"(?m)^\s*([A-ZÀ-Þ]{2,}(?:[ \-][A-ZÀ-Þ]{2,})*\s+[A-ZÀ-Þ][a-zß-ÿ]+(?:-[A-ZÀ-Þ][a-zß-ÿ]+)?)\s*,"
)
# A first name before a birth: « Léo, né le 2 janvier 2018 ».
_BORN = re.compile(r"([A-ZÀ-Þ][\w'’\-]+(?:\s+[A-ZÀ-Þ][\w'’\-]+)*)\s*,?\s+née?s?\s+(?:le|à|en)\b")
# The words inside a name: « de La Fontaine », « Van der Berg », « Dos Santos », « El Amrani ».
_PARTICLES = frozenset({"de", "du", "des", "d'", "d’", "van", "von", "der", "den", "ter", "dos", "da", "das", "del"})
# Capitalised words that follow a title or a cue but name a function, a greeting or a sentence's start.
_NOT_NAMES = frozenset(
    fold(w)
    for w in (
        "Maire Adjoint Adjointe Préfet Préfète Président Présidente Directeur Directrice Secrétaire Conseiller "
        "Conseillère Curé Juge Ministre Député Députée Sénateur Sénatrice Professeur Professeure Docteur Maître "
        "Madame Monsieur Mademoiselle Mesdames Messieurs Bonjour Bonsoir Merci Cordialement Je Nous Il Elle Ils "
        "Elles On Vous Mon Ma Mes Le La Les Un Une Ce Cette Et Est Pour Par Avec Sans Dans Sur Mairie Commune Ville "
        "Service Accueil Equipe Équipe Objet Pas Plus Bien Très Oui Non Voici Cela Ça Bonne Belle Salut Bises "
        "Amicalement Année Journée Soirée Semaine Merci Cdt Cdlt PS Signé Salutations Respectueusement Sincèrement "
        "Amitiés Tel Tél Téléphone Portable Mobile Mail Courriel Email Adresse Contact Fax"
    ).split()
)
# Text-message words that no French word list holds: « c koi les horaires », « slt c kevin ».
_SHORTHAND = frozenset(
    "koi kwa pk pq pcq psk stp svp slt bjr bsr cc mdr ptdr tkt jsp jpp dsl msg tel tél rdv qd qqn qqch ds ns vs"
    " bcp tt tte ts mm jsuis chui cb cmb cmt koman kan quoi jcp jsp pr pk mtn auj dmn".split()
)
_MAX_WORDS = 5
# The cues that introduce the writer (« je suis », « ici », « c'est »): what follows must not be a French word
# alone (``_introduced_ok``); after « je suis », which an adjective follows as often as a name, capitals only.
_INTRODUCED = frozenset({"introduced", "introduced-capital"})
_TAKES = {"introduced-capital": "capital"}
# What may follow a signature's name: the end, a comma (then a phone, a role…), a new line, a parenthesis, a number.
_SIGNED = re.compile(r"\s*(?:$|[,\n(]|\s\d)")
# Where the words after the last sentence of a message begin (« … du CCAS. Alain Vidal »).
_LAST_SENTENCE = re.compile(r"[.!?…\n]\s*(?=[^.!?…\n]*$)")
_TITLE_AHEAD = re.compile(rf"\s*{TITLES}\s+")
_AND = re.compile(r"\s+et\s+(?=\S)")
_INITIAL = re.compile(r"[A-ZÀ-Þ]\.(?=[ \t]+[A-ZÀ-Þ])")  # « R. Lefèvre »


def _is_capital(word: str) -> bool:
    """A capitalised word that may be part of a name (« N'Diaye » but not « L'accueil »)."""
    if not word[0].isupper() or fold(word) in _NOT_NAMES:
        return False
    quote = max(word.find("'"), word.find("’"))
    return quote < 0 or (quote + 1 < len(word) and word[quote + 1].isupper())


def _is_particle(word: str) -> bool:
    """A word inside a name (« de La Fontaine », « Van der Berg »): « Le », « La » only capitalised."""
    return fold(word) in _PARTICLES or word in ("Le", "La")


def _particles_then_capital(text: str, pos: int) -> bool:
    """True when the words from ``pos`` are particles then a capitalised word (the rest of a name)."""
    while (m := _WORD.match(text, _skip(text, pos))) is not None:
        if not _is_particle(m.group()):
            return m.group()[0].isupper() and len(m.group()) > 1
        pos = m.end()
    return False


def _skip(text: str, pos: int) -> int:
    """The position after the spaces and tabs at ``pos``."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _is_unknown(word: str) -> bool:
    """A lower-case word that is neither a function word nor a French word: « léa », « mathis », « martinez »."""
    folded = fold(word)
    return folded not in STOP_WORDS and folded not in french_words() and len(folded) > 2


def _name_after(text: str, pos: int, sure: str) -> Iterator[tuple[int, int]]:
    """The names that start at ``pos`` (spaces skipped), with ``sure`` the cue's kind; « et » joins another."""
    while pos < len(text) and text[pos].isspace():  # a signature's name may stand on the next line
        pos += 1
    while True:
        span = _one_name(text, pos, sure)
        if span is None:
            return
        yield span
        joined = _AND.match(text, span[1])
        if joined is None:
            return
        pos, sure = joined.end(), "kin" if sure in ("sure", "introduced") else sure  # « … et habite » is no name


def _one_name(text: str, pos: int, sure: str) -> tuple[int, int] | None:
    """One name starting at ``pos``: its capitalised words, particles and initials (or lower-case words when the cue
    allows), as offsets; None when no name starts there."""
    title = _TITLE_AHEAD.match(text, pos)
    if title is not None:  # « ma grand-mère, Mme Odette Chevalier »
        pos, sure = title.end(), sure if sure == "sure" else "kin"
    start = end = -1
    words = 0
    while words < _MAX_WORDS:
        here = _skip(text, pos)
        initial = _INITIAL.match(text, here)
        m = _WORD.match(text, here)
        if initial is not None and start < 0:
            start, pos = initial.start(), initial.end()
        elif m is not None and _is_particle(m.group()) and _particles_then_capital(text, m.end()):
            start, pos = m.start() if start < 0 else start, m.end()
        elif m is not None and _takes(m.group(), sure, words):
            start, end, pos = m.start() if start < 0 else start, m.end(), m.end()
            words += 1
        else:
            break
    return (start, end) if words else None


def _takes(word: str, sure: str, taken: int) -> bool:
    """Whether ``word`` is (the next) part of a name after a cue of kind ``sure``, ``taken`` words already taken: a
    capitalised word or one in capitals; in lower case, after « je m'appelle » any word but a function word (a French
    word only first: « jean dupont et habite »), after other cues a word that is no French word."""
    if len(word) < 2:  # a letter alone is an initial (``_INITIAL``) or a building's (« bât. C »)
        return False
    if _is_capital(word) or (word.isupper() and fold(word) not in _NOT_NAMES):
        return True
    if sure not in ("sure", "kin", "introduced") or not word.islower() or "'" in word or "’" in word:
        return False
    if fold(word) in STOP_WORDS or fold(word) in _SHORTHAND:
        return False
    if "-" in word and any(fold(part) in STOP_WORDS or fold(part) in french_words() for part in word.split("-")):
        return False  # « passera-t-il »
    if sure == "sure":
        return taken == 0 or fold(word) not in french_words()
    return _is_unknown(word)


def _introduced_ok(text: str, span: tuple[int, int]) -> bool:
    """After « je suis », « ici », « c'est »: a name, not « je suis Français » nor « c'est possible »."""
    value = text[span[0] : span[1]].split()
    if len(value) > 1:
        return all(w[0].isupper() for w in value if fold(w) not in _PARTICLES)
    return fold(value[0]) not in french_words()


def find_names(text: str) -> list[tuple[int, int]]:
    """The offsets of the persons' names in ``text``, each occurrence, in reading order, without overlaps."""
    return _spread(text, [span for span, _ in _announced(text)])


def sender_names(text: str) -> list[tuple[int, int]]:
    """The offsets of the names of the person who writes (introducing themselves, signing, filling in a form), each
    occurrence: not the people they write about (« mon voisin M. Leroy »)."""
    return _spread(text, [span for span, sender in _announced(text) if sender])


def _announced(text: str) -> list[tuple[tuple[int, int], bool]]:
    """Each name a cue announces, and whether it is the sender's."""
    found: list[tuple[tuple[int, int], bool]] = []
    for cue, sure, sender in _CUES:
        for m in cue.finditer(text):
            chain = list(_name_after(text, m.end(), _TAKES.get(sure, sure)))
            if sure == "signature" and chain and not _SIGNED.match(text, chain[-1][1]):
                continue  # « Merci, Belval est … » signs nothing
            found += [(span, sender) for span in chain if sure not in _INTRODUCED or _introduced_ok(text, span)]
    found += [(span, True) for span in _signed_at_the_end(text)]
    found += [(m.span(1), True) for m in _CAPITALS_FIRST.finditer(text)]
    found += [(m.span(1), False) for m in _BORN.finditer(text) if _born_ok(m.group(1))]
    return found


def _spread(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with every other occurrence of the names they cover, in reading order, without overlaps."""
    for name in {text[a:b] for a, b in spans}:
        spans += [m.span() for m in re.finditer(rf"(?<![\w'’]){re.escape(name)}(?![\w'’])", text)]
    chosen: list[tuple[int, int]] = []
    for a, b in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if not chosen or a >= chosen[-1][1]:
            chosen.append((a, b))
    return chosen


def _signed_at_the_end(text: str) -> list[tuple[int, int]]:
    """A name closing the message after its last sentence, without a closing formula: « … du CCAS. Alain Vidal »,
    « … Ousmane Sarr, 06 33 71 80 24 », « … Lucie, votre voisine du 8 rue des Lilas »."""
    last = _LAST_SENTENCE.search(text)
    if last is None:
        return []
    chain = list(_name_after(text, last.end(), "capital"))
    return chain if chain and _SIGNED.match(text, chain[-1][1]) else []


def _born_ok(value: str) -> bool:
    """A first name before « né le », not a word that happens to be capitalised (« Elle, née le … »)."""
    if _TITLE_AHEAD.match(value):  # « Mme Cohen, née le … »: the title's cue finds the name
        return False
    words = value.split()
    return len(words) > 1 or (fold(words[0]) not in _NOT_NAMES and fold(words[0]) not in french_words())
