"""Personal-data detection and masking (server.core.pii) and its scorer (eval.pii_eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.pii_eval import DATASET, Case, Expected, load, main, score
from server.core.errors import InputError
from server.core.pii import PLACEHOLDERS, find, iban_ok, luhn_ok, mask, nir_key_ok

# Fictional, check-digit-valid numbers (keys computed, not guessed).
NIR = "1 85 05 78 006 084 91"
NIR_CORSICA = "1 78 03 2A 004 012 90"
NIR_2B = "201072B03311521"
IBAN_FR = "FR76 3000 6000 0112 3456 7890 189"
CARD = "4970 1012 3456 7893"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.value) for s in find(text)]


@pytest.mark.parametrize(
    "phone",
    [
        "0639981245",
        "06 39 98 12 34",
        "06.39.98.12.34",
        "06-39-98-12-34",
        "06/39/98/12/34",
        "+33 6 39 98 12 34",
        "+33 (0)6 39 98 12 34",
        "+33 06 39 98 12 34",
        "(+33) 6 39 98 12 34",
        "+33639981234",
        "0033 6 39 98 12 34",
        "01 99 00 34 56",
        "02 61 91 23 45",
        "03 53 01 67 89",
        "04 65 71 90 12",
        "05 36 49 28 17",
        "09 72 34 56 12",
        "07 81 23 45 67",
        "08 92 68 01 23",
        "0 800 123 456",
        "+32 2 123 45 67",
        "+41 22 345 67 89",
        "06\u00a039\u00a098\u00a012\u00a034",
    ],
)
def test_phone_formats(phone: str) -> None:
    assert kinds(f"Rappelez-moi au {phone}, merci.") == [("telephone", phone)]


@pytest.mark.parametrize(
    "email",
    ["marie.dupont@exemple.fr", "jean-luc.moreau73@example.com", "famille.nguyen+cantine@example.fr",
     "k.benali@mail.example.net", "LUCIE.MARCHAND@EXEMPLE.FR", "sophie_lambert@exemple.org"],
)  # fmt: skip
def test_email(email: str) -> None:
    assert kinds(f"Écrivez-moi à {email}.") == [("courriel", email)]


@pytest.mark.parametrize(
    "nir",
    [NIR, NIR.replace(" ", ""), NIR.replace(" ", "."), "1850578006084 91", NIR_CORSICA, NIR_2B,
     "2 86 12 2a 247 006 74"],
)  # fmt: skip
def test_nir_any_grouping_and_corsica(nir: str) -> None:
    assert kinds(f"Mon numéro de sécu : {nir}.") == [("nir", nir)]


@pytest.mark.parametrize(
    "iban",
    [IBAN_FR, IBAN_FR.replace(" ", ""), IBAN_FR.replace(" ", "-"), IBAN_FR.lower(), "DE89 3704 0044 0532 0130 00",
     "BE68 5390 0754 7034", "GB29 NWBK 6016 1331 9268 19", "IT60 X054 2811 1010 0000 0123 456",
     "CH93 0076 2011 6238 5295 7", "MA64 0115 1900 0001 2050 0053 4921"],
)  # fmt: skip
def test_iban(iban: str) -> None:
    assert kinds(f"Voici mon IBAN {iban} pour le remboursement.") == [("iban", iban)]


@pytest.mark.parametrize(
    "card",
    [CARD, CARD.replace(" ", ""), CARD.replace(" ", "-"), "5354 1234 5678 9016", "3714 496353 98431",
     "3782 822463 10005", "4556 7300 1234 5676"],
)  # fmt: skip
def test_card(card: str) -> None:
    assert kinds(f"Ma carte {card} a été débitée deux fois.") == [("carte_bancaire", card)]


def test_card_next_to_an_expiry_date_or_other_number() -> None:
    assert kinds(f"carte {CARD} 12/27") == [("carte_bancaire", CARD)]
    assert kinds(f"réf 12 {CARD}") == [("carte_bancaire", CARD)]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Je suis né le 12/03/1985 à Lyon.", "12/03/1985"),
        ("Ma fille est née le 1er juillet 2015.", "1er juillet 2015"),
        ("née à Saint-Malo le 3 mars 1990", "3 mars 1990"),
        ("Demandeur né(e) le 22/09/1978", "22/09/1978"),
        ("Date de naissance : 05.11.1962", "05.11.1962"),
        ("Date de naissance de l'enfant : 03/05/2020", "03/05/2020"),
        ("DDN 1990-07-21", "1990-07-21"),
        ("DDN: 21 06 1984", "21 06 1984"),
        ("je suis ne le 17/04/1999", "17/04/1999"),
        ("Les jumeaux sont nés le 30 octobre 2020.", "30 octobre 2020"),
    ],
)
def test_birth_date_after_a_cue(text: str, date: str) -> None:
    assert kinds(text) == [("date_naissance", date)]
    assert mask(text) == text.replace(date, "[date de naissance]")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("J'habite au 12 rue des Lilas et ma poubelle déborde.", "12 rue des Lilas"),
        ("Adresse : 5 bis avenue du Général de Gaulle, 69003 Lyon", "5 bis avenue du Général de Gaulle, 69003 Lyon"),
        ("Nouvelle adresse : 27 boulevard Victor Hugo 75015 Paris, merci.", "27 boulevard Victor Hugo 75015 Paris"),
        ("devant le 45 av. Jean Jaurès.", "45 av. Jean Jaurès"),
        ("j'habite 14 bd Gambetta depuis 2019", "14 bd Gambetta"),
        ("Domicile : 9 place de l'Église", "9 place de l'Église"),
        ("J'habite 21 rue du 8 Mai 1945 et les travaux ?", "21 rue du 8 Mai 1945"),
        ("Envoyez au 30, cours Mirabeau, 13100 Aix-en-Provence.", "30, cours Mirabeau, 13100 Aix-en-Provence"),
        ("le bruit vient du 8 rue des écoles tous les soirs", "8 rue des écoles"),
        ("devant le 33 RUE DE LA REPUBLIQUE.", "33 RUE DE LA REPUBLIQUE"),
        ("Je suis au 5 rue Victor Hugo à Lyon", "5 rue Victor Hugo"),
        ("12 rue des Lilas Je voudrais savoir", "12 rue des Lilas"),
    ],
)
def test_address(text: str, address: str) -> None:
    assert kinds(text) == [("adresse", address)]


@pytest.mark.parametrize(
    "text",
    [
        "appelez le 3939 (Allô Service Public)",
        "En cas d'urgence, faites le 17, le 15 ou le 112.",
        "J'habite à 75001 Paris.",
        "Le timbre fiscal coûte 25 €, la taxe 1 500 euros.",
        "Horaires : 8h30-12h et 14h-17h30, ou 08:30-12:00.",
        "Le rendez-vous est fixé le 12/03/2024 à 10h15.",
        "le 06/12/2024 10h",
        "L'article L. 2122-22 du CGCT et l'article R. 421-17.",
        "Mon dossier D-2026-000012 et la demande n° 2026-000458.",
        "Le SIRET de la mairie est 217 500 016 00013 (SIREN 123 456 789).",
        "Permis PC 049 123 25 00012, cerfa n° 13406*15.",
        "La dette dépasse 3 300 000 000 000 €.",
        "Je voudrais 3 cours de yoga et 2 place de parking.",
        "1 lotissement de 20 maisons sur la route de 5 km",
        "La rue de la Mairie est fermée le 3 rue de",
        "Le bébé est né hier, les enfants nés après 2015.",
        "Le 08 mai est férié ; guichet 06 ouvert de 08.30 à 12.00.",
    ],
)
def test_tricky_negatives(text: str) -> None:
    assert find(text) == []
    assert mask(text) == text


def test_wrong_check_keys_are_not_classified() -> None:
    assert kinds(f"NIR {NIR[:-2]}92") == []
    assert nir_key_ok(NIR.replace(" ", "")) and not nir_key_ok(NIR.replace(" ", "")[:-1] + "2")
    assert kinds(f"IBAN {IBAN_FR[:-1]}8") == []
    assert not iban_ok("FR7630006000011234567890188")
    assert not iban_ok("FR763000600001123456789018")  # one character short of France's 27
    assert iban_ok("GB82WEST12345698765432")
    assert kinds(f"carte {CARD[:-1]}4") == []
    assert luhn_ok(CARD.replace(" ", "")) and not luhn_ok("4970101234567894")


def test_a_nir_with_a_wrong_key_is_never_a_nir() -> None:
    # NIR-shaped, wrong key, and Luhn-valid: it may come out as a card number, never as a NIR.
    wrong = "2 84 07 35 238 150 78"
    assert not nir_key_ok(wrong.replace(" ", "")) and luhn_ok(wrong.replace(" ", ""))
    assert kinds(wrong) == [("carte_bancaire", wrong)]
    assert not nir_key_ok("184073523815078") and kinds("1 84 07 35 238 150 78") == []  # not card-shaped


def test_mask_keeps_the_surrounding_text() -> None:
    text = (
        f"Mme Cohen, née le 19/08/1980, domiciliée 10 rue Voltaire, 44000 Nantes, tél. 06 39 98 63 63, "
        f"c.cohen@exemple.fr, NIR {NIR}, IBAN {IBAN_FR}, carte {CARD}. Merci !"
    )
    assert mask(text) == (
        "Mme [nom], née le [date de naissance], domiciliée [adresse], tél. [téléphone], [courriel], NIR [NIR], "
        "IBAN [IBAN], carte [carte bancaire]. Merci !"
    )
    assert set(PLACEHOLDERS.values()) >= {"[téléphone]", "[courriel]", "[NIR]", "[IBAN]", "[carte bancaire]"}


def test_spans_are_exact_ordered_and_never_overlap() -> None:
    for case in load():
        spans = find(case.text)
        for span in spans:
            assert case.text[span.start : span.end] == span.value
        for a, b in zip(spans, spans[1:], strict=False):
            assert a.end <= b.start, case.id


def test_overlap_goes_to_the_checked_number() -> None:
    # A Luhn-valid 15-digit NIR is also a card-shaped number: the NIR wins, once.
    nir = "2 84 07 35 238 033 97"
    assert nir_key_ok(nir.replace(" ", "")) and luhn_ok(nir.replace(" ", ""))
    assert kinds(nir) == [("nir", nir)]
    assert mask(f"{IBAN_FR}") == "[IBAN]"


def test_dataset_size_and_valid_check_digits() -> None:
    cases = load()
    positives = [c for c in cases if c.spans]
    assert len(positives) >= 110 and len(cases) - len(positives) >= 110
    compact: dict[str, list[str]] = {e.kind: [] for c in positives for e in c.spans}
    for case in positives:
        for exp in case.spans:
            compact[exp.kind].append("".join(ch for ch in exp.value if ch.isalnum()))
    assert all(nir_key_ok(v) for v in compact["nir"])
    assert all(iban_ok(v) for v in compact["iban"])
    assert all(luhn_ok(v) for v in compact["carte_bancaire"])


def test_score_on_the_dataset() -> None:
    result = score(load(DATASET))
    recall, false_positive_rate = result["recall"], result["false_positive_rate"]
    assert isinstance(recall, float) and recall >= 0.95, result["misses"]
    assert isinstance(false_positive_rate, float) and false_positive_rate <= 0.05, result["false_positives"]


def test_score_figures_on_a_small_dataset() -> None:
    cases = [
        Case("a", "tél 06 39 98 12 34 ou 3939", (Expected("telephone", "06 39 98 12 34"),)),
        Case("b", "né le 12/03/1985, j'habite rue Haute", (Expected("date_naissance", "12/03/1985"),
                                                           Expected("adresse", "rue Haute"))),
        Case("c", "La mairie, 2 place du Marché", ()),
        Case("d", "25 € et 8h30-12h", ()),
    ]  # fmt: skip
    result = score(cases)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["false_positive_rate"] == pytest.approx(1 / 2)
    per_kind = result["per_kind"]
    assert isinstance(per_kind, dict)
    assert per_kind["adresse"]["recall"] == 0.0 and per_kind["telephone"]["recall"] == 1.0
    assert result["misses"] == [{"id": "b", "kind": "adresse", "value": "rue Haute"}]


def test_partial_masking_is_not_recall() -> None:
    # The phone is only half covered by a span of the expected value: not counted as masked.
    cases = [Case("a", "06 39 98 12 34 56 78", (Expected("telephone", "06 39 98 12 34 56 78"),))]
    assert score(cases)["recall"] == 0.0


def test_load_rejects_a_value_absent_from_its_text(tmp_path: Path) -> None:
    path = tmp_path / "pii.jsonl"
    row = {"id": "x", "text": "bonjour", "spans": [{"kind": "telephone", "value": "06 39 98 12 34"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="absent du texte"):
        load(path)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Bonjour, je suis Mme Perrin.", "Bonjour, je suis Mme [nom]."),
        ("M. et Mme Leroy réservent la salle.", "M. et Mme [nom] réservent la salle."),
        ("je m'appelle jean dupont et habite rue Haute", "je m'appelle [nom] et habite rue Haute"),
        ("Moi c'est Kevin, j'ai 19 ans.", "Moi c'est [nom], j'ai 19 ans."),
        ("Je suis Yuki Tanaka, étudiante.", "Je suis [nom], étudiante."),
        ("salut c'est mathis, on peut louer le terrain ?", "salut c'est [nom], on peut louer le terrain ?"),
        ("ma fille léa et son frère Tom", "ma fille [nom] et son frère [nom]"),
        ("Ma mère, Huguette Blanc, a 88 ans.", "Ma mère, [nom], a 88 ans."),
        (
            "Notre voisin, M. de La Fontaine, laisse son chien aboyer.",
            "Notre voisin, M. [nom], laisse son chien aboyer.",
        ),
        ("Je m'appelle Anne-Sophie Van der Berg.", "Je m'appelle [nom]."),
        ("Merci d'avance. Cordialement,\nÉlodie Fournier", "Merci d'avance. Cordialement,\n[nom]"),
        ("Bien à vous, R. Lefèvre", "Bien à vous, [nom]"),
        ("Nom : MOREAU, prénom : Sylvie.", "Nom : [nom], prénom : [nom]."),
        ("DUPONT Jean, 14 rue des Roses, demande un rendez-vous.", "[nom], [adresse], demande un rendez-vous."),
        ("Inscription : Léo, né le 2 janvier 2018.", "Inscription : [nom], né le [date de naissance]."),
        (
            "mon fils Enzo ira au centre de loisirs. Enzo a 7 ans.",
            "mon fils [nom] ira au centre de loisirs. [nom] a 7 ans.",
        ),
        ("il s'appelle thomas lefebvre, son portable 0658304172", "il s'appelle [nom], son portable [téléphone]"),
        ("slt c kevin, c possible de faire mon stage ?", "slt c [nom], c possible de faire mon stage ?"),
        ("svp dites a mr guillaume que la lampe est cassée", "svp dites a mr [nom] que la lampe est cassée"),
        ("Titulaire : Sophie Nguyen.", "Titulaire : [nom]."),
        ("Je n'ai pas reçu l'aide du CCAS. Alain Vidal", "Je n'ai pas reçu l'aide du CCAS. [nom]"),
        ("Merci de rappeler. Ousmane Sarr, 06 33 71 80 24", "Merci de rappeler. [nom], [téléphone]"),
        ("Cordialement, Bernard et Chantal Lemoine", "Cordialement, [nom] et [nom]"),
    ],
)
def test_names_announced_by_a_cue_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Monsieur le Maire, je suis Français et je voudrais voter.",
        "Monsieur Le Maire, Madame la Directrice, bonjour.",
        "Bonjour Madame, c'est possible de venir samedi ?",
        "Cordialement, L'accueil de la mairie",
        "Je suis allé chez Leroy Merlin, puis à l'école Jules Ferry.",
        "Madame la Directrice, mon fils aîné est malade.",
        "Merci, Belval est une belle commune.",
        "Ici la mairie de Belval.",
        "Mon fils est inscrit ; ma fille cadette aussi.",
        "Rendez-vous au bâtiment B, escalier 2. Tel",
        "Pouvez-vous nous répondre ? Salutations, la mairie",
        "Merci. Bonne Année",
        "Les pompiers sont passés chez les voisins, bât. C",
        "Puis-je utiliser son adresse pour mes papiers ?",
        "Le Père Noël passera-t-il à l'école maternelle ?",
        "c koi les horaires de la piscine ?",
    ],
)
def test_capitalised_words_without_a_cue_are_no_names(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize("name", ["pii-holdout.jsonl", "pii-holdout2.jsonl"])
def test_the_held_out_sets_load(name: str) -> None:
    """Written blind to the detector and read once each (see eval/datasets/README.md): well-formed, with names."""
    cases = load(DATASET.parent / name)
    assert len(cases) == 100 and sum(1 for c in cases if not c.spans) == 40
    assert sum(1 for c in cases for e in c.spans if e.kind == "nom") >= 70


def test_the_command_prints_each_dataset_s_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "mini.jsonl"
    lines = [
        {"id": "a", "text": "Je m'appelle Jeanne Perrin, tél 06 39 98 12 34.", "spans": [
            {"kind": "nom", "value": "Jeanne Perrin"}, {"kind": "telephone", "value": "06 39 98 12 34"}]},
        {"id": "b", "text": "Monsieur le Maire, la fête est le 14 juillet.", "spans": []},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert main([str(data)]) == 0
    out = capsys.readouterr().out
    assert "mini.jsonl : 2 textes (1 sans donnée), 2 données attendues, rappel 1.000" in out
    assert "nom             attendues   1  rappel 1.000" in out and "faux positifs 0.000" in out
