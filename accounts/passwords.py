"""Password checks beyond Django's own: a shipped list of breached and commonly guessed passwords, no network call.

The list (accounts/data/breached-passwords.txt.gz) is built by ``manage.py build_breached_passwords``: Django's
own list of 20,000 common passwords, plus the usual ways people stretch a common word to pass a length rule (a
capital, a year, "!", "123"). A candidate is looked up as typed (lower-cased), and again with the common letter
swaps undone in its word part ("P@ssw0rd123" is looked up as "password123"), so the list need not hold every
spelling. It is not a copy of a breach corpus: nothing but packages can be downloaded here.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

BREACHED_PASSWORDS_PATH = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"

# Letters people swap for look-alike digits and signs. "1" stands for both "i" and "l": both readings are tried.
LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "1": "i", "!": "i", "$": "s", "5": "s", "7": "t"})
LEET_L = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "1": "l", "!": "l", "$": "s", "5": "s", "7": "t"})
# The word part ends at its last letter; what follows ("2024!", "123") is the stretch.
WORD_THEN_STRETCH = re.compile(r"(.*[a-z])([^a-z]*)", re.DOTALL)


def lookup_forms(password: str) -> set[str]:
    """The forms of a password to look up: as typed (lower-cased), and with the word part's letter swaps undone."""
    typed = password.lower().strip()
    forms = {typed}
    match = WORD_THEN_STRETCH.fullmatch(typed)
    if match:
        word, stretch = match.groups()
        for table in (LEET, LEET_L):
            plain = word.translate(table)
            forms.add(plain + stretch)
            forms.add(plain)  # a common word with only a stretch added is still that word
    return forms


class BreachedPasswordValidator(CommonPasswordValidator):
    """Django's CommonPasswordValidator over Handoff's larger shipped list, with letter swaps undone.

    A bare common word counts only once it reaches ``word_min_length`` letters, so a long passphrase that merely
    contains a short word ("harbor") is not refused for it.
    """

    DEFAULT_PASSWORD_LIST_PATH = BREACHED_PASSWORDS_PATH

    def __init__(self, password_list_path=DEFAULT_PASSWORD_LIST_PATH, word_min_length: int = 6):
        super().__init__(password_list_path)
        self.word_min_length = word_min_length

    def validate(self, password, user=None):
        typed = password.lower().strip()
        forms = lookup_forms(password)
        if any(form in self.passwords for form in forms if form == typed or len(form) >= self.word_min_length):
            raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_error_message(self):
        return (
            "This password is on a list of breached or commonly guessed passwords, or is one of them with letters "
            "swapped for look-alike signs or a year or number added. Choose another: a few unrelated words work well."
        )

    def get_help_text(self):
        return "Your password can't be a breached or commonly guessed password, even with a year or '!' added."
