"""On PostgreSQL the break-glass rows refuse UPDATE and DELETE, and the accounting of disclosures refuses UPDATE and
the DELETE of any row younger than three years (42 CFR 2.24), whoever connects. ``handoff_append_only`` is
migration 0002's function. The settings' retention may be longer; the database holds the statutory floor."""

from django.db import migrations

APPEND_ONLY = ["referrals_breakglass", "referrals_breakglassreview"]

DISCLOSURE_FUNCTION = """
CREATE OR REPLACE FUNCTION handoff_disclosure_kept() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR OLD.created_at > now() - interval '1098 days' THEN
        RAISE EXCEPTION 'Handoff: % is append-only and kept three years (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION handoff_append_only()"
        )
    schema_editor.execute(DISCLOSURE_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER referrals_disclosure_kept BEFORE UPDATE OR DELETE ON referrals_disclosure "
        "FOR EACH ROW EXECUTE FUNCTION handoff_disclosure_kept()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS referrals_disclosure_kept ON referrals_disclosure")
    schema_editor.execute("DROP FUNCTION IF EXISTS handoff_disclosure_kept()")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_part2_break_glass")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
