"""The rehearsal of several nodes on one machine (issue 20): deploy/cluster.sh running
nginx, two gunicorn nodes, two qclusters, Redis, moto's S3 server and PostgreSQL.

The tests share one running rehearsal (tests/cluster/conftest.py) and run in file order:
sessions and uploads across nodes, a worker-rendered contract PDF, schedules with two
schedulers, a SIGKILLed worker, a rolling restart under load, and /healthz on each node.
"""

import hashlib
import os
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from tests.backoffice.worker_kill_support import deliveries
from tests.cluster.conftest import LEASE_SECONDS
from tests.files import pdf_bytes

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

PDF = pdf_bytes()


def wait_until(predicate, *, timeout: float, step: float = 0.5, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(step)


def session_on(rehearsal, user_code: str) -> str:
    """A logged-in database session (as django.contrib.auth.login leaves it) for the
    user ``user_code`` evaluates to, made in the rehearsal's database."""
    return rehearsal.python(
        "import json\n"
        "from bench.checkout import login_session\n"
        f"print(json.dumps(login_session({user_code})))"
    )


# --- Sessions and uploads across nodes -------------------------------------------------------


def test_a_session_and_an_upload_made_on_node_a_work_on_node_b(rehearsal):
    """Registration through node A (session + qualification upload to the bucket); node B
    reads the session (the 注册成功 page shows the e-mail kept in it) and serves the file."""
    node_a, node_b = rehearsal.node["a"], rehearsal.node["b"]
    # A 销售 staff member without a two-factor device (the demo staff have one), whom the
    # application names as its business owner: the console shows them its files.
    owner = rehearsal.python(
        "import uuid\n"
        "from tests.factories import sales_staff\n"
        "print(sales_staff(email=f'cluster-{uuid.uuid4().hex[:8]}@example.com', name='集群销售').pk)"
    )
    browser = requests.Session()
    assert browser.get(f"{node_a}/register/", timeout=30).status_code == 200
    csrf = browser.cookies["csrftoken"]
    email = f"cluster-{uuid.uuid4().hex[:8]}@example.com"
    response = browser.post(
        f"{node_a}/register/",
        data={
            "csrfmiddlewaretoken": csrf,
            "company_name": f"集群演练科技有限公司{uuid.uuid4().hex[:6]}",
            "business_owner": str(owner),
            "contact_name": "张三",
            "email": email,
            "phone": "13800001111",
            "position": "采购经理",
            "address": "上海市宝山区纪蕴路588号",
            "agree": "on",
        },
        files={"files": ("营业执照.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    assert "sessionid" in browser.cookies
    # The session written by node A is read by node B.
    done = browser.get(f"{node_b}/register/done/", timeout=30)
    assert done.status_code == 200 and email in done.text

    # The uploaded file is in the bucket, and node B's console serves it to the owner.
    found = rehearsal.python(
        "import json\n"
        "from django.urls import reverse\n"
        "from partners.models import QualificationFile\n"
        f"f = QualificationFile.objects.get(application__email='{email}')\n"
        "url = reverse('admin:partners_registrationapplication_file_download',"
        " args=[f.application_id, f.pk])\n"
        "print(json.dumps({'url': url, 'name': f.file.name,"
        " 'storage': type(f.file.storage).__name__}))"
    )
    assert found["storage"] == "S3Storage"
    staff = requests.Session()
    staff.cookies["sessionid"] = session_on(
        rehearsal, f"__import__('partners.models').models.User.objects.get(pk={owner})"
    )
    download = staff.get(f"{node_b}{found['url']}", timeout=30, allow_redirects=False)
    assert download.status_code == 200, download.headers.get("Location")
    assert download.content == PDF
    # No node has a media folder: the file exists only in the bucket.
    assert not any((rehearsal.directory / node / "media").exists() for node in ("node-a", "node-b"))


# --- Checkouts through the proxy ---------------------------------------------------------------

BUYER = """
import json
from django.conf import settings
from django.urls import reverse
from bench.checkout import REBATE, csrf_secret, expected_payable, login_session, pick_buyers
from billing.models import OrderPaymentMethod
buyers, sku = pick_buyers({count})
placeholder = "00000000000000"
created = reverse("portal:order_created", args=[placeholder])
specs = []
for index in range({count}):
    buyer = buyers[index % len(buyers)]
    specs.append({{
        "index": index,
        "cookies": {{settings.SESSION_COOKIE_NAME: login_session(buyer["user"]),
                     settings.CSRF_COOKIE_NAME: csrf_secret()}},
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "sku_code": sku.code,
        "end_customer_id": buyer["end_customer_id"],
        "expected_payable": str(expected_payable(company_id=buyer["user"].company_id, sku_id=sku.pk)),
        "rebate_amount": str(REBATE),
        "payment_method": OrderPaymentMethod.OFFLINE.value,
        "buy_now_path": reverse("portal:buy_now"),
        "checkout_path": reverse("portal:checkout"),
        "order_created_pattern": re.escape(created).replace(placeholder, "[0-9]{{14,30}}"),
    }})
print(json.dumps(specs))
"""


def buyer_specs(rehearsal, count: int) -> list[dict]:
    return rehearsal.python("import re\n" + BUYER.format(count=count))


def checkout(rehearsal, spec: dict, port: int):
    """One 立即购买 + 同意 (bench/checkout.py's client): (placed, error sample, key)."""
    from bench.checkout import HttpClient, _checkout_op

    client = HttpClient(port, spec["cookies"])
    try:
        ok, _requests, sample, key = _checkout_op(client, spec)
    finally:
        client.close()
    return ok, sample, key


def test_a_contract_pdf_rendered_by_a_worker_downloads_from_the_other_node(rehearsal):
    [spec] = buyer_specs(rehearsal, 1)
    ok, sample, key = checkout(rehearsal, spec, rehearsal.ports["a"])  # ordered on node A
    assert ok, sample
    code = (
        "import json\n"
        "from billing.models import Order\n"
        "from contracts.models import Contract\n"
        f"order = Order.objects.get(idempotency_key='{key}')\n"
        "c = Contract.objects.get(order_number=order.number)\n"
        "print(json.dumps({'pk': c.pk, 'pdf': c.pdf.name, 'sha': c.sha256}))"
    )
    # A worker (not a download) renders it: wait until the row has its file.
    contract = wait_until(
        lambda: (found := rehearsal.python(code))["pdf"] and found,
        timeout=90,
        step=1,
        what="the worker to render the contract PDF",
    )
    browser = requests.Session()
    for name, value in spec["cookies"].items():
        browser.cookies[name] = value
    response = browser.get(f"{rehearsal.node['b']}/contracts/{contract['pk']}/pdf/", timeout=30)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert hashlib.sha256(response.content).hexdigest() == contract["sha"]


# --- Schedules with two schedulers ----------------------------------------------------------------

SCHEDULES = """
import json
from django.utils import timezone
from django_q.models import Schedule, Task
rows = {{s.name: [s.next_run.isoformat(), Task.objects.filter(group=s.name).count()]
        for s in Schedule.objects.exclude(repeats=0)}}
{extra}
print(json.dumps(rows))
"""


def test_each_scheduled_job_runs_exactly_once_per_period_with_two_schedulers(rehearsal):
    """Every schedule is made due now; both qclusters' schedulers look for due schedules
    (every 30 s); each job must be started once, and its next run moved one period on."""
    before = rehearsal.python(
        SCHEDULES.format(
            extra="Schedule.objects.exclude(repeats=0).update("
            "next_run=timezone.now() - timezone.timedelta(seconds=1))"
        )
    )
    assert before, "setup_schedules made no schedules"

    def all_ran():
        now = rehearsal.python(SCHEDULES.format(extra=""))
        started = all(now[name][0] != before[name][0] for name in before)
        finished = all(now[name][1] > before[name][1] for name in before)
        return now if started and finished else None

    after = wait_until(all_ran, timeout=150, step=3, what="every schedule to run once")
    time.sleep(35)  # one more scheduler pass of each cluster: nothing may start again
    final = rehearsal.python(SCHEDULES.format(extra=""))
    assert {name: final[name][1] - before[name][1] for name in before} == dict.fromkeys(before, 1)
    assert {name: final[name][0] for name in before} == {name: after[name][0] for name in before}


# --- A worker killed mid-task -------------------------------------------------------------------

ENQUEUE = """
import json
from django.db import transaction
from backoffice.core.mail import mail_enqueue
with transaction.atomic():
    mail = mail_enqueue(to="killed@example.com", template="partners/mail/activation",
                        context={"name": "王", "company_name": "Acme", "link": "http://x/a/",
                                 "valid_days": 3})
print(json.dumps(mail.pk))
"""


MAIL_ROW = "SELECT status, claimed_by, attempts FROM backoffice_outboundemail WHERE id = "


def test_a_task_of_a_killed_worker_is_retried_and_its_mail_sent_once(rehearsal):
    mail = rehearsal.python(ENQUEUE)

    def row() -> list[str]:  # straight from PostgreSQL: manage.py is too slow to poll
        return rehearsal.psql(MAIL_ROW + str(int(mail)), rehearsal.database).split("|")

    status, claimed_by, _attempts = wait_until(
        lambda: (found := row())[0] == "sending" and found,
        timeout=60,
        step=0.1,
        what="a worker to start sending the mail",
    )
    # Which cluster holds it: the sending process belongs to that cluster's process group.
    pid = int(claimed_by.rsplit(":", 1)[1])
    owner = next(
        name for name in ("worker-a", "worker-b") if os.getpgid(pid) == rehearsal.pid(name)
    )
    rehearsal.sh("kill", owner)  # SIGKILL mid-send (a delivery takes DELIVERY_SECONDS)
    assert row()[0] == "sending"
    assert not any("killed@" in p.read_text() for p in rehearsal.deliveries.glob("*.eml"))

    # The lease ends; the sweeper (every minute in production) queues the mail again and
    # the surviving cluster sends it.
    time.sleep(LEASE_SECONDS)

    def sent():
        if row()[0] != "sent":
            rehearsal.python(
                "import json\nfrom backoffice.core.mail import outbox_sweep\n"
                "print(json.dumps(outbox_sweep()))"
            )
        return row()[0] == "sent"

    wait_until(sent, timeout=120, step=1, what="the mail to be sent again")
    assert row()[2] == "2"  # two claims: the killed one and the retry
    message_id = rehearsal.python(
        "import json\nfrom backoffice.core.models import OutboundEmail\n"
        f"print(json.dumps(OutboundEmail.objects.get(pk={mail}).message_id))"
    )
    assert Counter(deliveries(rehearsal.deliveries))[message_id] == 1
    rehearsal.sh("restart", owner)


# --- Rolling restart under load ------------------------------------------------------------------


def test_rolling_restart_of_node_a_while_orders_are_placed_loses_none(rehearsal):
    """Two clients place orders through nginx while node A is stopped (SIGTERM: it finishes
    what it accepted) and started again: no failed request, and the orders are exactly
    the acknowledged checkouts."""
    specs = buyer_specs(rehearsal, 2)
    results: list[tuple[bool, dict | None, str | None]] = []
    stop = threading.Event()

    def client(spec):
        while not stop.is_set():
            results.append(checkout(rehearsal, spec, rehearsal.ports["proxy"]))

    threads = [threading.Thread(target=client, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        before_roll = len(results)
        rehearsal.sh("roll", "a")
        time.sleep(3)  # node A back in the pool, taking orders again
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    errors = [sample for ok, sample, _key in results if not ok]
    assert errors == []
    keys = [key for ok, _sample, key in results if ok]
    assert before_roll >= 1 and len(keys) > before_roll
    orders = rehearsal.python(
        "import json\nfrom billing.models import Order\n"
        f"print(json.dumps(Order.objects.filter(idempotency_key__in={keys!r}).count()))"
    )
    assert orders == len(keys)
    # nginx logged which node answered each request: during the roll node B took them,
    # and afterwards node A answers again.
    served = [
        line.split()
        for line in (rehearsal.directory / "log" / "nginx-upstream.log").read_text().splitlines()
    ]
    node_a, node_b = (f"127.0.0.1:{rehearsal.ports[n]}" for n in ("a", "b"))
    answered_by = Counter(fields[-1] for fields in served if fields[0] == "POST")
    assert answered_by[node_a] and answered_by[node_b]


# --- Health of each node ----------------------------------------------------------------------------


@pytest.mark.parametrize("node", ["a", "b"])
def test_healthz_on_each_node_reports_database_broker_and_media(rehearsal, node):
    body = requests.get(f"{rehearsal.node[node]}/healthz", timeout=10).json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["broker"]["type"] == "redis"
    assert body["checks"]["media"] == {"status": "ok", "type": "s3"}
