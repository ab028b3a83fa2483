"""Console: system (roles as groups, task queue and schedules)."""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin

from backoffice.schedules import schedule_title

from .base import BaseAdmin, ScopedViewsMixin, status_column
from .permission_labels import TranslatedPermissionsMixin

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, DjangoGroupAdmin, BaseAdmin):
    search_fields = ("name",)


for model in (Schedule, Success, Failure, OrmQ):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _console_admin(base: type) -> type:
    """django-q2's own ModelAdmin restyled by unfold (navigation.SIDEBAR places it in the 系统
    group), its object views behind the console's one scoped lookup like every other admin."""
    return type(
        base.__name__,
        (ScopedViewsMixin, base, ModelAdmin),
        {"show_full_result_count": False},
    )


class ScheduleAdmin(q_admin.ScheduleAdmin):
    """django-q2's schedule list with each schedule's human name (backoffice/schedules.py)
    instead of its dotted one."""

    list_display = tuple(
        "title" if column == "name" else column for column in q_admin.ScheduleAdmin.list_display
    )
    list_display_links = ("id", "title")

    @admin.display(description=_("Schedule"), ordering="name")
    def title(self, obj) -> str:
        return schedule_title(obj.name)


admin.site.register(Schedule, _console_admin(ScheduleAdmin))
admin.site.register(Success, _console_admin(q_admin.TaskAdmin))
admin.site.register(Failure, _console_admin(q_admin.FailAdmin))
admin.site.register(OrmQ, _console_admin(q_admin.QueueAdmin))

# django-axes' login-attempt screens, restyled and scoped the same way.
for model, base in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, _console_admin(base))


# --- notifications outbox ----------------------------------------------------------------

from django.contrib import messages  # noqa: E402
from django.http import HttpRequest, HttpResponseRedirect  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.translation import gettext  # noqa: E402
from unfold.decorators import action  # noqa: E402

from backoffice.core.mail import mail_retry  # noqa: E402
from backoffice.core.models import OutboundEmail, OutboundEmailStatus  # noqa: E402

from .base import ReadOnlyAdmin  # noqa: E402

OUTBOX_STATUS_LABELS = {
    OutboundEmailStatus.QUEUED: "info",
    OutboundEmailStatus.SENDING: "warning",
    OutboundEmailStatus.SENT: "success",
    OutboundEmailStatus.FAILED: "danger",
}
ONE_TIME_NOT_RETRIED = _(
    "Mails carrying a one-time code are not retried: the code was removed after the "
    "attempt. The user asks for a new code."
)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox: ``queued → sending → sent | failed`` (backoffice/core/mail.py). The lease
    column is the deadline the sweeper watches; a double delivery shares the Message-ID."""

    list_display = (
        "created_at",
        "to",
        "template",
        "language",
        "status_label",
        "attempts",
        "lease_until",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "language", "template")
    search_fields = ("to", "template", "subject")
    search_help_text = _("Search by recipient, template or subject")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields] + ["message_id"]
    actions = ("retry_selected",)
    actions_detail = ("retry_detail",)

    status_label = status_column(OUTBOX_STATUS_LABELS)

    @admin.display(description=_("Message-ID"))
    def message_id(self, obj: OutboundEmail) -> str:
        return obj.message_id

    @admin.display(description=_("error"))
    def short_error(self, obj: OutboundEmail) -> str:
        return obj.error[:80]

    def has_retry_permission(self, request: HttpRequest, object_id=None) -> bool:
        return request.user.has_perm("backoffice.view_outboundemail") and request.user.is_staff

    @admin.action(description=_("Retry failed mails"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset) -> None:
        ids = list(queryset.filter(status=OutboundEmailStatus.FAILED).values_list("pk", flat=True))
        count = sum(mail_retry(email_id=pk) for pk in ids)
        self.message_user(
            request,
            gettext("%(count)d mail(s) queued again.") % {"count": count},
            messages.SUCCESS,
        )
        if count < len(ids):
            self.message_user(request, ONE_TIME_NOT_RETRIED, messages.WARNING)

    @action(description=_("Retry"), url_path="retry", permissions=["retry"])
    def retry_detail(self, request: HttpRequest, object_id: str):
        email = self.get_object(request, object_id)
        if email is None or email.status != OutboundEmailStatus.FAILED:
            self.message_user(
                request, gettext("Only failed mails can be retried."), messages.WARNING
            )
        elif mail_retry(email_id=email.pk):
            self.message_user(request, gettext("The mail was queued again."), messages.SUCCESS)
        else:
            self.message_user(request, ONE_TIME_NOT_RETRIED, messages.WARNING)
        return HttpResponseRedirect(
            reverse("admin:backoffice_outboundemail_change", args=[object_id])
        )
