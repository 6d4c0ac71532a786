import unicodedata

from server.core.text import fold, sentences, tokens


def test_fold_strips_accents_and_case() -> None:
    assert fold("Été À l'ŒUVRE") == "ete a l'oeuvre"


def test_tokens_drop_elisions_stop_words_and_stem() -> None:
    assert tokens("L'acte de naissance d'un enfant") == tokens("acte naissances enfants")
    assert "l" not in tokens("l'acte") and "acte" in tokens("l'acte")


def test_tokens_match_with_or_without_accents() -> None:
    assert tokens("déchetterie télévisée") == tokens("dechetterie televisee")


def test_sentences_keep_wording_and_abbreviations() -> None:
    text = "Le passeport coûte 86 €. M. Dupont reçoit le lundi.\n- Justificatif de domicile"
    assert sentences(text) == ["Le passeport coûte 86 €.", "M. Dupont reçoit le lundi.", "- Justificatif de domicile"]


def test_fold_drops_exactly_the_combining_marks_of_the_decomposed_text() -> None:
    def reference(text: str) -> str:
        text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    # every character of the kept table, then a sample of the others (CJK, emoji…), twice: computed, then kept
    codes = [*range(0x3000), *range(0x3000, 0x110000, 97)]
    text = "".join(chr(c) for c in codes if not 0xD800 <= c < 0xE000)
    for _ in range(2):
        assert fold(text) == reference(text)
        assert [fold(c) for c in text[:0x3000]] == [reference(c) for c in text[:0x3000]]
    assert fold("Élections ŒUVRE d’État") == "elections oeuvre d'etat"
