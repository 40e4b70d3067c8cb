from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from districts.services import PlaceFileError, places_load, read_place_file


class Command(BaseCommand):
    help = "Load a city's districts and units from a CSV (kind,code,name) or JSON file."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            rows = read_place_file(path)
        except PlaceFileError as exc:
            raise CommandError(str(exc)) from None
        created, updated = places_load(rows=rows)
        self.stdout.write(f"{created} created, {updated} updated")
