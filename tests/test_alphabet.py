"""Cleaning and validation of sequences."""

import pytest

from genoclass.alphabet import clean_sequences
from genoclass.errors import InputError


def test_soft_masked_lower_case_is_upper_cased_and_counted():
    cleaned, report = clean_sequences(["acgT", "ACGT"])
    assert cleaned == ["ACGT", "ACGT"]
    assert report.lowercase_uppercased == 1
    assert report.ambiguous_to_n == 0


def test_iupac_codes_become_n():
    cleaned, report = clean_sequences(["ARYSWKMBDHVN", "rn"])
    assert cleaned == ["ANNNNNNNNNNN", "NN"]
    assert report.ambiguous_to_n == 2


def test_invalid_character_names_file_record_and_character():
    with pytest.raises(InputError) as err:
        clean_sequences(["ACGT", "AC", "AC!G"], path="reads.fa", unit="record")
    assert str(err.value).startswith("reads.fa: record 3: invalid character")
    assert "'!'" in str(err.value)


def test_user_numbers_are_reported():
    with pytest.raises(InputError, match="row 17: empty sequence"):
        clean_sequences(["ACGT", ""], numbers=[16, 17])


def test_non_ascii_character_is_reported_in_the_right_row():
    with pytest.raises(InputError, match=r"row 2: .*'é'"):
        clean_sequences(["AC", "GéT"])
