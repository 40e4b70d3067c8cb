from __future__ import annotations

import importlib
import json

import pytest
from django.core.management import CommandError, call_command

from districts.models import District, Unit


@pytest.mark.django_db
def test_the_data_migration_loads_boston_districts_and_units():
    # Run the migration's own function on empty tables: a transactional test elsewhere may have flushed its rows.
    from django.apps import apps

    migration = importlib.import_module("districts.migrations.0002_load_boston")
    District.objects.all().delete()
    Unit.objects.all().delete()
    migration.load(apps, None)
    assert sorted(District.objects.values_list("code", flat=True)) == sorted(
        ["A1", "A7", "A15", "B2", "B3", "C6", "C11", "D4", "D14", "E5", "E13", "E18"]
    )
    assert District.objects.get(code="E18").name == "Hyde Park"
    assert sorted(Unit.objects.values_list("name", flat=True)) == [
        "Domestic Violence Unit",
        "School Police Unit",
        "Street Outreach Unit",
        "Youth Violence Strike Force",
    ]


@pytest.mark.django_db
def test_another_city_loads_its_districts_from_csv(tmp_path):
    path = tmp_path / "cambridge.csv"
    path.write_text("kind,code,name\ndistrict,CA1,Central Square\nunit,CYU,Cambridge Youth Unit\n")
    call_command("load_places", str(path))
    assert District.objects.get(code="CA1").name == "Central Square"
    assert Unit.objects.get(code="CYU").name == "Cambridge Youth Unit"


@pytest.mark.django_db
def test_another_city_loads_its_districts_from_json(tmp_path, boston):
    path = tmp_path / "places.json"
    path.write_text(json.dumps([{"kind": "district", "code": "B2", "name": "Roxbury (renamed)"}]))
    call_command("load_places", str(path))
    assert District.objects.get(code="B2").name == "Roxbury (renamed)"
    assert District.objects.count() == 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind,code,name\nprecinct,P1,First\n", "row 1: kind must be"),
        ("kind,code,name\ndistrict,,Nameless\n", "row 1: code is empty"),
        ("kind,code,name\n", "holds no rows"),
    ],
)
def test_a_bad_places_file_is_refused_with_a_clear_message_and_loads_nothing(tmp_path, boston, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("load_places", str(path))
    assert District.objects.count() == 12
