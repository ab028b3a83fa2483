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


@admin.register(Schedule)
class ScheduleAdmin(q_admin.ScheduleAdmin, ModelAdmin):
    nav_group = NavGroup.SYSTEM
    nav_icon = "event_repeat"
    nav_order = 20
    show_full_result_count = False


@admin.register(Success)
class SuccessAdmin(q_admin.TaskAdmin, ModelAdmin):
    nav_group = NavGroup.SYSTEM
    nav_icon = "task_alt"
    nav_order = 30
    show_full_result_count = False


@admin.register(Failure)
class FailureAdmin(q_admin.FailAdmin, ModelAdmin):
    nav_group = NavGroup.SYSTEM
    nav_icon = "error"
    nav_order = 40
    show_full_result_count = False


@admin.register(OrmQ)
class QueueAdmin(q_admin.QueueAdmin, ModelAdmin):
    nav_group = NavGroup.SYSTEM
    nav_icon = "queue"
    nav_order = 50
    show_full_result_count = False
