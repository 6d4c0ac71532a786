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
