"""Checkout throughput under gunicorn, beside a trivial view and a bare checkout served by
the same server.

The goal (issue 19): with 8 closed-loop clients on loopback, at least 60 whole checkouts
per second, p95 at most 300 ms, at most 2× the time of the bare baseline (``bench.bare``:
the same rows and row locks in one transaction, precomputed values, no templates, no
PDF), no error, and the ledgers still balance afterwards. The trivial view (two bytes
through the same middleware) is the server's ceiling, reported for context.

How a run goes:

1. Buyers are picked with a generic ORM query (demo data or the generated bench data):
   enabled partner companies with an active company admin, an end customer and a CNY
   rebate wallet with some balance, plus one on-sale CNY SKU without purchase
   parameters. Every checkout spends a tiny rebate (``REBATE``) so the wallet row lock
   and the ledger entry are part of the measured path; payment is offline, so the order
   is placed without a payment page. No coupon, no credit pay.
2. Each client gets its own database session carrying Django's auth keys (the login
   form, its slider check and django-axes are not what is measured), and a fixed CSRF
   secret sent both as the ``csrftoken`` cookie and as ``csrfmiddlewaretoken``.
3. gunicorn is started with the deployment's own config (``deploy/gunicorn.conf.py``)
   on a free loopback port, with the runner's settings module.
4. ``clients`` processes (forked; they never touch Django or the database), each with
   one persistent HTTP connection, first request the trivial view, then post bare
   checkouts (one POST with a fresh idempotency key → 200 with the order number), then run checkouts
   (立即购买 POST → 302 to the checkout with its token → 同意 POST → 302 to the
   order-created page), each phase ``warmup`` seconds unmeasured then ``duration``
   seconds measured. Work started inside the measured window is counted, so a
   client's last request may end slightly after the window.
5. Afterwards the orders of the measured checkouts (real and bare) are counted by their idempotency
   keys (UUIDs the clients generate, as the checkout page would) and
   ``billing.selectors.ledger_mismatches()`` is run (what ``check_ledgers`` reports).

Run alone: ``DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://...
.venv/bin/python -m bench.checkout --clients 4 --duration 5``.

Django is imported inside functions only, so the module imports without Django set up
(the runner sets it up before calling ``run``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .scenarios import heavy_partner, percentile

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
GUNICORN_LOG = ROOT / "var" / "bench-gunicorn.log"
HEALTH_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
HTTP_TIMEOUT = 30.0
CLIENT_START_TIMEOUT = 60.0
# Spent on every checkout: enough to take the wallet row lock and write a ledger entry,
# small enough that a wallet with MIN_WALLET_BALANCE pays for 10,000 checkouts (the real
# and the bare ones of a full-scale run spend from the same wallets).
REBATE = Decimal("0.01")
MIN_WALLET_BALANCE = Decimal("100.00")
CURRENCY = "CNY"
REGION = "cn"
ERROR_SAMPLES_PER_CLIENT = 3
ERROR_SAMPLES_MAX = 10
SNIPPET_LENGTH = 300
CSRF_ALPHABET = string.ascii_letters + string.digits


class BenchSetupError(RuntimeError):
    """The scenario cannot run on this database or this machine (no buyer, no server)."""


# --------------------------------------------------------------------------
# Small helpers (no Django)
# --------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float | None:
    return percentile(values, share) if values else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def csrf_secret() -> str:
    """A 32-character alphanumeric secret: Django accepts it unmasked as the form token."""
    return "".join(secrets.choice(CSRF_ALPHABET) for _ in range(32))


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# Client processes (forked; HTTP only, no Django, no database)
# --------------------------------------------------------------------------


class HttpClient:
    """One persistent keep-alive connection with a tiny cookie jar.

    http.client reopens the connection by itself after a ``Connection: close``
    response. A request that fails on a connection the server dropped while idle
    (keep-alive timeout, a worker recycled by ``max_requests``) is sent again once on
    a fresh connection: safe for the trivial GET and for 同意, whose idempotency key
    makes a retry return the same order.
    """

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = dict(cookies)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.reconnects = 0

    def connect(self) -> None:
        self.conn.connect()

    def close(self) -> None:
        self.conn.close()

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    raise
                self.reconnects += 1
                continue
            for raw in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")


MESSAGE_PATTERN = re.compile(
    r'<(?:p|li) class="message[^"]*">(.*?)</(?:p|li)>|<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>',
    re.S,
)
TITLE_PATTERN = re.compile(r"<title>(.*?)</title>", re.S)
TAG_PATTERN = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    return " ".join(TAG_PATTERN.sub(" ", html).split())


def snippet(body: bytes | str) -> str:
    """What explains an unexpected response: the page's messages and field errors (a
    re-rendered checkout), else its title and start, else the raw text."""
    text = body if isinstance(body, str) else body.decode("utf-8", errors="replace")
    found = [_text(a or b) for a, b in MESSAGE_PATTERN.findall(text)]
    title = TITLE_PATTERN.search(text)
    if found:
        text = " | ".join(filter(None, found))
        if title:
            text = f"{_text(title.group(1))}: {text}"
    elif title:
        text = _text(text[title.start() :])
    return " ".join(text.split())[:SNIPPET_LENGTH]


def _sample(
    step: str, status: int | None, headers: dict[str, str], body: bytes | str
) -> dict[str, Any]:
    return {
        "step": step,
        "status": status,
        "location": headers.get("location", ""),
        "snippet": snippet(body),
    }


def _client_main(spec: dict, ready, start, clock, results) -> None:
    """One client process: connect, report ready, wait for the start, run the phase."""
    client = HttpClient(spec["port"], spec["cookies"])
    outcome: dict[str, Any] = {
        "index": spec["index"],
        "ops": 0,
        "requests": 0,
        "latencies_ms": [],
        "errors": 0,
        "error_samples": [],
        "keys": [],
        "all_keys": [],
        "successes_total": 0,
        "reconnects": 0,
        "crash": None,
    }
    try:
        client.connect()
        ready.put(spec["index"])
        if not start.wait(CLIENT_START_TIMEOUT):
            raise RuntimeError("the start signal never came")
        begin = clock.value
        measure_from = begin + spec["warmup"]
        stop_at = measure_from + spec["duration"]
        operation = PHASE_OPERATIONS[spec["phase"]]
        while True:
            started = time.monotonic()
            if started >= stop_at:
                break
            measured = started >= measure_from
            ok, requests, sample, key = operation(client, spec)
            elapsed_ms = (time.monotonic() - started) * 1000
            if key is not None:
                outcome["all_keys"].append(key)
                if ok:
                    outcome["successes_total"] += 1
            if not ok:
                outcome["errors"] += 1
                if sample and len(outcome["error_samples"]) < ERROR_SAMPLES_PER_CLIENT:
                    outcome["error_samples"].append({"phase": spec["phase"], **sample})
            if measured:
                outcome["requests"] += requests
                if key is not None:
                    outcome["keys"].append(key)
                if ok:
                    outcome["ops"] += 1
                    outcome["latencies_ms"].append(elapsed_ms)
    except Exception as exc:  # reported to the runner, which fails the run loudly
        outcome["crash"] = f"{type(exc).__name__}: {exc}"
    finally:
        outcome["reconnects"] = client.reconnects
        client.close()
        results.put(outcome)


def _trivial_op(client: HttpClient, spec: dict):
    """GET the trivial view: 200 with b"ok" expected."""
    try:
        status, headers, body = client.request("GET", spec["trivial_path"])
    except Exception as exc:
        return False, 1, _sample("trivial", None, {}, repr(exc)), None
    if status == 200 and body == b"ok":
        return True, 1, None, None
    return False, 1, _sample("trivial", status, headers, body), None


def _checkout_op(client: HttpClient, spec: dict):
    """立即购买 then 同意: returns (placed, HTTP requests sent, error sample, key)."""
    csrf = client.cookies.get(spec["csrf_cookie"], "")
    try:
        status, headers, body = client.request(
            "POST",
            spec["buy_now_path"],
            {"csrfmiddlewaretoken": csrf, "sku": spec["sku_code"], "quantity": "1"},
        )
    except Exception as exc:
        return False, 1, _sample("buy_now", None, {}, repr(exc)), None
    location = headers.get("location", "")
    token = parse_qs(urlsplit(location).query).get("t", [""])[0]
    if status != 302 or not token:
        return False, 1, _sample("buy_now", status, headers, body), None
    key = str(uuid.uuid4())
    form = {
        "csrfmiddlewaretoken": csrf,
        "t": token,
        "idempotency_key": key,
        "expected_payable": spec["expected_payable"],
        "customer_q": "",
        "end_customer": str(spec["end_customer_id"]),
        "payment_method": spec["payment_method"],
        "use_coupon": "no",
        "use_credit": "no",
        "use_rebate": "yes",
        "rebate_amount": spec["rebate_amount"],
        "expected_close_date": "",
        "remarks": "",
        "action": "agree",
    }
    try:
        status, headers, body = client.request("POST", spec["checkout_path"], form)
    except Exception as exc:
        return False, 2, _sample("agree", None, {}, repr(exc)), key
    location = urlsplit(headers.get("location", "")).path
    if status == 302 and re.fullmatch(spec["order_created_pattern"], location):
        return True, 2, None, key
    return False, 2, _sample("agree", status, headers, body), key


def _bare_op(client: HttpClient, spec: dict):
    """The bare baseline: one POST with a fresh key, 200 with the order number expected."""
    csrf = client.cookies.get(spec["csrf_cookie"], "")
    key = str(uuid.uuid4())
    try:
        status, headers, body = client.request(
            "POST", spec["bare_path"], {"csrfmiddlewaretoken": csrf, "idempotency_key": key}
        )
    except Exception as exc:
        return False, 1, _sample("bare", None, {}, repr(exc)), key
    if status == 200 and re.fullmatch(rb"[0-9]{14,30}", body):
        return True, 1, None, key
    return False, 1, _sample("bare", status, headers, body), key


PHASE_OPERATIONS = {"trivial": _trivial_op, "bare": _bare_op, "checkout": _checkout_op}


def _collect(queue, processes, *, count: int, timeout: float, what: str) -> list:
    """``count`` items from ``queue``, failing fast if a client process died meanwhile."""
    import queue as queue_module

    items: list = []
    deadline = time.monotonic() + timeout
    while len(items) < count:
        try:
            items.append(queue.get(timeout=0.5))
            continue
        except queue_module.Empty:
            pass
        dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"a client process died (exit codes {dead}) before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"clients timed out before {what} ({len(items)}/{count})")
    return items


def run_phase(
    *, phase: str, specs: list[dict], warmup: float, duration: float
) -> list[dict[str, Any]]:
    """Start one process per client, release them together and collect their outcomes.

    The clients are forked: a spawned child would re-run the runner's ``__main__``
    module, whatever it is. They use no Django and no database; the runner's database
    connections are closed first so that no child inherits an open one.
    """
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    ready, results = context.Queue(), context.Queue()
    start = context.Event()
    clock = context.Value("d", 0.0)
    processes = []
    try:
        for spec in specs:
            spec = {**spec, "phase": phase, "warmup": warmup, "duration": duration}
            process = context.Process(
                target=_client_main, args=(spec, ready, start, clock, results), daemon=True
            )
            process.start()
            processes.append(process)
        _collect(ready, processes, count=len(processes), timeout=CLIENT_START_TIMEOUT, what="start")
        clock.value = time.monotonic()
        start.set()
        # Drain before joining: a child cannot exit while its result is unread.
        outcomes = _collect(
            results,
            processes,
            count=len(processes),
            timeout=warmup + duration + HTTP_TIMEOUT * 3 + 30,
            what="reporting",
        )
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
    crashes = [o["crash"] for o in outcomes if o["crash"]]
    if crashes:
        raise RuntimeError(f"{phase} clients failed: {crashes[:3]}")
    return sorted(outcomes, key=lambda o: o["index"])


# --------------------------------------------------------------------------
# Runner side (Django set up)
# --------------------------------------------------------------------------


def pick_buyers(limit: int) -> tuple[list[dict[str, Any]], Any]:
    """Up to ``limit`` distinct companies able to buy, and the SKU they all buy.

    Any data will do (but the partner with the most orders, whose portal pages are
    measured): an enabled company, its active and activated admin, its oldest end
    customer and a CNY rebate wallet holding at least MIN_WALLET_BALANCE. The SKU is the
    cheapest on-sale CNY mainland SKU of a published solution without purchase parameters
    whose price exceeds the rebate (so something is left to pay offline).
    """
    from django.db.models import Exists, OuterRef

    from billing.models import RebateWallet
    from catalog.models import Sku
    from partners.models import CompanyRole, CompanyStatus, EndCustomer, User

    sku = (
        Sku.objects.select_related("solution")
        .filter(
            is_active=True,
            solution__is_published=True,
            currency=CURRENCY,
            region=REGION,
            parameters=[],
            unit_price__gt=REBATE,
        )
        .order_by("unit_price", "pk")
        .first()
    )
    if sku is None:
        raise BenchSetupError(
            "No on-sale CNY mainland SKU without purchase parameters: load demo or bench data."
        )
    wallets = RebateWallet.objects.filter(
        company_id=OuterRef("company_id"), currency=CURRENCY, balance__gte=MIN_WALLET_BALANCE
    )
    customers = EndCustomer.objects.filter(company_id=OuterRef("company_id"))
    users = (
        User.objects.select_related("company")
        .filter(
            is_active=True,
            activated_at__isnull=False,
            deleted_at__isnull=True,
            company__isnull=False,
            company__status=CompanyStatus.ENABLED,
            company_role=CompanyRole.ADMIN,
        )
        .filter(Exists(wallets), Exists(customers))
        .order_by("company_id", "pk")
    )
    # Not the partner whose portal pages are measured (``scenarios.portal_heavy``): its
    # orders list must show the generated orders, not this run's.
    heavy, _orders = heavy_partner()
    if heavy is not None:
        users = users.exclude(company_id=heavy.company_id)
    buyers: list[dict[str, Any]] = []
    seen: set[int] = set()
    for user in users.iterator():
        if user.company_id in seen:
            continue
        seen.add(user.company_id)
        customer = EndCustomer.objects.filter(company_id=user.company_id).order_by("pk").first()
        buyers.append({"user": user, "end_customer_id": customer.pk})
        if len(buyers) >= limit:
            break
    if not buyers:
        raise BenchSetupError(
            "No buyer: no enabled company with an active admin, an end customer and a CNY "
            f"rebate wallet holding at least {MIN_WALLET_BALANCE}."
        )
    return buyers, sku


def expected_payable(*, company_id: int, sku_id: int) -> Decimal:
    """What the checkout page would post as ``expected_payable`` for one unit and REBATE."""
    from billing.services.checkout import LineInput, checkout_quote

    quote = checkout_quote(
        company_id=company_id,
        lines=[LineInput(sku_id, 1)],
        rebate_amount=REBATE,
        require_parameters=False,
    )
    return quote.payable_total


def login_session(user) -> str:
    """A database session logged in as ``user``, as ``django.contrib.auth.login`` leaves it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    backend = next(
        (path for path in settings.AUTHENTICATION_BACKENDS if path.endswith("PartnerAwareBackend")),
        settings.AUTHENTICATION_BACKENDS[-1],
    )
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """The workers and threads gunicorn will use: its config evaluated with ``env``."""
    import runpy
    from unittest import mock

    with mock.patch.dict(os.environ, env, clear=True):
        config = runpy.run_path(str(GUNICORN_CONFIG))
    return {"workers": config["workers"], "threads": config["threads"]}


