"""Consultation tickets (4.8), trial requests (4.9) and the staff lead queues."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog import leads
from catalog.models import ConsultationTicket, LeadStatus, TrialRequest
from tests.catalog.factories import SolutionFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerUserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")

TICKET = {
    "service_type": "presales",
    "support_category": "product",
    "subject": "咨询迁移方案",
    "details": "我们有 50 台服务器需要迁移到蓝云，请联系。",
    "name": "王小明",
    "phone": "13800001111",
    "email": "wang@example.com",
    "company_name": "上海示例科技有限公司",
}
TRIAL = {
    "name": "李雷",
    "email": "lilei@example.com",
    "phone": "+86 139-0000-2222",
    "company_name": "示例经销商",
    "remarks": "希望试用一个月",
}


def _png(name="shot.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _private_files() -> set[str]:
    root = settings.MEDIA_ROOT / "private" / "tickets"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def solution():
    return SolutionFactory(
        name="SaaSaMe Transport", slug="saasame", published=True, trial_enabled=True
    )


# --------------------------------------------------------------------------
# Tickets
# --------------------------------------------------------------------------


def test_ticket_page_renders_the_spec_fields(client, solution):
    html = client.get("/tickets/new/", {"solution": "saasame"}).content.decode()
    for label in (
        "在线创建工单",
        "服务类型",
        "支持类别",
        "服务主题",
        "服务详情",
        "上传附件",
        "姓名",
        "电话号码",
        "邮箱",
        "公司名称",
        "请描述您的信息（300字以内）",
        "请输入您的称呼",
        "提交",
        "取消",
    ):
        assert label in html, label
    assert 'maxlength="300"' in html
    assert "csrfmiddlewaretoken" in html
    partial = client.get("/tickets/new/", {"partial": "1"}).content.decode()
    assert "在线创建工单" in partial and "<html" not in partial


def test_ticket_happy_path_links_the_solution_and_mails_the_requester(
    client, solution, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tickets/new/?solution=saasame", TICKET)
    assert response.status_code == 302
    assert response.url == "/solutions/saasame/"
    ticket = ConsultationTicket.objects.get()
    assert ticket.solution == solution
    assert ticket.status == LeadStatus.NEW
    assert ticket.subject == "咨询迁移方案" and ticket.phone == "13800001111"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["wang@example.com"]
    assert "咨询迁移方案" in mail.subject
    assert "蓝云将在1个工作日内与您联系" in mail.body
    assert "王小明" in mail.body and "SaaSaMe Transport" in mail.body
    follow = client.get(response.url).content.decode()
    assert "工单已提交" in follow


def test_ticket_next_parameter_must_be_local(client, solution, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tickets/new/", {**TICKET, "next": "https://evil.example/"})
        assert response.url == "/"
        response = client.post("/tickets/new/", {**TICKET, "next": "/products/?q=x"})
        assert response.url == "/products/?q=x"


def test_ticket_prefills_logged_in_partner(client):
    user = PartnerUserFactory(name="张三", email="zhang@example.com", company__name="蓝云经销商A")
    client.force_login(user)
    html = client.get("/tickets/new/").content.decode()
    assert 'value="张三"' in html and 'value="zhang@example.com"' in html
    assert 'value="蓝云经销商A"' in html


def test_ticket_service_fills_blanks_from_the_user(django_capture_on_commit_callbacks):
    user = PartnerUserFactory(name="张三", email="zhang@example.com", company__name="蓝云经销商A")
    data = {**TICKET, "name": "", "email": "", "company_name": ""}
    with django_capture_on_commit_callbacks(execute=True):
        ticket = leads.ticket_create(data=data, user=user)
    assert (ticket.name, ticket.email, ticket.company_name) == (
        "张三",
        "zhang@example.com",
        "蓝云经销商A",
    )
    assert ticket.user == user


def test_details_of_301_characters_are_refused(client):
    with pytest.raises(ValidationError) as exc:
        leads.ticket_create(data={**TICKET, "details": "字" * 301})
    assert "details" in exc.value.message_dict
    response = client.post("/tickets/new/", {**TICKET, "details": "字" * 301})
    assert response.status_code == 200
    assert "300" in response.content.decode()
    assert not ConsultationTicket.objects.exists()
    leads.ticket_create(data={**TICKET, "details": "字" * 300})
    assert ConsultationTicket.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call me"), ("email", "not-an-email"), ("service_type", "bogus"), ("subject", "")],
)
def test_invalid_ticket_fields_are_refused(field, value):
    with pytest.raises(ValidationError) as exc:
        leads.ticket_create(data={**TICKET, field: value})
    assert field in exc.value.message_dict
    assert not ConsultationTicket.objects.exists()


def test_disguised_attachment_is_refused_and_nothing_is_stored(client, mailoutbox):
    before = _private_files()
    fake = SimpleUploadedFile("screen.png", b"<html><script>alert(1)</script></html>", "image/png")
    response = client.post("/tickets/new/", {**TICKET, "attachment": fake})
    assert response.status_code == 200
    assert "PNG" in response.content.decode()
    assert not ConsultationTicket.objects.exists()
    assert _private_files() == before
    assert mailoutbox == []


def test_real_attachment_is_stored_privately_under_a_random_name(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tickets/new/", {**TICKET, "attachment": _png("我的截图.png")})
    assert response.status_code == 302
    ticket = ConsultationTicket.objects.get()
    assert ticket.attachment.name.startswith("tickets/")
    assert "我的截图" not in ticket.attachment.name
    path = settings.MEDIA_ROOT / "private" / ticket.attachment.name
    assert path.exists()
    # No public URL reaches it.
    assert client.get(f"/media/{ticket.attachment.name}").status_code == 404
    assert client.get(f"/media/private/{ticket.attachment.name}").status_code == 404
    path.unlink()


# --------------------------------------------------------------------------
# Trials
# --------------------------------------------------------------------------


def test_trial_happy_path(client, solution, mailoutbox, django_capture_on_commit_callbacks):
    html = client.get("/solutions/saasame/trial/").content.decode()
    for label in ("申请试用", "姓名", "邮箱", "电话号码", "公司名称", "备注", "提交", "取消"):
        assert label in html, label
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/solutions/saasame/trial/", TRIAL)
    assert response.status_code == 302 and response.url == "/solutions/saasame/"
    trial = TrialRequest.objects.get()
    assert trial.solution == solution and trial.remarks == "希望试用一个月"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["lilei@example.com"]
    assert "蓝云将在1个工作日内与您联系并提供试用信息" in mailoutbox[0].body


def test_trial_requires_phone_and_short_remarks(client, solution):
    with pytest.raises(ValidationError) as exc:
        leads.trial_create(solution=solution, data={**TRIAL, "phone": ""})
    assert "phone" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        leads.trial_create(solution=solution, data={**TRIAL, "remarks": "x" * 301})
    assert "remarks" in exc.value.message_dict
    response = client.post("/solutions/saasame/trial/", {**TRIAL, "phone": ""})
    assert response.status_code == 200
    assert not TrialRequest.objects.exists()


def test_trial_of_a_solution_without_trial_is_404(client):
    SolutionFactory(slug="no-trial", published=True, trial_enabled=False)
    assert client.get("/solutions/no-trial/trial/").status_code == 404
    assert client.post("/solutions/no-trial/trial/", TRIAL).status_code == 404
    assert not TrialRequest.objects.exists()


# --------------------------------------------------------------------------
# Overdue: "contact within 1 working day"
# --------------------------------------------------------------------------


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("created", "not_yet", "overdue"),
    [
        # Thursday 15:00 → due Friday 15:00
        (_at(2026, 11, 26, 15), _at(2026, 11, 27, 14, 59), _at(2026, 11, 27, 15, 1)),
        # Friday 15:00 → the weekend does not count → due Monday 15:00
        (_at(2026, 11, 27, 15), _at(2026, 11, 30, 14, 59), _at(2026, 11, 30, 15, 1)),
        # Saturday 10:00 → the clock starts Monday 00:00 → due Tuesday 00:00
        (_at(2026, 11, 28, 10), _at(2026, 11, 30, 23, 59), _at(2026, 12, 1, 0, 1)),
    ],
)
def test_overdue_skips_the_weekend(created, not_yet, overdue):
    lead = TrialRequest(created_at=created, status=LeadStatus.NEW)
    assert not leads.lead_is_overdue(lead, not_yet)
    assert leads.lead_is_overdue(lead, overdue)
    lead.status = LeadStatus.IN_PROGRESS
    assert not leads.lead_is_overdue(lead, overdue)


# --------------------------------------------------------------------------
# Status transitions, assignment, reply
# --------------------------------------------------------------------------


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="agent@example.com", name="客服小王")


@pytest.fixture
def ticket():
    return leads.ticket_create(data=TICKET)


ALLOWED = {
    ("new", "in_progress"),
    ("new", "closed"),
    ("in_progress", "closed"),
    ("closed", "in_progress"),
}


@pytest.mark.parametrize("old", LeadStatus.values)
@pytest.mark.parametrize("new", LeadStatus.values)
def test_status_transition_table(ticket, staff, old, new):
    ConsultationTicket.objects.filter(pk=ticket.pk).update(status=old)
    ticket.refresh_from_db()
    if (old, new) in ALLOWED:
        leads.lead_set_status(lead=ticket, status=new, actor=staff)
        ticket.refresh_from_db()
        assert ticket.status == new
        assert ticket.history.first().history_user == staff
    else:
        with pytest.raises(ValidationError):
            leads.lead_set_status(lead=ticket, status=new, actor=staff)
        ticket.refresh_from_db()
        assert ticket.status == old


def test_assign_only_to_active_staff(ticket, staff):
    leads.lead_assign(lead=ticket, assignee=staff)
    ticket.refresh_from_db()
    assert ticket.assignee == staff
    with pytest.raises(ValidationError):
        leads.lead_assign(lead=ticket, assignee=PartnerUserFactory())


def test_reply_mails_the_requester_and_notes_it(
    ticket, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        leads.lead_reply(lead=ticket, message="您好，方案报价已发送。", actor=staff)
    ticket.refresh_from_db()
    assert ticket.status == LeadStatus.IN_PROGRESS
    assert "客服小王" in ticket.internal_notes and "您好，方案报价已发送。" in ticket.internal_notes
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["wang@example.com"] and "方案报价已发送" in mailoutbox[0].body
    with pytest.raises(ValidationError):
        leads.lead_reply(lead=ticket, message="  ", actor=staff)


def test_notes_keep_within_their_limit(ticket, staff):
    for i in range(30):
        leads.lead_reply(lead=ticket, message=f"第{i}次回复 " + "x" * 80, actor=staff)
    ticket.refresh_from_db()
    assert len(ticket.internal_notes) <= leads.NOTES_MAX_LENGTH
    assert "第29次回复" in ticket.internal_notes


# --------------------------------------------------------------------------
# Console
# --------------------------------------------------------------------------


def test_admin_queue_defaults_to_open_leads_and_marks_overdue(staff_client, staff):
    old = leads.ticket_create(data={**TICKET, "subject": "很久以前的工单"})
    ConsultationTicket.objects.filter(pk=old.pk).update(created_at=_at(2020, 1, 6, 9))
    closed = leads.ticket_create(data={**TICKET, "subject": "已经关闭的工单"})
    leads.lead_set_status(lead=closed, status=LeadStatus.CLOSED, actor=staff)
    leads.ticket_create(data={**TICKET, "subject": "刚刚提交的工单"})

    url = reverse("admin:catalog_consultationticket_changelist")
    html = staff_client.get(url).content.decode()
    assert "很久以前的工单" in html and "刚刚提交的工单" in html
    assert "已经关闭的工单" not in html
    assert html.count("已逾期") >= 1
    html = staff_client.get(url, {"status": "all"}).content.decode()
    assert "已经关闭的工单" in html
    html = staff_client.get(url, {"status": "closed"}).content.decode()
    assert "已经关闭的工单" in html and "刚刚提交的工单" not in html


def test_admin_queue_query_count_does_not_grow(staff_client, staff, django_assert_max_num_queries):
    url = reverse("admin:catalog_trialrequest_changelist")
    solution = SolutionFactory(published=True, trial_enabled=True)
    trial = leads.trial_create(solution=solution, data=TRIAL)
    leads.lead_assign(lead=trial, assignee=staff)
    staff_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for i in range(15):
        other = SolutionFactory(published=True, trial_enabled=True)
        t = leads.trial_create(solution=other, data={**TRIAL, "name": f"申请人{i}"})
        leads.lead_assign(lead=t, assignee=staff)
    with django_assert_max_num_queries(len(few)):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_admin_reply_action_sends_the_mail(
    staff_client, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:catalog_consultationticket_reply_detail", args=[ticket.pk])
    page = staff_client.get(url)
    assert page.status_code == 200 and "邮件回复" in page.content.decode()
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"message": "您好，我们已安排顾问联系您。"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == LeadStatus.IN_PROGRESS
    assert "已安排顾问联系您" in ticket.internal_notes
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["wang@example.com"]
    # An empty reply is a form error, nothing is sent.
    response = staff_client.post(url, {"message": ""})
    assert response.status_code == 200 and len(mailoutbox) == 1


def test_admin_bulk_actions_assign_and_close(staff_client, superuser, ticket):
    url = reverse("admin:catalog_consultationticket_changelist")
    response = staff_client.post(
        url, {"action": "assign_to_me", "_selected_action": [ticket.pk]}, follow=True
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == superuser
    staff_client.post(url, {"action": "mark_closed", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.status == LeadStatus.CLOSED
    # closed → closed is not a move: reported as an error, nothing changes.
    response = staff_client.post(
        f"{url}?status=all", {"action": "mark_closed", "_selected_action": [ticket.pk]}, follow=True
    )
    assert "未更改" in response.content.decode()


def test_admin_change_form_saves_assignee_and_notes_through_the_service(
    staff_client, staff, ticket
):
    url = reverse("admin:catalog_consultationticket_change", args=[ticket.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"assignee": staff.pk, "internal_notes": "已电话联系"})
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.assignee == staff and ticket.internal_notes == "已电话联系"
    assert ticket.status == LeadStatus.NEW  # status is read-only in the form


def test_admin_attachment_download_is_staff_only(
    client, staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = leads.ticket_create(data=TICKET, attachment=_png())
    url = reverse("admin:catalog_consultationticket_attachment", args=[ticket.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    client.logout()
    assert client.get(url).status_code == 302  # to the console login
    (settings.MEDIA_ROOT / "private" / ticket.attachment.name).unlink()
