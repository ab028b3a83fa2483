"""The two bank statement profiles finance starts with (issue 16); new ones are rows
added in the console. Apart from 0016 so that, on PostgreSQL, unapplying deletes the rows
in one transaction and drops the tables in the next (a drop after a delete in the same
transaction fails on the pending foreign-key trigger events)."""

from django.db import migrations

# The two profiles finance starts with (issue 16): new ones are rows added in the console.
PROFILES = (
    {
        "name": "通用格式 (Generic)",
        "date_columns": "Date|日期",
        "amount_columns": "Amount|金额",
        "currency_columns": "Currency|币种",
        "reference_columns": "Reference|Memo|摘要",
        "payer_name_columns": "Payer name|付款人",
        "payer_account_columns": "Payer account|付款账号",
        "transaction_id_columns": "Transaction ID|交易流水号",
        "date_format": "%Y-%m-%d|%Y/%m/%d|%Y%m%d",
        "encoding": "utf-8-sig",
    },
    {
        "name": "中国银行流水 (GBK)",
        "date_columns": "交易日期",
        "amount_columns": "收入金额|贷方发生额",
        "currency_columns": "币种",
        "reference_columns": "摘要|附言|用途",
        "payer_name_columns": "对方户名",
        "payer_account_columns": "对方账号",
        "transaction_id_columns": "流水号|交易流水号",
        "date_format": "%Y%m%d|%Y-%m-%d|%Y/%m/%d",
        "encoding": "gbk",
    },
)


def seed(apps, schema_editor):
    Profile = apps.get_model("billing", "BankStatementProfile")
    for row in PROFILES:
        Profile.objects.get_or_create(name=row["name"], defaults=row)


def unseed(apps, schema_editor):
    apps.get_model("billing", "BankStatementProfile").objects.filter(
        name__in=[row["name"] for row in PROFILES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0016_bank_statements"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
