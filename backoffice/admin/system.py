"""Console: system (roles as groups, task queue and schedules)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin

from .base import BaseAdmin
from .navigation import NavGroup

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin, BaseAdmin):
    nav_group = NavGroup.SYSTEM
    nav_icon = "admin_panel_settings"
    nav_order = 10
    search_fields = ("name",)


for model in (Schedule, Success, Failure, OrmQ):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _console_admin(base: type, icon: str, order: int) -> type:
    """django-q2's own ModelAdmin restyled by unfold and placed in the 系统 group."""
    return type(
        base.__name__,
        (base, ModelAdmin),
        {
            "nav_group": NavGroup.SYSTEM,
            "nav_icon": icon,
            "nav_order": order,
            "show_full_result_count": False,
        },
    )


admin.site.register(Schedule, _console_admin(q_admin.ScheduleAdmin, "event_repeat", 20))
admin.site.register(Success, _console_admin(q_admin.TaskAdmin, "task_alt", 30))
admin.site.register(Failure, _console_admin(q_admin.FailAdmin, "error", 40))
admin.site.register(OrmQ, _console_admin(q_admin.QueueAdmin, "queue", 50))
