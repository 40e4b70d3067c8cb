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
    # No parameters: the function's RAISE uses % placeholders of its own, which psycopg must not read as ours.
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
    # accounts' security log uses the same function (accounts 0006): drop it only once no trigger calls it.
    schema_editor.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON t.tgfoid = p.oid "
        "WHERE p.proname = 'handoff_append_only') THEN DROP FUNCTION IF EXISTS handoff_append_only(); END IF; END $$;",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
