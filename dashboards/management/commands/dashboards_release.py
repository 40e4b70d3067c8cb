"""Freeze a month of every active program, or one: ``manage.py dashboards_release 2026-10 [--program slug]``."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboards.services import month_release
from programs.models import Program


class Command(BaseCommand):
    help = "Freeze a month's published cells so no later release can difference a suppressed one out."

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month to release, YYYY-MM.")
        parser.add_argument("--program", help="One program's slug (default: every active program).")

    def handle(self, *args, month: str, program: str | None = None, **options):
        try:
            year, number = (int(part) for part in month.split("-"))
            first = date(year, number, 1)
        except ValueError as error:
            raise CommandError(f"Give the month as YYYY-MM, not {month!r}.") from error
        programs = Program.objects.filter(is_active=True)
        if program:
            programs = programs.filter(slug=program)
            if not programs.exists():
                raise CommandError(f"No active program {program!r}.")
        for row in programs.order_by("name"):
            try:
                cells = month_release(program=row, month=first)
            except ValidationError as error:
                self.stdout.write(f"{row.name}: {' '.join(error.messages)}")
                continue
            self.stdout.write(f"{row.name}: {first:%B %Y} released, {cells} cells frozen.")
