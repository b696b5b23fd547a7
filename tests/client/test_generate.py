"""``sharokey.generate_secret``: what each alphabet yields, its bounds, and its entropy."""

from __future__ import annotations

import math
import string
import subprocess
import sys

import pytest

import sharokey
from sharokey.generate import DEFAULT_LENGTHS, entropy_bits


def test_words_are_joined_by_hyphens_from_the_shipped_list() -> None:
    value = sharokey.generate_secret(5)
    words = value.split("-")
    assert len(words) == 5
    assert all(w.isalpha() and w.islower() for w in words)


@pytest.mark.parametrize(
    ("alphabet", "allowed"),
    [
        ("ascii", set(string.ascii_letters + string.digits + string.punctuation)),
        ("alnum", set(string.ascii_letters + string.digits)),
    ],
)
def test_characters_come_from_the_alphabet(alphabet: str, allowed: set[str]) -> None:
    value = sharokey.generate_secret(200, alphabet)  # type: ignore[arg-type]
    assert len(value) == 200
    assert set(value) <= allowed
    assert len(set(value)) > 20  # drawn, not repeated


def test_defaults_give_at_least_80_bits() -> None:
    for alphabet, length in DEFAULT_LENGTHS.items():
        assert entropy_bits(length, alphabet) >= 80
    assert len(sharokey.generate_secret(alphabet="alnum")) == DEFAULT_LENGTHS["alnum"]
    assert entropy_bits(1, "words") == pytest.approx(math.log2(1295))


def test_two_values_differ() -> None:
    assert sharokey.generate_secret() != sharokey.generate_secret()


@pytest.mark.parametrize("length", [0, -1, 1025, True, 2.5])
def test_a_length_out_of_range_is_a_validation_error(length: object) -> None:
    with pytest.raises(sharokey.ValidationError, match="length must be"):
        sharokey.generate_secret(length)  # type: ignore[arg-type]


def test_an_unknown_alphabet_is_a_validation_error() -> None:
    with pytest.raises(sharokey.ValidationError, match="alphabet must be one of"):
        sharokey.generate_secret(4, "emoji")  # type: ignore[arg-type]


def test_import_sharokey_does_not_load_the_generator() -> None:
    code = "import sys, sharokey; print('sharokey.generate' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False", loaded.stderr
