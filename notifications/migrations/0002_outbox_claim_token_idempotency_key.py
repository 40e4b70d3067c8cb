# A unique key with a callable default cannot be added in one step to a table that has rows (every row would get
# the same value), so: add it nullable, give each existing row its own key, then make it unique and required.

import uuid

from django.db import migrations, models


def give_each_message_a_key(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    rows = OutboxMessage.objects.filter(idempotency_key__isnull=True).only("pk")
    batch = []
    for row in rows.iterator(chunk_size=1000):
        row.idempotency_key = uuid.uuid4()
        batch.append(row)
        if len(batch) == 1000:
            OutboxMessage.objects.bulk_update(batch, ["idempotency_key"])
            batch = []
    OutboxMessage.objects.bulk_update(batch, ["idempotency_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="claim_token",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="idempotency_key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_message_a_key, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="outboxmessage",
            name="idempotency_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
