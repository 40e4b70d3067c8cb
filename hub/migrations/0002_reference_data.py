"""The RTD's reference data (hub/reference.py): added where missing, never changed; editable afterwards."""

from django.db import migrations


def forwards(apps, schema_editor):
    from hub.reference import reference_seed

    reference_seed(apps)


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
