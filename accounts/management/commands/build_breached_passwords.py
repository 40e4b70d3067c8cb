"""Build accounts/data/breached-passwords.txt.gz, the list the breached-password validator checks (no network).

Sources, all offline: Django's own common-passwords list (20,000 passwords seen in breaches, ranked by frequency),
a short list of words people build work passwords from (seasons, months, the organisations Handoff serves), and
passwords this project itself has published (the old demo default). To each of the most common purely
alphabetic words it adds the stretches people use to pass a length rule: a year (1975-2035, or two digits),
"!", "1", "123"...
Letter swaps (P@ssw0rd) are not spelled out here: the validator undoes them before looking up.

Deterministic: the same inputs give a byte-identical file (sorted, gzip with no timestamp).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import django.contrib.auth
from django.core.management.base import BaseCommand

from accounts.passwords import BREACHED_PASSWORDS_PATH

DJANGO_LIST = Path(django.contrib.auth.__file__).resolve().parent / "common-passwords.txt.gz"

_WORK_WORDS = """
spring summer autumn fall winter january february march april may june july august september october november
december monday tuesday wednesday thursday friday saturday sunday password passw0rd welcome letmein changeme
trustno1 police officer sergeant detective boston bostonpd patriots redsox celtics bruins handoff hospital
clinician nurse doctor crisis outreach youth safety secure security admin administrator login access default
temp temporary guest user qwerty dragon monkey sunshine football baseball princess shadow master freedom
whatever iloveyou hello letmein rosebud
"""
WORK_WORDS = _WORK_WORDS.split()

PUBLISHED = ["handoff-demo-2026"]  # the demo's old default password, printed in the README until issue 12

YEARS = [str(year) for year in range(1975, 2036)] + [f"{year % 100:02d}" for year in range(1980, 2036)]
STRETCHES = ["", "!", "!!", "1", "1!", "12", "123", "123!", "1234", "12345", "123456", "01", "@", "#", "?", "*"]
STRETCHES += YEARS + [year + "!" for year in YEARS]

TOP_WORDS = 300  # the most common alphabetic words of Django's list that get every stretch


def build() -> list[str]:
    with gzip.open(DJANGO_LIST, "rt", encoding="utf-8") as f:
        common = [line.strip().lower() for line in f if line.strip()]
    words = [w for w in common if w.isalpha() and len(w) >= 4][:TOP_WORDS]
    stems = dict.fromkeys(WORK_WORDS + words)  # ordered, no repeats
    entries = set(common) | set(PUBLISHED)
    for stem in stems:
        for stretch in STRETCHES:
            entries.add(stem + stretch)
    return sorted(entries)


class Command(BaseCommand):
    help = "Rebuild accounts/data/breached-passwords.txt.gz from Django's common-passwords list and stretches."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(BREACHED_PASSWORDS_PATH))

    def handle(self, *args, output: str, **options):
        entries = build()
        data = ("\n".join(entries) + "\n").encode()
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(data)
        self.stdout.write(f"{len(entries)} passwords written to {path} ({path.stat().st_size // 1024} KiB)")
