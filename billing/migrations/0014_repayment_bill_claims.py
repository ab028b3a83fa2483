"""A bill has at most one settling repayment: the repayment ↔ bill table becomes the
explicit ``RepaymentBill`` (same table and rows) with an ``active`` claim flag, and a
unique partial index allows one active claim per bill.

Existing rows: claims of rejected repayments are released. Where a bill was claimed
twice (the double settlement this migration stops), the claim of its first confirmed
repayment, else of its first repayment, stays active; ``check_ledgers`` lists the
others (``repayment_settlement``) for finance to resolve.
"""

import django.db.models.deletion
from django.db import migrations, models


def release_claims(apps, schema_editor):
    RepaymentBill = apps.get_model("billing", "RepaymentBill")
    RepaymentBill.objects.exclude(repayment__status__in=["submitted", "confirmed"]).update(
        active=False
    )
    kept: set[int] = set()
    released = []
    claims = RepaymentBill.objects.filter(active=True).order_by(
        "bill_id",
        models.Case(models.When(repayment__status="confirmed", then=0), default=1),
        "repayment__created_at",
        "repayment_id",
    )
    for claim_id, bill_id in claims.values_list("pk", "bill_id").iterator(chunk_size=5000):
        if bill_id in kept:
            released.append(claim_id)
        else:
            kept.add(bill_id)
    for start in range(0, len(released), 1000):
        RepaymentBill.objects.filter(pk__in=released[start : start + 1000]).update(active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0013_pending_company_terms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table of the auto-created many-to-many already has these columns,
            # foreign keys and the (repayment, bill) unique index.
            state_operations=[
                migrations.CreateModel(
                    name="RepaymentBill",
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
                        (
                            "repayment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="claims",
                                to="billing.repayment",
                                verbose_name="repayment",
                            ),
                        ),
                        (
                            "bill",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="claims",
                                to="billing.bill",
                                verbose_name="bill",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "repayment of a bill",
                        "verbose_name_plural": "repayments of bills",
                        "db_table": "billing_repayment_bills",
                        "unique_together": {("repayment", "bill")},
                    },
                ),
                migrations.AlterField(
                    model_name="repayment",
                    name="bills",
                    field=models.ManyToManyField(
                        related_name="repayments",
                        through="billing.RepaymentBill",
                        to="billing.bill",
                        verbose_name="bills",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="repaymentbill",
            name="active",
            field=models.BooleanField(default=True, verbose_name="claims the bill"),
        ),
        migrations.RunPython(release_claims, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="repaymentbill",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("bill",),
                name="billing_bill_one_settling_repayment",
            ),
        ),
    ]
