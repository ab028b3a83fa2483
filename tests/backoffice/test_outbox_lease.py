"""Outbox leases, the sweeper and one-time values (issue 22, finding 4 and "Also").

Fast unit tests of the claim / send / record steps and the sweeper; the end-to-end proof
with a killed qcluster on Redis and PostgreSQL is tests/backoffice/test_worker_kill.py.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from backoffice.core import mail as outbox
from backoffice.core.mail import (
    MASK,
    mail_enqueue,
    mail_retry,
    outbox_overdue,
    outbox_sweep,
    send_outbound_batch,
    send_outbound_email,
)
from backoffice.core.models import OutboundEmail, OutboundEmailStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "partners/mail/activation"
CONTEXT = {"name": "王", "company_name": "Acme", "link": "http://x/activate/t/", "valid_days": 3}
CODE_TEMPLATE = "billing/mail/credit_pay_code"


def queued(n: int = 1, **fields) -> list[OutboundEmail]:
    """Queued rows as mail_enqueue writes them, without their tasks."""
    values = {
        "template": TEMPLATE,
        "context": CONTEXT,
        "language": "zh-hans",
        "lease_until": timezone.now() + timedelta(minutes=2),
        **fields,
    }
    return [OutboundEmail.objects.create(to=f"u{i}@example.com", **values) for i in range(n)]


def expire(email: OutboundEmail, *, ago: timedelta = timedelta(seconds=1)) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(lease_until=timezone.now() - ago)


def sent_ids() -> list[str]:
    return [message.message()["Message-ID"] for message in mail.outbox]


def test_enqueue_gives_a_claim_deadline(settings):
    settings.OUTBOX_CLAIM_WITHIN_SECONDS = 120
    before = timezone.now()
    email = mail_enqueue(to="a@example.com", template=TEMPLATE, context=CONTEXT)
    assert email.status == OutboundEmailStatus.QUEUED and email.attempts == 0
    assert (
        before + timedelta(seconds=120)
        <= email.lease_until
        <= timezone.now() + timedelta(seconds=120)
    )


def test_claim_makes_the_row_sending_under_a_lease_before_anything_is_sent(settings):
    settings.OUTBOX_LEASE_SECONDS = 300
    (email,) = queued()
    claimed = outbox._claim(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENDING and email.attempts == 1
    assert email.claim_token == claimed.claim_token and len(email.claim_token) == 16
    assert email.claimed_by and email.lease_until > timezone.now() + timedelta(seconds=290)
    assert mail.outbox == []
    # A second task for the same mail finds it claimed and leaves it alone.
    assert send_outbound_email(email.pk) == "skipped" and mail.outbox == []
    assert outbox._deliver(claimed) == "sent"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.lease_until is None
    assert send_outbound_email(email.pk) == "skipped" and len(mail.outbox) == 1


def test_sweeper_requeues_an_expired_lease_and_a_batch_sends_it_once(
    django_capture_on_commit_callbacks,
):
    (email,) = queued()
    outbox._claim(email_id=email.pk)  # the worker that claimed it is killed here
    assert outbox_sweep() == {"requeued": 0, "failed": 0, "due": 0, "batches": 0}  # lease live
    expire(email)
    with django_capture_on_commit_callbacks(execute=True):
        report = outbox_sweep()
    assert report == {"requeued": 1, "failed": 0, "due": 1, "batches": 1}
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 2
    assert sent_ids() == [email.message_id]


def test_sweeper_sends_queued_mails_whose_task_was_lost(django_capture_on_commit_callbacks):
    late, on_time = queued(2)
    expire(late)
    with django_capture_on_commit_callbacks(execute=True):
        report = outbox_sweep()
    assert report == {"requeued": 0, "failed": 0, "due": 1, "batches": 1}
    late.refresh_from_db()
    assert late.status == OutboundEmailStatus.SENT
    # The batch takes every queued mail, the one whose own task may still come too: that
    # task then finds it sent.
    on_time.refresh_from_db()
    assert on_time.status == OutboundEmailStatus.SENT
    assert send_outbound_email(on_time.pk) == "skipped"
    assert sorted(sent_ids()) == sorted([late.message_id, on_time.message_id])


def test_sweeper_queues_one_batch_per_fifty_due_mails_at_most_four():
    rows = queued(3)
    for row in rows:
        expire(row)
    assert outbox_sweep()["batches"] == 1
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                to="x@example.com", template=TEMPLATE, lease_until=timezone.now(), language="en"
            )
            for _ in range(250)
        ]
    )
    assert outbox_sweep(now=timezone.now() + timedelta(seconds=1))["batches"] == 4


def test_attempts_are_capped_then_the_mail_fails_with_its_message_id(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    (email,) = mail_enqueue_code()
    for attempt in (1, 2):
        outbox._claim(email_id=email.pk)
        expire(email)
        outbox_sweep()
        email.refresh_from_db()
        assert email.attempts == attempt
    assert email.status == OutboundEmailStatus.FAILED and email.lease_until is None
    assert email.message_id in email.error and "2 times" in email.error
    assert email.context["code"] == MASK
    assert mail_retry(email_id=email.pk) is False  # its code is gone: the user asks again
    assert mail.outbox == []


def test_a_late_record_after_the_row_was_reclaimed_is_refused():
    (email,) = queued()
    first = outbox._claim(email_id=email.pk)
    expire(email)
    outbox_sweep()
    second = outbox._claim()
    assert second.claim_token != first.claim_token and second.attempts == 2
    # The first worker wakes up: its send happened, its record is refused.
    assert outbox._deliver(first) == "lost-lease"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENDING
    assert outbox._deliver(second) == "sent"
    # Both deliveries carry the same Message-ID: the double send is recognisable.
    assert sent_ids() == [email.message_id, email.message_id]


def test_a_late_record_before_anyone_reclaimed_still_counts():
    (email,) = queued()
    claim = outbox._claim(email_id=email.pk)
    expire(email)
    outbox_sweep()  # queued again, not yet claimed
    assert outbox._deliver(claim) == "sent"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT
    assert send_outbound_batch() == {} and len(mail.outbox) == 1


def test_batch_claims_oldest_first_up_to_its_limit():
    rows = queued(4)
    expire(rows[2], ago=timedelta(minutes=5))
    outbox._claim(email_id=rows[3].pk)  # another worker holds it
    assert send_outbound_batch(limit=2) == {"sent": 2}
    assert mail.outbox[0].to == [rows[2].to]
    statuses = dict(OutboundEmail.objects.values_list("pk", "status"))
    assert statuses[rows[3].pk] == OutboundEmailStatus.SENDING
    assert sorted(statuses.values()).count(OutboundEmailStatus.SENT) == 2
    assert send_outbound_batch() == {"sent": 1}


def test_failed_send_is_recorded_and_retried_by_staff():
    (email,) = queued(template="no/such/template")
    assert send_outbound_email(email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.FAILED and email.lease_until is None
    assert "TemplateDoesNotExist" in email.error
    OutboundEmail.objects.filter(pk=email.pk).update(template=TEMPLATE)
    assert mail_retry(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.QUEUED and email.lease_until > timezone.now()
    assert mail_retry(email_id=email.pk) is False  # only failed mails


# --- one-time values ---------------------------------------------------------------------


def mail_enqueue_code(code: str = "493817") -> list[OutboundEmail]:
    return [
        mail_enqueue(
            to="c@example.com",
            template=CODE_TEMPLATE,
            context={"code": code, "minutes": 10},
            sensitive_keys=("code",),
        )
    ]


def test_a_one_time_code_is_stored_until_sent_then_masked():
    (email,) = mail_enqueue_code("493817")
    email.refresh_from_db()
    assert email.context == {"code": "493817", "minutes": 10}  # needed to send it
    assert email.sensitive_keys == ["code"]
    assert send_outbound_email(email.pk) == "sent"
    assert "493817" in mail.outbox[0].body
    email.refresh_from_db()
    assert email.context == {"code": MASK, "minutes": 10}
    stored = " ".join(str(getattr(email, f.attname)) for f in OutboundEmail._meta.fields)
    assert "493817" not in stored


def test_a_one_time_code_is_masked_in_the_subject_and_error_too():
    (email,) = queued(template="no/such/template", context={"code": "771100"})
    email.sensitive_keys = ["code"]
    email.save()
    claim = outbox._claim(email_id=email.pk)
    assert outbox._record(claim, status="failed", subject="code 771100", error="x 771100") == (
        "failed"
    )
    email.refresh_from_db()
    assert (email.subject, email.error, email.context) == (
        f"code {MASK}",
        f"x {MASK}",
        {"code": MASK},
    )


def test_credit_pay_code_mail_keeps_no_code_after_sending(django_capture_on_commit_callbacks):
    from billing.services.credit import credit_code_send

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        credit_code_send(user=user, purpose="checkout:1")
    email = OutboundEmail.objects.get()
    code = email.context["code"]
    assert len(code) == 6 and email.status == OutboundEmailStatus.QUEUED
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.context["code"] == MASK
    assert code in mail.outbox[0].body


# --- invariant ---------------------------------------------------------------------------


def test_overdue_lists_pending_mails_the_sweeper_should_have_moved():
    fresh, late_queued, late_sending, done = queued(4)
    expire(late_queued, ago=timedelta(minutes=11))
    outbox._claim(email_id=late_sending.pk)
    expire(late_sending, ago=timedelta(minutes=11))
    OutboundEmail.objects.filter(pk=done.pk).update(
        status=OutboundEmailStatus.SENT, lease_until=timezone.now() - timedelta(days=1)
    )
    assert [row["pk"] for row in outbox_overdue()] == [late_queued.pk, late_sending.pk]
    assert outbox_overdue(now=timezone.now() - timedelta(minutes=5)) == []
    OutboundEmail.objects.filter(pk=fresh.pk).update(lease_until=None)
    assert fresh.pk in [row["pk"] for row in outbox_overdue()]


def test_check_ledgers_fails_on_a_stuck_outbox_row(capsys):
    call_command("check_ledgers")
    (email,) = queued()
    expire(email, ago=timedelta(minutes=30))
    with pytest.raises(Exception, match="1 "):
        call_command("check_ledgers")
    assert f"outbox_overdue: {{'pk': {email.pk}" in capsys.readouterr().out


# --- schedule ----------------------------------------------------------------------------


def test_sweeper_is_scheduled_every_minute_from_the_deploy_on():
    from django_q.models import Schedule

    from backoffice.schedules import schedules_sync

    now = timezone.now()
    schedules_sync(now=now)
    sweep = Schedule.objects.get(name="outbox.sweep")
    assert (sweep.func, sweep.schedule_type, sweep.minutes) == (
        "backoffice.core.mail.outbox_sweep",
        Schedule.MINUTES,
        1,
    )
    # a minute after the deploy, not at 00:01 tomorrow
    assert sweep.next_run == now + timedelta(minutes=1)
    # A minute schedule an older release set up for a time of day is pulled in ...
    Schedule.objects.filter(name="outbox.sweep").update(next_run=now + timedelta(hours=20))
    later = now + timedelta(minutes=3)
    schedules_sync(now=later)
    assert Schedule.objects.get(name="outbox.sweep").next_run == later + timedelta(minutes=1)
    # ... and a running one is left alone.
    assert schedules_sync(now=later + timedelta(seconds=20)) == (0, 0)


# --- console -----------------------------------------------------------------------------


def test_console_outbox_shows_states_lease_and_message_id(staff_client):
    rows = queued(4)
    for row, status in zip(rows, OutboundEmailStatus.values, strict=True):
        OutboundEmail.objects.filter(pk=row.pk).update(status=status)
    from backoffice.admin.base import _label_html
    from backoffice.admin.system import OUTBOX_STATUS_LABELS

    page = staff_client.get("/admin/backoffice/outboundemail/").content.decode()
    assert set(OUTBOX_STATUS_LABELS) == set(OutboundEmailStatus)
    for status, colour in OUTBOX_STATUS_LABELS.items():
        assert _label_html(str(status.label), colour) in page  # unfold's coloured badge
    detail = staff_client.get(f"/admin/backoffice/outboundemail/{rows[0].pk}/change/")
    assert rows[0].message_id.strip("<>") in detail.content.decode()


def test_console_retry_refuses_a_mail_whose_code_was_masked(staff_client, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    (email,) = mail_enqueue_code()
    outbox._claim(email_id=email.pk)
    expire(email)
    outbox_sweep()
    response = staff_client.get(f"/admin/backoffice/outboundemail/{email.pk}/retry/", follow=True)
    assert "one-time code" in response.content.decode() or "验证码" in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.FAILED


# --- concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_send_every_mail_once():
    """Four workers' batches drain 40 mails side by side: skip_locked hands each row to one."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    rows = queued(40)
    barrier = Barrier(4)

    def worker() -> dict:
        try:
            barrier.wait()
            return send_outbound_batch()
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = [future.result() for future in [pool.submit(worker) for _ in range(4)]]
    assert sum(result.get("sent", 0) for result in results) == 40
    assert Counter(sent_ids()) == Counter({row.message_id: 1 for row in rows})
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
