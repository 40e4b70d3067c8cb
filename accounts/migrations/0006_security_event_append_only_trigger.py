"""On PostgreSQL the security log refuses UPDATE and DELETE in the database itself, whoever connects.

The same ``handoff_append_only()`` function as referrals 0002 (CREATE OR REPLACE: whichever migration runs first
creates it, the other replaces it with the same body). The model layer (``AppendOnlyModel``) is the guard on SQLite.
"""

from django.db import migrations

TABLES = ["accounts_securityevent"]

FUNCTION = """
CREATE OR REPLACE FUNCTION handoff_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Handoff: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# Other apps' logs use the function too: drop it only once no trigger calls it.
DROP_FUNCTION_IF_UNUSED = """
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_trigger t JOIN pg_proc p ON t.tgfoid = p.oid WHERE p.proname = 'handoff_append_only'
    ) THEN
        DROP FUNCTION IF EXISTS handoff_append_only();
    END IF;
END $$;
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
    schema_editor.execute(DROP_FUNCTION_IF_UNUSED, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_security_event")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
