"""On PostgreSQL the Hub's logs refuse UPDATE and DELETE in the database itself, as the referrals' logs do.

The function ``handoff_append_only`` comes from referrals' migration 0002.
"""

from django.db import migrations

TABLES = ["hub_reveal", "hub_situationevent", "hub_hubaccesslog"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION handoff_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [("hub", "0002_reference_data"), ("referrals", "0002_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
