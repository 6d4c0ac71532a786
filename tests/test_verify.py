from __future__ import annotations

import re

import pytest

from server.core.answer.verify import DEFAULT_MIN_SUPPORT, citations, content_stems, split, support, verify

PASSAGES = [
    # [1] état civil
    "Le passeport d'un majeur coûte 86 € en timbre fiscal. Le dépôt de la demande se fait sur rendez-vous au "
    "service état civil de la mairie, du lundi au vendredi de 8 h 30 à 12 h.",
    # [2] cantine
    "Après trois retards dans l'année scolaire, une pénalité de 25 € par retard est facturée. Un repas réservé et "
    "non annulé est facturé, sauf absence pour maladie justifiée par un certificat médical transmis dans un délai "
    "de 15 jours.",
    # [3] urbanisme
    "Le service urbanisme est joignable au 01 99 00 40 00 ou par courriel à urbanisme@belval-sur-ornette.example. "
    "Les formulaires de permis de construire sont sur https://www.belval-sur-ornette.example/urbanisme.",
]


def one(sentence: str, passages: list[str] = PASSAGES) -> tuple[bool, tuple[str, ...]]:
    """Whether a one-sentence draft is kept, and the reasons when it is removed."""
    result = verify(sentence, passages, DEFAULT_MIN_SUPPORT)
    assert result.total == 1, result
    if result.kept:
        return True, ()
    return False, result.removed[0].reasons


def test_wrong_amount_is_removed_with_its_reason() -> None:
    assert one("Une pénalité de 10 euros par retard est facturée [2].") == (
        False,
        ("« 10 euros » ne figure pas dans l'extrait cité",),
    )


@pytest.mark.parametrize("amount", ["25 €", "25 euros", "25,00 €", "25 EUR"])
def test_right_amount_in_another_form_is_kept(amount: str) -> None:
    assert one(f"Une pénalité de {amount} par retard est facturée [2].") == (True, ())


@pytest.mark.parametrize(
    ("deadline", "kept"), [("15 jours", True), ("quinze jours", True), ("30 jours", False), ("15 mois", False)]
)
def test_deadline_must_match_with_its_unit(deadline: str, kept: bool) -> None:
    ok, reasons = one(f"Le certificat médical doit être transmis dans un délai de {deadline} [2].")
    assert ok is kept
    if not kept:
        assert reasons == (f"« {deadline} » ne figure pas dans l'extrait cité",)


@pytest.mark.parametrize("hours", ["de 8h30 à 12h", "de 8 h 30 à 12 h", "de 8:30 à 12:00", "de 8h30 à midi"])
def test_opening_hours_in_another_form_are_kept(hours: str) -> None:
    assert one(f"Le service état civil reçoit sur rendez-vous du lundi au vendredi {hours} [1].") == (True, ())


def test_wrong_hour_is_removed() -> None:
    ok, reasons = one("Le service état civil reçoit sur rendez-vous du lundi au vendredi de 9h à 12h [1].")
    assert not ok and reasons == ("« 9h » ne figure pas dans l'extrait cité",)


@pytest.mark.parametrize("phone", ["01 99 00 40 00", "0199004000", "01.99.00.40.00", "+33 1 99 00 40 00"])
def test_right_phone_number_in_any_format_is_kept(phone: str) -> None:
    assert one(f"Le service urbanisme est joignable au {phone} [3].") == (True, ())


def test_invented_phone_number_is_removed() -> None:
    ok, reasons = one("Le service urbanisme est joignable au 01 99 00 41 00 [3].")
    assert not ok and reasons == ("« 01 99 00 41 00 » ne figure pas dans l'extrait cité",)


@pytest.mark.parametrize(
    "contact",
    ["urbanisme@belval.fr", "mairie@belval-sur-ornette.example", "https://www.belval-sur-ornette.example/permis"],
)
def test_invented_email_or_url_is_removed(contact: str) -> None:
    ok, reasons = one(f"Le service urbanisme est joignable par courriel ou sur {contact} [3].")
    assert not ok and reasons == (f"« {contact} » ne figure pas dans l'extrait cité",)


