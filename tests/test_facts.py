from __future__ import annotations

import pytest

from server.core.answer.facts import Evidence, Fact, extract, mask, number, numbers


def values(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in extract(text)}


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (["25 €", "25 euros", "25,00 €", "25 EUR", "25€"], ("amount", "25")),
        (["20 euros", "vingt euros"], ("amount", "20")),
        (["1 500 €", "1500 euros", "1\u00a0500 €", "1\u202f500 euros", "1.500 €"], ("amount", "1500")),
        (["12,50 €", "12,5 euros"], ("amount", "12.5")),
        (["8h30", "8 h 30", "8:30", "08h30", "8 heures 30"], ("time", "8:30")),
        (["12 h", "12h", "12:00", "midi", "12 heures"], ("time", "12:00")),
        (["15 jours", "15 jours ouvrés", "quinze jours"], ("duration", "15 jour")),
        (["2 mois", "deux mois"], ("duration", "2 mois")),
        (["1 an", "un an", "1 année"], ("duration", "1 an")),
        (["12 mars 2024", "12/03/2024", "12.03.2024", "12-03-24", "12 Mars 2024"], ("date", "2024-03-12")),
        (["1er août 2025", "01/08/2025", "1 aout 2025"], ("date", "2025-08-01")),
        (
            [
                "01 23 45 67 89",
                "0123456789",
                "01.23.45.67.89",
                "01-23-45-67-89",
                "+33 1 23 45 67 89",
                "+33 (0)1 23 45 67 89",
            ],
            ("phone", "0123456789"),
        ),
        (["Etat-Civil@Belval.fr", "etat-civil@belval.fr"], ("email", "etat-civil@belval.fr")),
        (
            [
                "https://www.belval.fr/cantine/",
                "http://belval.fr/cantine",
                "www.belval.fr/cantine",
                "belval.fr/cantine",
            ],
            ("url", "belval.fr/cantine"),
        ),
        (["10 %", "10 pour cent", "10%"], ("percent", "10")),
    ],
)
def test_forms_of_one_fact_normalise_alike(forms: list[str], expected: tuple[str, str]) -> None:
    for form in forms:
        assert values(f"Il est indiqué {form} dans la fiche.") == {expected}, form


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("15 jours", "15 mois"),
        ("15 jours", "15 semaines"),
        ("15 heures", "15 minutes"),
        ("10 €", "10 %"),
        ("10 €", "10 jours"),
        ("8h30", "8h40"),
        ("12/03/2024", "03/12/2024"),
        ("01 23 45 67 89", "01 23 45 67 98"),
        ("25 €", "250 €"),
        ("1 500 €", "1,5 €"),
    ],
)
def test_different_facts_stay_different(a: str, b: str) -> None:
    assert values(a) and values(b)
    assert values(a) != values(b)


def test_surface_is_kept_for_messages_but_not_compared() -> None:
    [fact] = extract("Une pénalité de 10 euros est facturée.")
    assert fact == Fact("amount", "10", "10 €")
    assert fact.surface == "10 euros"


def test_facts_in_reading_order_each_once() -> None:
    text = "Ouvert de 8 h 30 à 12 h, puis de 13 h 30 à 17 h ; le matin dès 8h30. Tél. 01 99 00 10 20, 3 guichets."
    assert [f.value for f in extract(text)] == ["8:30", "12:00", "13:30", "17:00", "0199001020", "3"]


def test_no_fact_read_inside_words_or_compounds() -> None:
    assert values("Ouvert l'après-midi pour 2 habitants") == {("number", "2")}
    # "dix-huit mois" must not be read as "huit mois", nor "trente et un jours" as "un jours".
    assert values("un délai de dix-huit mois") == set()
    assert values("pendant trente et un jours") == set()


def test_a_phone_number_is_not_read_as_numbers_nor_an_email_as_a_url() -> None:
    assert values("Appelez le 01 99 00 40 00.") == {("phone", "0199004000")}
    assert values("Écrivez à urbanisme@belval-sur-ornette.example.") == {
        ("email", "urbanisme@belval-sur-ornette.example")
    }


def test_url_surface_leaves_trailing_punctuation() -> None:
    [fact] = extract("Voir le portail (https://www.belval.fr/portail-famille).")
    assert fact.surface == "https://www.belval.fr/portail-famille"


def test_invalid_numeric_date_is_not_a_date() -> None:
    assert ("date", "2024-14-31") not in values("31/14/2024")
    assert all(kind != "date" for kind, _ in values("31/14/2024"))


def test_number_normalisation() -> None:
    assert number("1 500") == number("1500") == number("1.500") == "1500"
    assert number("25,00") == "25"
    assert number("08") == "8"
    assert number("deux") == "2"


def test_numbers_found_anywhere_digits_or_words() -> None:
    assert numbers("deux pièces ; 25 € ; le 12 mars 2024") >= {"2", "25", "12", "2024"}


def test_mask_blanks_facts_and_keeps_the_rest() -> None:
    text = "La pénalité est de 25 € à partir de 18 h 45."
    masked = mask(text)
    assert len(masked) == len(text)
    assert "25" not in masked and "18" not in masked and "€" not in masked
    assert masked.split() == ["La", "pénalité", "est", "de", "à", "partir", "de", "."]


def test_evidence_supports_the_same_fact_in_another_form() -> None:
    ev = Evidence.of(["Une pénalité de 25 € par retard, ouvert de 8 h 30 à 12 h, délai de 15 jours."])
    for sentence, ok in [
        ("25 euros", True),
        ("25,00 €", True),
        ("10 euros", False),
        ("8h30", True),
        ("9h30", False),
        ("15 jours", True),
        ("30 jours", False),
        ("15 mois", False),
    ]:
        [fact] = extract(sentence)
        assert ev.supports(fact) is ok, sentence


def test_evidence_relaxations() -> None:
    ev = Evidence.of(
        [
            "Fermé le 14 juillet 2025.",
            "Pièces : deux photos, 86 €.",
            "Portail : https://www.belval.fr/famille/inscription",
        ]
    )
    # A bare number may come from an amount, a date or a number word.
    assert all(ev.supports(Fact("number", n)) for n in ("86", "2025", "2", "14"))
    assert not ev.supports(Fact("number", "3"))
    # A date without a year matches a dated one on the same day, not the other way round.
    assert ev.supports(extract("le 14 juillet")[0])
    assert not ev.supports(extract("le 15 juillet")[0])
    assert not Evidence.of(["le 14 juillet"]).supports(extract("le 14 juillet 2025")[0])
    # A URL may be less specific than the source's, never more or elsewhere.
    assert ev.supports(extract("www.belval.fr/famille")[0])
    assert ev.supports(extract("belval.fr")[0])
    assert not ev.supports(extract("https://www.belval.fr/famille/inscription/en-ligne")[0])
    assert not ev.supports(extract("https://www.belval.fr/fam")[0])


def test_evidence_union() -> None:
    a, b = Evidence.of(["25 €"]), Evidence.of(["01 99 00 40 00"])
    both = a | b
    assert both.supports(extract("25 euros")[0]) and both.supports(extract("0199004000")[0])
    assert not a.supports(extract("0199004000")[0])
