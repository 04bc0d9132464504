"""Luhn and resident ID check characters."""
from datetime import date

import pytest

from bot.privacy.checksums import (
    id_birth_date_plausible,
    id_check_char,
    id_number_valid,
    luhn_valid,
    old_id_number_valid,
)


@pytest.mark.parametrize("number", [
    "4111111111111111", "4242424242424242", "5555555555554444", "378282246310005", "6011111111111117",
    "6200000000000005", "4222222222222", "6222021234567890128", "6228480402564890018", "0", "18",
])
def test_numbers_that_pass_luhn(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", [
    "4111111111111112", "6217000010012345678", "1234567812345678", "79927398710", "", "4111 1111 1111 1111",
    "411111111111111x", "４１１１１１１１１１１１１１１１",
])
def test_numbers_that_fail_luhn_or_are_not_plain_ascii_digits(number):
    assert not luhn_valid(number)


def test_luhn_catches_a_single_changed_digit_and_most_swaps():
    valid = "6222021234567890128"
    for position in range(len(valid)):
        changed = valid[:position] + str((int(valid[position]) + 1) % 10) + valid[position + 1:]
        assert not luhn_valid(changed)
    assert not luhn_valid("6222021234567890182")  # last two swapped


def test_the_standards_example_id_number_and_its_check_character():
    assert id_check_char("11010519491231002") == "X"
    assert id_number_valid("11010519491231002X")
    assert id_number_valid("11010519491231002x")
    assert not id_number_valid("110105194912310021")


@pytest.mark.parametrize("number", ["320106199003071234", "440304198512124016", "510108200012315679",
                                    "110101202002290017"])
def test_valid_id_numbers(number):
    assert id_number_valid(number, today=date(2026, 1, 1))


@pytest.mark.parametrize("number", [
    "32010619900307123",  # 17 characters
    "3201061990030712345",  # 19
    "320106199013071234",  # month 13 (and its check character recomputed below)
    "32010619900230123X",  # 30 February
    "3201061990030712A4",
])
def test_invalid_id_numbers(number):
    assert not id_number_valid(number)


def test_a_bad_date_fails_even_with_the_right_check_character():
    for first17 in ("32010619901307123", "32010619900230123", "32010618800101123", "32010630000101123"):
        assert not id_number_valid(first17 + id_check_char(first17), today=date(2026, 1, 1))


def test_birth_dates_must_be_between_1900_and_today():
    assert id_birth_date_plausible("110101190001010000", today=date(2026, 1, 1))
    assert not id_birth_date_plausible("110101189912310000", today=date(2026, 1, 1))
    assert not id_birth_date_plausible("110101202601020000", today=date(2026, 1, 1))
    assert id_birth_date_plausible("110101202402290000", today=date(2026, 1, 1))  # leap day
    assert not id_birth_date_plausible("110101202302290000", today=date(2026, 1, 1))


@pytest.mark.parametrize("number", ["110105491231002", "310104640209883", "440305570801347", "810000000101000"])
def test_first_generation_id_numbers(number):
    assert old_id_number_valid(number, today=date(2026, 1, 1))


@pytest.mark.parametrize("number", [
    "910105491231002",  # no area code starts with 9 (or 0)
    "010105491231002",
    "110105491331002",  # month 13
    "110105490230002",  # 30 February
    "11010549123100",  # 14 digits
    "1101054912310021",  # 16
    "11010549123100X",
    "１１０１０５４９１２３１００２",  # full-width: only ASCII digits are read here
])
def test_not_first_generation_id_numbers(number):
    assert not old_id_number_valid(number)
