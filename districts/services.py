from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from districts.models import District, Unit

KINDS = {"district": District, "unit": Unit}


class PlaceFileError(ValueError):
    """A districts file that cannot be loaded; the message says which row and why."""


@dataclass(frozen=True)
class PlaceRow:
    kind: str
    code: str
    name: str


def read_place_file(path: Path) -> list[PlaceRow]:
    """Read rows of (kind, code, name) from a CSV file with a header, or a JSON list of objects."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaceFileError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlaceFileError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise PlaceFileError(f"{path} must hold a list of objects with kind, code and name")
    elif path.suffix.lower() == ".csv":
        raw = list(csv.DictReader(text.splitlines()))
    else:
        raise PlaceFileError(f"{path} must end in .csv or .json")
    rows = []
    for number, item in enumerate(raw, start=1):
        kind = str(item.get("kind") or "").strip().lower()
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        if kind not in KINDS:
            raise PlaceFileError(f"row {number}: kind must be 'district' or 'unit', got {kind!r}")
        if not code or len(code) > KINDS[kind]._meta.get_field("code").max_length:
            raise PlaceFileError(f"row {number}: code is empty or too long")
        if not name or len(name) > 100:
            raise PlaceFileError(f"row {number}: name is empty or longer than 100 characters")
        rows.append(PlaceRow(kind, code, name))
    if not rows:
        raise PlaceFileError(f"{path} holds no rows")
    return rows


def boston_load() -> tuple[int, int]:
    """Boston's districts and units (the data the first migration loads), for the demo and the tests."""
    from districts.boston import BOSTON_DISTRICTS, BOSTON_UNITS

    rows = [PlaceRow("district", code, name) for code, name in BOSTON_DISTRICTS]
    rows += [PlaceRow("unit", code, name) for code, name in BOSTON_UNITS]
    return places_load(rows=rows)


@transaction.atomic
def places_load(*, rows: list[PlaceRow]) -> tuple[int, int]:
    """Create or rename districts and units; returns (created, updated). Nothing is deleted."""
    created = updated = 0
    for row in rows:
        _, was_created = KINDS[row.kind].objects.update_or_create(
            code=row.code, defaults={"name": row.name, "is_active": True}
        )
        created += was_created
        updated += not was_created
    return created, updated
