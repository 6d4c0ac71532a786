"""Periods of the year in passages and questions (server/core/answer/period.py)."""

from __future__ import annotations

from datetime import date

from server.core.answer import period


def test_a_season_range_holds_the_days_across_new_year() -> None:
    winter = period.find("Horaires d'hiver (du 1er novembre au 31 mars)")
    summer = period.find("Du 1er avril au 31 octobre, la déchetterie est ouverte le lundi de 14 h à 18 h.")
    assert winter is not None and summer is not None
    assert winter.season == "hiver" and winter.text == "du 1er novembre au 31 mars"
    assert summer.text == "Du 1er avril au 31 octobre"
    assert winter.applies(date(2026, 12, 6)) and winter.applies(date(2027, 3, 31))
    assert not winter.applies(date(2027, 4, 1))
    assert summer.applies(date(2027, 7, 14)) and not summer.applies(date(2026, 12, 6))


def test_month_ranges_starts_and_seasons_without_dates() -> None:
    months = period.find("Le marché a lieu d'avril à octobre.")
    assert months is not None and months.applies(date(2026, 10, 31)) and not months.applies(date(2026, 11, 1))
    start = period.find("À partir du 1er janvier 2027, le tarif est de 4 €.")
    assert start is not None and start.open_end
    assert not start.applies(date(2026, 12, 31)) and start.applies(date(2027, 1, 1))
    season = period.find("Horaires d'été")
    assert season is not None and season.season == "ete" and season.applies(date(2026, 7, 1))
    assert period.find("La mairie est ouverte du lundi au vendredi de 8 h 30 à 12 h.") is None


def test_school_holidays_and_the_days_out_of_them_apply_as_the_calendar_says() -> None:
    """A day is in the holidays only when the school calendar says so (``holidays``); without it, a school day."""
    day = date(2026, 12, 21)
    holidays = period.find("Pendant les vacances scolaires, la médiathèque ouvre de 10 h à 12 h.")
    school = period.find("Fermé hors vacances scolaires le samedi.")
    term = period.find("En période scolaire, l'accueil du matin ouvre à 7 h 30.")
    assert holidays is not None and holidays.holidays and not holidays.school_days
    assert school is not None and school.school_days and term is not None and term.school_days
    assert holidays.applies(day, holidays=True) and not holidays.applies(day)
    assert school.applies(day) and not school.applies(day, holidays=True)
    assert not holidays.overlaps(school) and school.overlaps(term)
    asked = period.asked("la médiathèque est ouverte hors vacances scolaires ?")
    assert asked is not None and asked.school_days and asked.overlaps(school) and not asked.overlaps(holidays)


def test_dated_ranges_end_with_their_year() -> None:
    dated = period.find("Inscriptions du 2 mai au 30 juin 2025.")
    assert dated is not None and dated.start_year == 2025 and dated.end_year == 2025
    assert dated.applies(date(2025, 6, 1)) and not dated.applies(date(2026, 6, 1))


def test_the_period_a_question_names() -> None:
    summer = period.asked("c koi les horaires d la dechetterie en été ?")
    assert summer is not None and summer.season == "ete"
    july = period.asked("La piscine est-elle ouverte en juillet ?")
    assert july is not None and july.start == (7, 1) and july.end == (7, 31)
    holidays = period.asked("Le centre de loisirs ouvre-t-il pendant les vacances ?")
    assert holidays is not None and holidays.holidays
    assert period.asked("Quels sont les horaires de la déchetterie ?") is None
    assert period.asked("Le marché a-t-il lieu le dimanche ?") is None


def test_asked_and_quoted_periods_overlap() -> None:
    summer_rows = period.find("Horaires d'été (du 1er avril au 31 octobre)")
    winter_rows = period.find("Horaires d'hiver (du 1er novembre au 31 mars)")
    assert summer_rows is not None and winter_rows is not None
    july = period.asked("en juillet ?")
    summer = period.asked("en été ?")
    assert july is not None and summer is not None
    assert summer_rows.overlaps(july) and not winter_rows.overlaps(july)
    assert summer_rows.overlaps(summer) and not winter_rows.overlaps(summer)


def test_latest_date_of_a_passage() -> None:
    assert period.latest_date("Le marché de Noël se tient les 12 et 13 décembre 2026.") == date(2026, 12, 13)
    assert period.latest_date("Dépôt avant le 15/03/2024.") == date(2024, 3, 15)
    assert period.latest_date("Ouvert du lundi au vendredi.") is None
    # a year alone counts only where asked (headings), never a measure; an example's dates never
    assert period.latest_date("Les cartes délivrées entre 2004 et 2013 restent valables.") is None
    assert period.latest_date("Tarifs 2025", years=True) == date(2025, 12, 31)
    assert period.latest_date("Bac de 2000 litres", years=True) is None
    assert period.latest_date("Exemple : pour un enfant né le lundi 9 novembre 2026, déclarez-le.") is None


def test_future_and_past_periods_of_a_given_year() -> None:
    found = period.find("Du mardi 6 juillet au samedi 28 août 2027, la médiathèque ouvre l'après-midi.")
    assert found is not None and found.dated
    assert found.is_future(date(2026, 12, 6)) and not found.is_past(date(2026, 12, 6))
    assert found.is_past(date(2027, 9, 1)) and not found.is_future(date(2027, 9, 1))
    every_year = period.find("Du 1er avril au 31 octobre, ouvert le dimanche.")
    assert every_year is not None and not every_year.dated and not every_year.is_future(date(2026, 12, 6))


def test_french_day() -> None:
    assert period.french_day(date(2026, 12, 6)) == "6 décembre 2026"
    assert period.french_day(date(2027, 8, 1)) == "1er août 2027"


def test_dates_saying_since_when_are_not_past_dates() -> None:
    assert period.latest_date("Depuis le 1er juillet 2022, toute personne majeure peut changer de nom.") is None
    assert period.latest_date("Depuis 2017, la demande se fait en mairie.") is None


def test_a_range_may_name_its_weekdays() -> None:
    found = period.find("Du lundi 12 juillet au samedi 21 août 2027, la mairie applique des horaires d'été :")
    assert found is not None and found.season == "ete"
    assert found.applies(date(2027, 8, 1)) and not found.applies(date(2026, 8, 1))


def test_the_participle_ete_is_no_season() -> None:
    assert period.find("Le livret a été délivré par la mairie.") is None
    assert period.find("Les actes ont été transcrits.") is None
    found = period.find("Fermeture d'été")
    assert found is not None and found.season == "ete"
    assert period.find("Été 2027 : horaires réduits") is not None