class Server:
    """gunicorn with the deployment's config on a free loopback port; always stopped."""

    def __init__(self, *, workers: int | None, threads: int | None):
        from django.conf import settings

        self.port = free_port()
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=settings.SETTINGS_MODULE,
            BIND=f"127.0.0.1:{self.port}",
            LOG_LEVEL="warning",
            PYTHONUNBUFFERED="1",
        )
        if workers is not None:
            env["WEB_CONCURRENCY"] = str(workers)
        if threads is not None:
            env["GUNICORN_THREADS"] = str(threads)
        self.env = env
        self.effective = gunicorn_settings(env)
        self.process: subprocess.Popen | None = None
        self.log = None

    def executable(self) -> str:
        beside = Path(sys.executable).with_name("gunicorn")
        return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "gunicorn")

    def start(self, health_path: str) -> None:
        GUNICORN_LOG.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(GUNICORN_LOG, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - a fixed argv, no outside input
            [self.executable(), "-c", str(GUNICORN_CONFIG), "backoffice.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + HEALTH_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchSetupError(
                    f"gunicorn exited with {self.process.returncode}:\n{log_tail(GUNICORN_LOG)}"
                )
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", health_path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
            except OSError as exc:
                last = repr(exc)
            finally:
                conn.close()
            time.sleep(0.2)
        raise BenchSetupError(
            f"gunicorn did not answer {health_path} with 200 within {HEALTH_TIMEOUT:.0f} s "
            f"(last: {last}):\n{log_tail(GUNICORN_LOG)}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self.log is not None:
            self.log.close()
            self.log = None


def _errors(outcomes: list[dict]) -> tuple[int, list[dict]]:
    samples = [s for o in outcomes for s in o["error_samples"]][:ERROR_SAMPLES_MAX]
    return sum(o["errors"] for o in outcomes), samples


def _count_orders(keys: list[str]) -> int:
    from billing.models import Order

    return sum(
        Order.objects.filter(idempotency_key__in=keys[i : i + 1000]).count()
        for i in range(0, len(keys), 1000)
    )


def ledger_mismatch_count() -> int:
    """Items in the mismatch lists of ``ledger_mismatches()``, as ``check_ledgers`` counts."""
    from billing.selectors import ledger_mismatches

    return sum(len(v) for v in ledger_mismatches().values() if isinstance(v, list))


def _phase_figures(outcomes: list[dict], duration: float) -> dict[str, Any]:
    """Operations, rate, latencies, errors and the orders of one checkout-like phase."""
    latencies = [v for o in outcomes for v in o["latencies_ms"]]
    ops = sum(o["ops"] for o in outcomes)
    errors, samples = _errors(outcomes)
    return {
        "ops": ops,
        "rps": round(ops / duration, 2),
        "p50_ms": _round(_percentile(latencies, 0.5)),
        "p95_ms": _round(_percentile(latencies, 0.95)),
        "requests_rps": round(sum(o["requests"] for o in outcomes) / duration, 1),
        "errors": errors,
        "samples": samples,
        # Orders of the operations started in the measured window, found by their keys:
        # equal to ``ops`` unless a failed request still placed an order.
        "orders_created": _count_orders([k for o in outcomes for k in o["keys"]]),
        # Warm-up included: every success of the phase and the orders of all its keys.
        "ops_total": sum(o["successes_total"] for o in outcomes),
        "orders_created_total": _count_orders([k for o in outcomes for k in o["all_keys"]]),
    }


def run(
    *,
    clients: int = 8,
    duration: float = 20.0,
    workers: int | None = None,
    threads: int | None = None,
    warmup: float = 2.0,
) -> dict:
    """Measure the trivial view, the bare checkout, then real checkouts, on one gunicorn;
    see the module docstring and ``bench.bare``."""
    import tempfile

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.core.serializers.json import DjangoJSONEncoder
    from django.urls import reverse

    from billing.models import OrderPaymentMethod

    from .bare import SPEC_ENV, bare_spec

    if clients < 1 or duration <= 0 or warmup < 0:
        raise ValueError("clients must be >= 1, duration > 0 and warmup >= 0")
    buyers, sku = pick_buyers(clients)
    payment_method = OrderPaymentMethod.OFFLINE.value
    bare_specs = {}
    for buyer in buyers:
        buyer["expected_payable"] = expected_payable(
            company_id=buyer["user"].company_id, sku_id=sku.pk
        )
        bare_specs[str(buyer["user"].company_id)] = bare_spec(
            user=buyer["user"],
            end_customer_id=buyer["end_customer_id"],
            sku=sku,
            rebate=REBATE,
            payment_method=payment_method,
        )
    placeholder = "00000000000000"
    order_created = reverse("portal:order_created", args=[placeholder])
    paths = {
        "trivial_path": reverse("bench-trivial"),
        "bare_path": reverse("bench-bare-checkout"),
        "buy_now_path": reverse("portal:buy_now"),
        "checkout_path": reverse("portal:checkout"),
        "order_created_pattern": re.escape(order_created).replace(placeholder, "[0-9]{14,30}"),
    }
    session_keys: list[str] = []
    server = Server(workers=workers, threads=threads)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".json", prefix="bench-bare-", encoding="utf-8", delete=False
    ) as handle:
        json.dump(bare_specs, handle, cls=DjangoJSONEncoder, ensure_ascii=False)
    server.env[SPEC_ENV] = handle.name
    try:
        specs = []
        for index in range(clients):
            buyer = buyers[index % len(buyers)]
            session_key = login_session(buyer["user"])
            session_keys.append(session_key)
            specs.append(
                {
                    "index": index,
                    "port": server.port,
                    "cookies": {
                        settings.SESSION_COOKIE_NAME: session_key,
                        settings.CSRF_COOKIE_NAME: csrf_secret(),
                    },
                    "csrf_cookie": settings.CSRF_COOKIE_NAME,
                    "sku_code": sku.code,
                    "end_customer_id": buyer["end_customer_id"],
                    "expected_payable": str(buyer["expected_payable"]),
                    "rebate_amount": str(REBATE),
                    "payment_method": payment_method,
                    **paths,
                }
            )
        server.start(reverse("portal:healthz"))
        trivial = run_phase(phase="trivial", specs=specs, warmup=warmup, duration=duration)
        bare = run_phase(phase="bare", specs=specs, warmup=warmup, duration=duration)
        checkout = run_phase(phase="checkout", specs=specs, warmup=warmup, duration=duration)
    finally:
        server.stop()
        Session.objects.filter(session_key__in=session_keys).delete()
        Path(handle.name).unlink(missing_ok=True)

    trivial_latencies = [v for o in trivial for v in o["latencies_ms"]]
    trivial_rps = sum(o["ops"] for o in trivial) / duration
    trivial_errors, trivial_samples = _errors(trivial)
    real = _phase_figures(checkout, duration)
    base = _phase_figures(bare, duration)
    return {
        "scenario": "checkout",
        "workers": server.effective["workers"],
        "threads": server.effective["threads"],
        "clients": clients,
        "duration_s": duration,
        "warmup_s": warmup,
        "buyers": len(buyers),
        "sku": sku.code,
        "rebate_per_checkout": str(REBATE),
        "trivial_requests": sum(o["ops"] for o in trivial),
        "trivial_rps": round(trivial_rps, 1),
        "trivial_p50_ms": _round(_percentile(trivial_latencies, 0.5)),
        "trivial_p95_ms": _round(_percentile(trivial_latencies, 0.95)),
        "checkouts": real["ops"],
        "checkout_rps": real["rps"],
        "checkout_request_rps": real["requests_rps"],
        "checkout_p50_ms": real["p50_ms"],
        "checkout_p95_ms": real["p95_ms"],
        "ratio": round(real["rps"] / trivial_rps, 4) if trivial_rps else None,
        "bare_checkouts": base["ops"],
        "bare_rps": base["rps"],
        "bare_p50_ms": base["p50_ms"],
        "bare_p95_ms": base["p95_ms"],
        # How many times slower the real checkout is than the bare one (throughput).
        "bare_ratio": round(base["rps"] / real["rps"], 2) if real["rps"] else None,
        "errors": trivial_errors + real["errors"] + base["errors"],
        "trivial_errors": trivial_errors,
        "checkout_errors": real["errors"],
        "bare_errors": base["errors"],
        "error_samples": (trivial_samples + base["samples"] + real["samples"])[:ERROR_SAMPLES_MAX],
        "reconnects": sum(o["reconnects"] for o in trivial + bare + checkout),
        "orders_created": real["orders_created"],
        "checkouts_total": real["ops_total"],
        "orders_created_total": real["orders_created_total"],
        "bare_orders_created": base["orders_created"],
        "bare_checkouts_total": base["ops_total"],
        "bare_orders_created_total": base["orders_created_total"],
        # After both phases: the bare rows keep the running balances too.
        "ledger_mismatches": ledger_mismatch_count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    result = run(
        clients=args.clients,
        duration=args.duration,
        workers=args.workers,
        threads=args.threads,
        warmup=args.warmup,
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
