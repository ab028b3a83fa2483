import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import Failure

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _kpis(response) -> dict[str, object]:
    return {str(card.title): card.value for card in response.context["kpi_cards"]}


def test_dashboard_figures_come_from_the_database(staff_client):
    UserFactory.create_batch(3, is_staff=False)
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    kpis = _kpis(response)
    assert kpis["活跃合作伙伴用户"] == 3
    assert kpis["活跃员工"] == 1  # the superuser of the fixture
    assert kpis["失败任务（7天）"] == 0


def test_dashboard_counts_recent_failures(staff_client):
    now = timezone.now()
    Failure.objects.create(
        id="a" * 32, name="t", func="x.y", started=now, stopped=now, success=False
    )
    assert _kpis(staff_client.get("/admin/"))["失败任务（7天）"] == 1


def test_dashboard_lists_every_work_queue_even_when_empty(staff_client):
    response = staff_client.get("/admin/")
    html = response.content.decode()
    queues = {str(title): count for title, count, _link in response.context["work_queues"]}
    # the eight queues of the issue + 待复核财务操作 + the two 待退款 queues + 未匹配银行流水
    assert len(queues) == 12
    assert {"待退款付款", "待退款线上还款", "未匹配银行流水"} <= set(queues)
    assert set(queues.values()) == {0}
    # Zero-count queues are listed, not hidden, in full-contrast muted text (≥ 4.5:1): no
    # opacity (50 % of a grey gave about 2:1), no grey lighter than base-600.
    assert html.count("data-queue-empty") >= 12
    assert "opacity-50" not in html
    queue_html = html[
        html.index("data-work-queues") : html.index("</ul>", html.index("data-work-queues"))
    ]
    assert "text-base-400" not in queue_html and "text-base-500" not in queue_html
    assert "data-empty-state" not in html


def test_dashboard_shows_empty_state_without_queue_permissions(client):
    client.force_login(UserFactory(is_staff=True))
    html = client.get("/admin/").content.decode()
    assert "data-empty-state" in html


def _application(n: int):
    from partners.models import RegistrationApplication

    return RegistrationApplication.objects.create(
        company_name=f"队列公司{n}",
        contact_name="An",
        email=f"queue{n}@example.com",
        phone="13653812334",
        address="上海",
        agreed_at=timezone.now(),
        business_owner=UserFactory(is_staff=True),
    )


def test_every_queue_is_counted_in_one_query_and_opens_its_filtered_list(rf, superuser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backoffice.admin.dashboard import work_queues

    request = rf.get("/admin/")
    request.user = superuser
    sole = _application(1)
    with CaptureQueriesContext(connection) as captured:
        rows = work_queues(request)
    assert len(captured.captured_queries) == 1
    queues = {str(title): (count, link) for title, count, link in rows}
    assert len(queues) == 12
    count, link = queues["待审核注册申请"]
    # Even a sole application opens the list: its row's 确认 approves it there.
    assert sole.pk and (count, link) == (
        1,
        "/admin/partners/registrationapplication/?status=pending",
    )

    # The sidebar's badges ask again on the same page: no second query.
    with CaptureQueriesContext(connection) as captured:
        assert work_queues(request) == rows
    assert not captured.captured_queries

    _application(2)
    request = rf.get("/admin/")  # the next page counts afresh
    request.user = superuser
    count, link = {str(t): (c, li) for t, c, li in work_queues(request)}["待审核注册申请"]
    assert (count, link) == (2, "/admin/partners/registrationapplication/?status=pending")


@pytest.mark.parametrize(
    "language, title",
    [
        ("zh-hans", "账期额度使用接近上限（≥ 70 %）"),
        ("en", "Credit lines near their limit (≥ 70 %)"),
    ],
)
def test_the_credit_card_title_is_translated_with_one_percent_sign(staff_client, language, title):
    # A literal _("… % …") inside a template tag was looked up as "%%": English showed
    # "%%" and the Chinese msgid never matched.
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = staff_client.get("/admin/").content.decode()
    assert title in html
    assert "%%" not in html
