"""Generated secrets: a passphrase or a random password, drawn from :mod:`secrets`.

Onboarding scripts generate a password and share it in one step; this is
the generator behind ``sharokey create --generate``, usable from Python as
``sharokey.generate_secret()``.
"""

from __future__ import annotations

import math
import secrets
import string
from functools import lru_cache
from typing import Literal, Optional

from sharokey.errors import ValidationError

__all__ = ["ALPHABETS", "DEFAULT_LENGTHS", "MAX_LENGTH", "entropy_bits", "generate_secret"]

Alphabet = Literal["words", "ascii", "alnum"]

#: The accepted ``alphabet`` values.
ALPHABETS: tuple[Alphabet, ...] = ("words", "ascii", "alnum")
#: Defaults chosen for at least 80 bits: 8 words ≈ 82.7, 20 ascii ≈ 131, 22 alnum ≈ 131.
DEFAULT_LENGTHS: dict[str, int] = {"words": 8, "ascii": 20, "alnum": 22}
#: The most words or characters one call makes (far past any need; bounds the work).
MAX_LENGTH = 1024

_ALNUM = string.ascii_letters + string.digits
#: The 94 printable ASCII characters other than space.
_ASCII = _ALNUM + string.punctuation


@lru_cache(maxsize=1)
def _words() -> tuple[str, ...]:
    # Read on first use: `import sharokey` does not pay for 1295 words.
    from importlib.resources import files

    text = files("sharokey").joinpath("wordlist.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def _symbols(alphabet: str) -> tuple[str, ...]:
    if alphabet == "words":
        return _words()
    if alphabet == "ascii":
        return tuple(_ASCII)
    if alphabet == "alnum":
        return tuple(_ALNUM)
    raise ValidationError(
        f"alphabet must be one of {', '.join(ALPHABETS)}, got {alphabet!r}",
        details={"alphabet": [f"one of {', '.join(ALPHABETS)}"]},
    )


def entropy_bits(length: int, alphabet: str = "words") -> float:
    """The entropy of a :func:`generate_secret` value of this length and alphabet, in bits."""
    return length * math.log2(len(_symbols(alphabet)))


def generate_secret(length: Optional[int] = None, alphabet: Alphabet = "words") -> str:
    """A random secret, each symbol drawn independently with :func:`secrets.choice`.

    ``alphabet``:

    - ``"words"`` (default): ``length`` words joined by ``-`` from the EFF short word
      list 1 (1295 words shipped in the package): about 10.34 bits per word; the
      default 8 words give about 82.7 bits.
    - ``"ascii"``: the 94 printable ASCII characters except space, about 6.55 bits
      each; the default 20 give about 131 bits.
    - ``"alnum"``: letters and digits (62), about 5.95 bits each; the default 22 give
      about 131 bits.

    ``length`` counts words or characters, 1 to :data:`MAX_LENGTH`; ``None`` is the
    alphabet's default (:data:`DEFAULT_LENGTHS`). :func:`entropy_bits` gives the
    exact figure. Raises :class:`~sharokey.ValidationError` for anything else.
    """
    symbols = _symbols(alphabet)
    if length is None:
        length = DEFAULT_LENGTHS[alphabet]
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_LENGTH:
        raise ValidationError(
            f"length must be a whole number from 1 to {MAX_LENGTH}, got {length!r}",
            details={"length": [f"1 to {MAX_LENGTH}"]},
        )
    separator = "-" if alphabet == "words" else ""
    return separator.join(secrets.choice(symbols) for _ in range(length))