def test_right_email_and_url_are_kept() -> None:
    draft = (
        "Écrivez au service urbanisme à Urbanisme@belval-sur-ornette.example [3]. Les formulaires de permis de "
        "construire sont sur www.belval-sur-ornette.example/urbanisme/ [3]."
    )
    result = verify(draft, PASSAGES, DEFAULT_MIN_SUPPORT)
    assert not result.removed and len(result.kept) == 2


def test_sentence_without_citation_is_removed() -> None:
    assert one("Le passeport d'un majeur coûte 86 € en timbre fiscal.") == (False, ("aucune citation",))


def test_citation_to_a_missing_passage_is_removed() -> None:
    assert one("Le passeport d'un majeur coûte 86 € en timbre fiscal [7].") == (
        False,
        ("cite un extrait inexistant [7]",),
    )
    assert one("Le passeport d'un majeur coûte 86 € [0].")[1] == ("cite un extrait inexistant [0]",)
    # One missing passage among existing ones is enough to remove the sentence.
    assert one("Le passeport d'un majeur coûte 86 € en timbre fiscal [1, 4].") == (
        False,
        ("cite un extrait inexistant [4]",),
    )


@pytest.mark.parametrize("markers", ["[1, 3]", "[1][3]", "[1] [3]", "[3,1]", "[1-3]"])
def test_fact_found_in_the_second_cited_passage_is_kept(markers: str) -> None:
    sentence = f"Le service urbanisme de la mairie est joignable au 01 99 00 40 00 {markers}."
    assert one(sentence) == (True, ())


def test_facts_are_checked_against_the_cited_passages_only() -> None:
    # The phone number is in passage 3, which this sentence does not cite.
    ok, reasons = one("Le service urbanisme de la mairie est joignable au 01 99 00 40 00 [1, 2].")
    assert not ok
    assert "« 01 99 00 40 00 » ne figure pas dans les extraits cités" in reasons


def test_fluent_sentence_without_support_is_removed() -> None:
    sentence = "Vous pouvez effectuer cette démarche en ligne depuis votre espace personnel sécurisé [1]."
    ok, reasons = one(sentence)
    assert not ok
    assert len(reasons) == 1
    m = re.fullmatch(r"contenu non étayé par l'extrait cité \(support (\d\.\d\d)\)", reasons[0])
    assert m and float(m.group(1)) < DEFAULT_MIN_SUPPORT
    # The threshold is the caller's: with none, the same sentence stays.
    assert verify(sentence, PASSAGES, 0.0).kept


def test_support_measures_content_words_only() -> None:
    source = content_stems(PASSAGES[0])
    # Facts, citation markers, stop words and phrasing words do not count.
    assert support("Il vous coûtera également 86 euros de timbre fiscal [1].", source) == 1.0
    assert support("Le timbre fiscal du passeport [1] coûte 90 €, payable en ligne.", source) == pytest.approx(4 / 6)
    assert support("Il est à 86 € [1].", source) == 1.0  # nothing but a fact: nothing more to support


def test_mixed_draft_keeps_the_supported_sentences() -> None:
    draft = (
        "Le passeport d'un majeur coûte 86 € en timbre fiscal [1]. Il faut prendre rendez-vous au service état "
        "civil [1]. Une pénalité de 10 € est facturée à chaque retard [2].\n"
        "Le service urbanisme est joignable au 01 99 00 40 00 [3]. Le délai de traitement est de deux semaines."
    )
    result = verify(draft, PASSAGES, DEFAULT_MIN_SUPPORT)
    assert [s.text for s in result.kept] == [
        "Le passeport d'un majeur coûte 86 € en timbre fiscal [1].",
        "Il faut prendre rendez-vous au service état civil [1].",
        "Le service urbanisme est joignable au 01 99 00 40 00 [3].",
    ]
    assert [(s.cited, s.reasons) for s in result.removed] == [
        ((2,), ("« 10 € » ne figure pas dans l'extrait cité",)),
        ((), ("aucune citation", "« deux semaines » ne figure dans aucun extrait")),
    ]
    assert [s.cited for s in result.kept] == [(1,), (1,), (3,)]
    assert result.text == (
        "Le passeport d'un majeur coûte 86 € en timbre fiscal [1]. Il faut prendre rendez-vous au service état "
        "civil [1].\nLe service urbanisme est joignable au 01 99 00 40 00 [3]."
    )
    assert result.kept_ratio == pytest.approx(3 / 5)
    assert 0.0 < result.support_min <= result.support_mean <= 1.0
    assert len(result.supports) == 4  # the sentence without citation has no support to measure


