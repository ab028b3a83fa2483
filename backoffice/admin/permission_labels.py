"""Permission choices in the user's language.

Django stores a permission's name in English in the database ("Can add repayment of a
bill") and shows it as is. The group and user forms of the console show instead the
translated app and model names and the action (可添加 / 可修改 / 可删除 / 可查看), or the
translated custom permission name.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    action, _sep, model_name = permission.codename.partition("_")
    if action in DEFAULT_ACTIONS and model_name == model._meta.model_name:
        name = DEFAULT_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    app = model._meta.app_config.verbose_name
    return f"{app} | {model._meta.verbose_name} | {name}"


class TranslatedPermissionsMixin:
    """For the group and user admins: permission choices labelled by ``permission_label``."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field
