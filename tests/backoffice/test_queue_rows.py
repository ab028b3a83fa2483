"""Review queues' row actions (backoffice/admin/queues.py, ``QueueRowActionsMixin``).

确认 on a row is one POST through the queue's service; a GET, a refused role, a row out of
the role's scope, or a row already decided change nothing. 驳回 (and 确认 when input is
needed) opens the detail page.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Repayment, RepaymentStatus
from partners.models import ApplicationStatus, Company, RegistrationApplication
from partners.services import default_tier
from tests.billing.helpers import make_company, make_partner_user
from tests.billing.test_console_finance import submitted_repayment
from tests.factories import UserFactory, sales_staff

pytestmark = pytest.mark.django_db


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.fixture
def repayment(superuser):
    company = make_company("行操作公司")
    return submitted_repayment(company, make_partner_user(company), superuser)


def application(owner=None) -> RegistrationApplication:
    return RegistrationApplication.objects.create(
        company_name="两步公司",
        contact_name="An",
        email="two-clicks@example.com",
        phone="13653812334",
        address="上海",
        agreed_at=timezone.now(),
        business_owner=owner or UserFactory(is_staff=True),
    )


def large_grant_request(company, maker) -> None:
    """A rebate grant above FOUR_EYES_THRESHOLD: it waits for a second finance user."""
    from billing.models import PendingPostingKind
    from billing.services.approvals import posting_request

    posting_request(
        kind=PendingPostingKind.WALLET_GRANT,
        company_id=company.pk,
        currency="CNY",
        amount="20000",
        maker=maker,
        reason="大额发放",
        idempotency_key=f"four-eyes-{company.pk}",
    )


def test_the_queue_list_offers_confirm_and_reject_on_each_row(staff_client, repayment):
    html = staff_client.get(admin_url("billing_repayment_changelist")).content.decode()
    assert admin_url("billing_repayment_confirm_row", repayment.pk) in html
    assert admin_url("billing_repayment_reject_row", repayment.pk) in html
    assert "console/row-actions.js" in html  # the browser's confirm, then the POST


def test_a_get_confirms_nothing_and_opens_the_confirm_page(staff_client, repayment):
    response = staff_client.get(admin_url("billing_repayment_confirm_row", repayment.pk))
    assert response.status_code == 302
    assert response["Location"] == admin_url("billing_repayment_confirm_detail", repayment.pk)
    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.SUBMITTED


def test_a_post_confirms_through_the_service_and_goes_back_to_the_list(
    staff_client, superuser, repayment
):
    listing = admin_url("billing_repayment_changelist") + "?status=submitted&p=1"
    response = staff_client.post(
        admin_url("billing_repayment_confirm_row", repayment.pk),
        HTTP_REFERER=f"http://testserver{listing}",
    )
    assert response.status_code == 302 and response["Location"].endswith(listing)
    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.CONFIRMED and repayment.reviewed_by == superuser
    assert {bill.status for bill in repayment.bills.all()} == {"settled"}

    again = staff_client.post(admin_url("billing_repayment_confirm_row", repayment.pk), follow=True)
    assert messages_of(again)[-1][0] == "info"  # nothing posted twice
    assert Repayment.objects.get().status == RepaymentStatus.CONFIRMED


def test_reject_needs_a_reason_so_the_row_opens_the_reject_page(staff_client, repayment):
    for method in (staff_client.get, staff_client.post):
        response = method(admin_url("billing_repayment_reject_row", repayment.pk))
        assert response["Location"] == admin_url("billing_repayment_reject_detail", repayment.pk)
    assert Repayment.objects.get().status == RepaymentStatus.SUBMITTED


def test_a_role_without_the_permission_gets_no_button_and_a_403(client, repayment):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="billing", codename__startswith="view_")
    )
    client.force_login(viewer)
    html = client.get(admin_url("billing_repayment_changelist")).content.decode()
    assert admin_url("billing_repayment_confirm_row", repayment.pk) not in html
    assert client.post(admin_url("billing_repayment_confirm_row", repayment.pk)).status_code == 403
    assert Repayment.objects.get().status == RepaymentStatus.SUBMITTED


def test_a_registration_is_approved_from_its_row_with_the_default_tier(staff_client):
    pending = application()
    response = staff_client.post(
        admin_url("partners_registrationapplication_confirm_row", pending.pk), follow=True
    )
    pending.refresh_from_db()
    assert pending.status == ApplicationStatus.APPROVED
    assert pending.company.tier == default_tier()
    assert [level for level, _text in messages_of(response)] == ["success"]


def test_a_row_out_of_the_sales_scope_answers_404_and_changes_nothing(client):
    others = application()  # another salesperson's applicant
    seller = sales_staff()
    client.force_login(seller)
    url = admin_url("partners_registrationapplication_confirm_row", others.pk)
    assert client.post(url).status_code == 404
    others.refresh_from_db()
    assert others.status == ApplicationStatus.PENDING and not Company.objects.exists()


def test_the_maker_cannot_approve_their_own_posting_from_the_row(staff_client, superuser):
    from billing.models import PendingPosting

    large_grant_request(make_company("四眼公司"), superuser)
    pending = PendingPosting.objects.get()
    response = staff_client.post(
        admin_url("billing_pendingposting_confirm_row", pending.pk), follow=True
    )
    assert [level for level, _text in messages_of(response)] == ["info"]
    pending.refresh_from_db()
    assert pending.status == "pending"
