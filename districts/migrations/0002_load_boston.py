from django.db import migrations

# A copy of districts/boston.py as it stood when this migration was written: migrations must not change meaning
# when application code does.
DISTRICTS = [
    ("A1", "Downtown"),
    ("A7", "East Boston"),
    ("A15", "Charlestown"),
    ("B2", "Roxbury"),
    ("B3", "Mattapan"),
    ("C6", "South Boston"),
    ("C11", "Dorchester"),
    ("D4", "South End"),
    ("D14", "Brighton/Allston"),
    ("E5", "West Roxbury"),
    ("E13", "Jamaica Plain"),
    ("E18", "Hyde Park"),
]
UNITS = [
    ("YVSF", "Youth Violence Strike Force"),
    ("SPU", "School Police Unit"),
    ("DVU", "Domestic Violence Unit"),
    ("SOU", "Street Outreach Unit"),
]


def load(apps, schema_editor):
    District = apps.get_model("districts", "District")
    Unit = apps.get_model("districts", "Unit")
    for code, name in DISTRICTS:
        District.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in UNITS:
        Unit.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("districts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
