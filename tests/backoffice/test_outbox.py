import pytest
from django.core import mail
from django.db import transaction

from backoffice.core.mail import mail_enqueue, mail_retry, send_outbound_email
from backoffice.core.models import OutboundEmail, OutboundEmailStatus

TEMPLATE = "partners/mail/activation"
CONTEXT = {"name": "王", "company_name": "Acme", "link": "http://x/activate/t/", "valid_days": 3}


@pytest.mark.django_db(transaction=True)
def test_mail_is_recorded_and_sent_after_commit_only():
    with transaction.atomic():
        mail_enqueue(to="a@example.com", template=TEMPLATE, context=CONTEXT)
        assert len(mail.outbox) == 0
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 1
    assert email.lease_until is None and email.sent_at is not None and email.claimed_by
    assert len(mail.outbox) == 1 and "激活" in mail.outbox[0].subject
    assert mail.outbox[0].message()["Message-ID"] == email.message_id
    assert email.message_id == f"<outbox-{email.pk}-{email.message_token}@example.com>"


@pytest.mark.django_db(transaction=True)
def test_rollback_leaves_no_mail_and_no_outbox_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_enqueue(to="a@example.com", template=TEMPLATE, context=CONTEXT)
        raise RuntimeError
    assert OutboundEmail.objects.count() == 0 and len(mail.outbox) == 0


@pytest.mark.django_db
def test_english_template_and_idempotent_send():
    email = OutboundEmail.objects.create(
        to="b@example.com", template=TEMPLATE, context=CONTEXT, language="en"
    )
    assert send_outbound_email(email.pk) == "sent"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 1
    assert send_outbound_email(email.pk) == "skipped"
    assert len(mail.outbox) == 1 and "activate" in mail.outbox[0].subject.lower()


@pytest.mark.django_db
def test_failure_is_recorded_and_retry_from_the_console(
    staff_client, settings, django_capture_on_commit_callbacks
):
    email = OutboundEmail.objects.create(
        to="c@example.com", template="no/such/template", context={}, language="zh-hans"
    )
    assert send_outbound_email(email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.FAILED and "TemplateDoesNotExist" in email.error
    email.template = TEMPLATE
    email.context = CONTEXT
    email.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.get(f"/admin/backoffice/outboundemail/{email.pk}/retry/")
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 2
    assert mail_retry(email_id=email.pk) is False  # a sent mail is not queued again
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT
