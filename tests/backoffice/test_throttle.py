"""Throttling of the anonymous forms (backoffice/throttle.py, issue 14 "Hardening").

The counter itself (sliding window, refused attempts not counted, the wait it names),
then each form: the attempt after the limit is refused per address and per e-mail,
with the translated message in the page's own layout, status 429 and nothing stored or
mailed; another address or e-mail is not affected.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import ngettext

from backoffice.core.models import OutboundEmail
from backoffice.throttle import Rate, Refusal, client_address, throttle_hit
from catalog.models import ConsultationTicket, TrialRequest
from partners.models import RegistrationApplication, User
from tests.catalog.factories import SolutionFactory
from tests.factories import sales_staff
from tests.files import pdf_bytes
from tests.partners.factories import PartnerUserFactory

# --------------------------------------------------------------------------
# The counter
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/h", Rate(5, 3600)),
        ("20/15m", Rate(20, 900)),
        (" 3 / 10s ", Rate(3, 10)),
        ("100/d", Rate(100, 86400)),
    ],
)
def test_rate_parse(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "5", "0/h", "5/0h", "5/w", "five/h", "-1/h", None])
def test_a_bad_rate_is_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        Rate.parse(text)


RATE = Rate(count=3, period=100)


def hit(now: float, value: str = "a") -> Refusal | None:
    return throttle_hit("test", "ip", value, RATE, now=now)


def test_the_attempt_after_the_limit_is_refused_with_the_real_wait():
    assert [hit(1000 + t) for t in (0, 1, 2)] == [None, None, None]
    refusal = hit(1003)
    # Allowed again once 3 * (1 - elapsed) + 1 <= 3 in the next window: 1/3 into it.
    assert refusal == Refusal(wait=131)  # ceil(1133.33 - 1003)
    assert hit(1133) is not None
    assert hit(1134) is None


def test_refused_attempts_are_not_counted():
    for t in (0, 1, 2):
        hit(1000 + t)
    for t in range(3, 50):
        assert hit(1000 + t) is not None
    assert hit(1134) is None


def test_the_window_slides_instead_of_resetting_at_its_edge():
    for t in (90, 95, 99):  # end of window 10 (1000..1099)
        assert hit(1000 + t) is None
    # A fixed window would allow 3 more at 1100; the previous window still weighs 3*0.99.
    assert hit(1101) is not None
    assert hit(1160) is None  # 3 * 0.4 + 1 <= 3
    assert hit(1161) == Refusal(wait=6)  # 3 * 0.39 + 2 > 3 until 2/3 into the window
    assert hit(1167) is None  # 3 * 0.33 + 2 <= 3
    assert hit(1199) is not None  # 3 * 0.01 + 3 > 3
    assert hit(1200) is None  # the next window: 2 accepted in the last 100 s, plus this one
    assert hit(1201) is not None  # 2 * 0.99 + 2 > 3


def test_values_are_counted_apart_and_not_stored_in_clear():
    for t in (0, 1, 2):
        hit(1000 + t, "boss@example.com")
    assert hit(1003, "boss@example.com") is not None
    assert hit(1003, "other@example.com") is None
    keys = list(cache._cache.keys())  # locmem
    assert keys and not any("example.com" in key for key in keys)


def test_an_ipv6_client_counts_per_64_network():
    factory = RequestFactory()

    def address(remote: str) -> str:
        return client_address(factory.get("/", REMOTE_ADDR=remote))

    assert address("2001:db8:1:2::1") == address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address("2001:db8:1:3::1") != address("2001:db8:1:2::1")
    assert address("203.0.113.7") == "203.0.113.7"


def test_the_message_is_translated():
    with translation.override("zh-hans"):
        assert Refusal(wait=30).message == ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.",
            1,
        ) % {"minutes": 1}
        assert "尝试" in Refusal(wait=3600).message and "60" in Refusal(wait=3600).message


# --------------------------------------------------------------------------
# The forms
# --------------------------------------------------------------------------

IP_LIMIT, EMAIL_LIMIT = 3, 2
SCOPES = ("registration", "password_reset", "activation_resend", "ticket", "trial")


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.THROTTLE_RATES = {
        scope: {"ip": f"{IP_LIMIT}/h", "email": f"{EMAIL_LIMIT}/h"} for scope in SCOPES
    }


@dataclass
class Form:
    url: str
    data: Callable[[str, int], dict]  # (e-mail, attempt number) -> POST data
    done_status: int  # the answer of an accepted attempt
    rows: Callable[[], int]  # what an accepted attempt stores
    title: str  # the page's own heading, shown around the message
    setup: Callable[[], None] = lambda: None
    account_for: bool = False  # make an activated/unactivated account for each e-mail


def _registration(email: str, n: int) -> dict:
    return {
        "company_name": f"限流测试公司{n}",
        "business_owner": str(sales_staff().pk),
        "files": [SimpleUploadedFile("营业执照.pdf", pdf_bytes(), "application/pdf")],
        "contact_name": "张三",
        "email": email,
        "phone": "13800001111",
        "address": "上海",
        "agree": "on",
    }


def _ticket(email: str, n: int) -> dict:
    return {
        "service_type": "presales",
        "support_category": "product",
        "subject": f"咨询{n}",
        "details": "请联系我们。",
        "name": "王小明",
        "email": email,
        "company_name": "上海示例科技有限公司",
    }


def _trial(email: str, n: int) -> dict:
    return {"name": "李雷", "email": email, "phone": "13900002222", "company_name": "示例"}


def _email_only(url: str, status: int, title: str) -> Form:
    """A form of the e-mail alone, about an existing account, that stores nothing."""
    return Form(url, lambda email, n: {"email": email}, status, lambda: 0, title, account_for=True)


def _solution():
    SolutionFactory(name="SaaSaMe", slug="saasame", published=True, trial_enabled=True)


FORMS = {
    "registration": Form(
        "/register/", _registration, 302, RegistrationApplication.objects.count, "云睐经销商申请表"
    ),
    "password_reset": _email_only("/password-reset/", 302, "重置密码"),
    "activation_resend": _email_only("/activate/resend/", 200, "重新发送激活邮件"),
    "ticket": Form("/tickets/new/", _ticket, 302, ConsultationTicket.objects.count, "在线创建工单"),
    "trial": Form(
        "/solutions/saasame/trial/",
        _trial,
        302,
        TrialRequest.objects.count,
        "申请试用",
        setup=_solution,
    ),
}


class Visitor:
    def __init__(self, client, form: Form, scope: str):
        self.client, self.form, self.scope, self.n = client, form, scope, 0
        form.setup()

    def post(self, email: str, ip: str):
        self.n += 1
        if self.form.account_for and not User.objects.filter(email__iexact=email).exists():
            activated = None if self.scope == "activation_resend" else "2026-01-01T00:00Z"
            PartnerUserFactory(email=email, activated_at=activated)
        return self.client.post(self.form.url, self.form.data(email, self.n), REMOTE_ADDR=ip)

    def state(self) -> tuple[int, int]:
        return self.form.rows(), OutboundEmail.objects.count()


def _assert_refused(response, visitor: Visitor, before) -> None:
    body = response.content.decode()
    assert response.status_code == 429, body[:300]
    assert int(response["Retry-After"]) > 0
    assert "尝试次数过多" in body  # the translated message ...
    assert visitor.form.title in body  # ... in the page's own layout
    assert 'class="site-header' in body or "<header" in body
    assert visitor.state() == before  # nothing stored, nothing mailed


@pytest.mark.django_db
@pytest.mark.parametrize("scope", FORMS)
def test_per_email_the_attempt_after_the_limit_is_refused(client, scope):
    visitor = Visitor(client, FORMS[scope], scope)
    for attempt in range(EMAIL_LIMIT):
        response = visitor.post("same@example.com", ip=f"10.0.0.{attempt + 1}")
        assert response.status_code == visitor.form.done_status, response.content[:300]
    before = visitor.state()

    refused = visitor.post("SAME@example.com", ip="10.0.1.1")  # another address, same e-mail

    _assert_refused(refused, visitor, before)
    other = visitor.post("other@example.com", ip="10.0.1.1")
    assert other.status_code == visitor.form.done_status


@pytest.mark.django_db
@pytest.mark.parametrize("scope", FORMS)
def test_per_address_the_attempt_after_the_limit_is_refused(client, scope):
    visitor = Visitor(client, FORMS[scope], scope)
    for attempt in range(IP_LIMIT):
        response = visitor.post(f"visitor{attempt}@example.com", ip="10.0.0.1")
        assert response.status_code == visitor.form.done_status, response.content[:300]
    before = visitor.state()

    refused = visitor.post("fresh@example.com", ip="10.0.0.1")

    _assert_refused(refused, visitor, before)
    other = visitor.post("fresh@example.com", ip="10.0.0.2")
    assert other.status_code == visitor.form.done_status


@pytest.mark.django_db
def test_invalid_posts_count_per_address_too(client):
    """Every POST counts per address, before the form is even read: a client cannot make
    the server parse uploads without limit by sending invalid forms."""
    for _ in range(IP_LIMIT):
        assert client.post("/register/", {}, REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.post("/register/", {}, REMOTE_ADDR="10.0.0.9").status_code == 429


@pytest.mark.django_db
def test_a_get_is_not_counted(client):
    for _ in range(IP_LIMIT + 2):
        assert client.get("/register/", REMOTE_ADDR="10.0.0.9").status_code == 200