def test_markers_after_the_full_stop_or_on_their_own_line_belong_to_the_sentence_before() -> None:
    draft = "Le passeport d'un majeur coûte 86 €. [1] Le dépôt se fait sur rendez-vous.[1]\n[1]"
    assert split(draft) == [
        (0, "Le passeport d'un majeur coûte 86 € [1]."),
        (0, "Le dépôt se fait sur rendez-vous [1] [1]."),
    ]
    assert len(verify(draft, PASSAGES, DEFAULT_MIN_SUPPORT).kept) == 2


def test_citation_markers_are_not_read_as_facts() -> None:
    # "[2]" is not the number 2: passage 1 has no "2", and the sentence is kept.
    assert one("Le passeport d'un majeur coûte 86 € en timbre fiscal [1][2].", PASSAGES[:2]) == (True, ())


def test_citations_parse() -> None:
    assert citations("texte [1, 3][2] et [3]") == (1, 3, 2)
    assert citations("texte [2-4]") == (2, 3, 4)
    assert citations("texte [1;2]") == (1, 2)
    assert citations("texte sans citation") == ()


def test_empty_draft() -> None:
    result = verify("", PASSAGES, DEFAULT_MIN_SUPPORT)
    assert result.total == 0 and result.kept_ratio == 0.0 and result.text == ""


def test_the_prompt_sent_to_a_model_has_personal_data_masked() -> None:
    """Only the question's wording reaches an external model: e-mail, phone, NIR and IBAN are masked."""
    from server.core.answer.llm_draft import LLMDrafter, Passage
    from server.core.answer.prompts import Prompts
    from server.core.config import REPO_ROOT

    drafter = LLMDrafter(Prompts(REPO_ROOT / "prompts"), "Belval-sur-Ornette", "test", DEFAULT_MIN_SUPPORT)
    passage = Passage(1, "carte", "Carte d'identité", "", "2026-01-01", (), "Le renouvellement coûte 25 €.")
    question = (
        "Je suis Marie, marie.durand@exemple.fr, 06 12 34 56 78, NIR 2 84 05 75 123 456 72, "
        "IBAN FR76 3000 6000 0112 3456 7890 189 : combien coûte ma carte ?"
    )
    system, user = drafter.prompt(question, ["Mon adresse est marie.durand@exemple.fr"], [passage])
    for secret in ("marie.durand@exemple.fr", "06 12 34 56 78", "2 84 05 75 123 456 72", "FR76 3000"):
        assert secret not in user and secret not in system
    assert "combien coûte ma carte" in user and "[1] Carte d'identité" in user
    assert "Le renouvellement coûte 25 €." in user


def test_a_repeated_sentence_of_a_model_is_judged_once() -> None:
    from server.core.answer.llm_draft import LLMDrafter, Passage
    from server.core.answer.prompts import Prompts
    from server.core.config import REPO_ROOT

    drafter = LLMDrafter(Prompts(REPO_ROOT / "prompts"), "Belval-sur-Ornette", "test", DEFAULT_MIN_SUPPORT)
    passage = Passage(1, "carte", "Carte d'identité", "", "2026-01-01", (), "Le renouvellement coûte 25 €.")
    pieces = [
        "Le renouvellement coûte 25 € [1]. ",
        "Il coûte 10 € [1]. Il coûte ",
        "10 € [1]. Le renouvellement coûte 25 € [1].",
    ]
    heard: list[str] = []
    raw, verification = drafter.verify_stream(pieces, [passage], lambda v: heard.append(v.text))
    assert [s.text for s in verification.kept] == ["Le renouvellement coûte 25 € [1]."]
    assert [s.text for s in verification.removed] == ["Il coûte 10 € [1]."]
    assert heard == ["Le renouvellement coûte 25 € [1].", "Il coûte 10 € [1]."]
    report = drafter.report(raw, verification, 0.5)
    assert report.status == "utilise" and report.notice and report.notice.startswith("1 phrase(s)")
