"""Create the four staff role groups (超级管理员, 运营, 销售, 财务).

Permissions are assigned from ``partners.staff_roles`` by ``staff_roles_sync``,
which ``partners.apps`` runs on ``post_migrate``: only then do the permissions of
every app (billing, catalog, contracts migrate after partners) exist. This
migration only makes the groups exist, renaming the pre-matrix group names.
"""

from django.db import migrations

GROUPS = {
    "超级管理员": None,
    "运营": "运营 Operations",
    "销售": "销售 Sales",
    "财务": "财务 Finance",
}


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, legacy in GROUPS.items():
        if legacy and not Group.objects.filter(name=name).exists():
            Group.objects.filter(name=legacy).update(name=name)
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("partners", "0004_alter_benefit_position_and_more"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
