"""On PostgreSQL the logs refuse UPDATE and DELETE in the database itself, whoever connects.

The model layer already refuses (``AppendOnlyModel``); the trigger also stops a raw query, a shell session or
another program. On SQLite (the embedded demo) the model layer is the guard.
"""

from django.db import migrations

TABLES = ["referrals_referralevent", "referrals_clinicalaccesslog"]

FUNCTION = """
CREATE OR REPLACE FUNCTION handoff_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Handoff: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function's RAISE format uses "%", which must reach PostgreSQL as is, not as a placeholder.
    schema_editor.execute(FUNCTION, params=None)
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
    schema_editor.execute("DROP FUNCTION IF EXISTS handoff_append_only()")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
