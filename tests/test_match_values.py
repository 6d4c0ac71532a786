"""Whether an entry's answer holds the values a question names (``answer.match_values``), on the demo FAQ's own
answers: a value the answer gives or bounds is held, one it does not give is not, a year, an ordinal or a story's
value is no value asked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core.answer.match_values import asked_values, holds, unheld, values_of

CANTEEN = (
    "Le prix du repas dépend du quotient familial calculé par la CAF : un repas coûte 1 € pour un quotient familial "
    "jusqu'à 450 € et 5,20 € pour un quotient familial supérieur à 1 900 €."
)
PASSPORT = (
    "Le passeport d'une personne majeure coûte 86 €. Le passeport d'un mineur de 15 à 17 ans coûte 42 €. "
    "Le passeport d'un enfant de moins de 15 ans coûte 17 €."
)
SHED = (
    "Une construction nouvelle est soumise à déclaration préalable lorsque son emprise au sol est comprise entre 5 m² "
    "et 20 m². Une construction de moins de 5 m² ne nécessite aucune formalité. Au-delà de 20 m², un permis de "
    "construire est nécessaire."
)
CENSUS = "Un jeune qui n'a pas fait la démarche dans les délais peut régulariser sa situation jusqu'à l'âge de 25 ans."
LOISIRS = "Le centre de loisirs est ouvert le mercredi de 7 h 30 à 18 h 30, pendant les périodes scolaires."
VOTE = "La commune compte 9 bureaux de vote ; chaque électeur est rattaché à un seul bureau."
HALL = "La salle des fêtes se loue 650 € le week-end. Deux chèques de caution sont demandés : 1 000 € et 150 €."
NONE = values_of("")


def share(question: str, answer: str, phrasings: str = "") -> float:
    return unheld(asked_values(question), values_of(answer), values_of(phrasings))


def test_what_a_question_names() -> None:
    assert asked_values("Notre quotient familial est de 1 000 € : quel est le prix d'un repas ?") == [
        ("amount", Decimal(1000))
    ]
    assert asked_values("un passeport pour mon gamin de 8 ans ça coûte combien ?") == [("duration an", Decimal(8))]
    assert asked_values("la mairie ferme à 17 h 30 ?") == [("time", Decimal(17 * 60 + 30))]
    assert asked_values("un chat traîne devant chez moi depuis une semaine, qui appeler ?") == [
        ("duration semaine", Decimal(1))
    ]
    # « m² » is no « 2 »; an ordinal and a year are no values.
    assert asked_values("un carport de 25 m² il faut un permis ?") == [("number", Decimal(25))]
    assert asked_values("le macaron pour la 2e voiture c combien ?") == []
    assert asked_values("nous nous sommes mariés en 2015, comment avoir une copie de l'acte ?") == []
    # The story around the question is not read: only the sentences that ask.
    assert asked_values("Nous fêtons les 60 ans de mon père. Combien coûte la salle des fêtes ?") == []


def test_a_value_the_answer_gives_or_bounds_is_held() -> None:
    assert share("le passeport pour un enfant de 8 ans ça coûte combien ?", PASSPORT) == 0.0
    assert share("passeport pour mon fils de 16 ans ?", PASSPORT) == 0.0
    assert share("un carport de 25 m² il faut un permis de construire ?", SHED) == 0.0
    assert share("mon abri fera 4 m², faut-il déclarer ?", SHED) == 0.0
    assert share("j'ai 19 ans et je ne me suis jamais fait recenser, c'est trop tard ?", CENSUS) == 0.0
    assert share("le centre de loisirs ouvre-t-il avant 8 h le mercredi ?", LOISIRS) == 0.0
    assert share("repas à la cantine avec un quotient familial de 300 € ?", CANTEEN) == 0.0
    # In the phrasings: « Prix d'une tombe pour 30 ans ».
    assert share("une tombe pour 30 ans c'est combien ?", "Une concession coûte 180 €.", "pour 30 ans") == 0.0


def test_a_value_the_answer_does_not_give_is_not_held() -> None:
    assert share("Notre quotient familial est de 1 000 € : quel est le prix d'un repas à la cantine ?", CANTEEN) == 1
    assert share("Où se trouve le bureau de vote numéro 3 ?", VOTE) == 1.0
    assert share("On sera environ 180 invités, la salle des fêtes est-elle assez grande ?", HALL) == 1.0
    assert share("le centre de loisirs est-il ouvert à 19 h 30 ?", LOISIRS) == 1.0
    # One of two values missing: half.
    assert share("un passeport à 42 € pour un jeune de 25 ans ?", PASSPORT) == pytest.approx(0.5)


def test_no_value_asked_weighs_nothing() -> None:
    assert share("Combien coûte la cantine scolaire ?", CANTEEN) == 0.0
    assert unheld([], NONE, NONE) == 0.0


def test_bounds_and_ranges_of_an_answer() -> None:
    canteen = values_of(CANTEEN)
    assert ("amount", -Decimal("Infinity"), Decimal(450)) in canteen.spans
    assert ("amount", Decimal(1900), Decimal("Infinity")) in canteen.spans
    assert not holds(canteen, ("amount", Decimal(1000)))
    passport = values_of(PASSPORT)
    assert ("duration an", Decimal(15), Decimal(17)) in passport.spans
    # A plain number is held wherever the answer writes it (« 1 000 » in an amount).
    assert holds(values_of(HALL), ("number", Decimal(1000)))
    # A value is held by its kind: 15 € is not 15 ans.
    assert not holds(passport, ("amount", Decimal(15)))
