# The document counters moved here from the contracts app. State only: the table keeps
# its name (contracts_documentsequence) and its rows; the content type follows, so the
# permissions that name it stay valid.

from django.db import migrations, models


def content_type_to(app_label):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        other = "contracts" if app_label == "backoffice" else "backoffice"
        if ContentType.objects.filter(app_label=app_label, model="documentsequence").exists():
            return
        ContentType.objects.filter(app_label=other, model="documentsequence").update(
            app_label=app_label
        )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_outbox_lease"),
        ("contracts", "0004_documentsequence_to_kernel"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DocumentSequence",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=100, unique=True, verbose_name="key")),
                        (
                            "last_value",
                            models.PositiveBigIntegerField(default=0, verbose_name="last value"),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                    ],
                    options={
                        "verbose_name": "document sequence",
                        "verbose_name_plural": "document sequences",
                        "ordering": ["key"],
                        "db_table": "contracts_documentsequence",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to("backoffice"), content_type_to("contracts")),
    ]
