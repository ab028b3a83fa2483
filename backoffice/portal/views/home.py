import logging

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.i18n import set_language

from catalog import selectors
from catalog.models import BannerPosition
from partners.services import user_set_language

HOT_LIMIT = 8
NEWS_LIMIT = 6


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``, and a signed-in user's mails follow the choice."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """首页: carousel, 热门解决方案, category tabs, 新闻动态 and ad slots (spec 3)."""
    menu = selectors.menu_tree()
    tabs = selectors.category_tabs()
    category_tabs = [
        {"key": "all", "category": None, "solutions": tabs.get(None, [])},
        *(
            {"key": f"c{top.pk}", "category": top, "solutions": tabs.get(top.pk, [])}
            for top in menu
        ),
    ]
    return render(
        request,
        "portal/home.html",
        {
            "banners": selectors.active_banners(BannerPosition.HOME_CAROUSEL),
            "ads": selectors.active_banners(BannerPosition.HOME_AD),
            "hot_solutions": selectors.hot_solutions(HOT_LIMIT),
            "category_tabs": category_tabs,
            "news_items": selectors.latest_news(NEWS_LIMIT),
        },
    )


HEALTH_TIMEOUT_SECONDS = 2

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Load balancer / monitoring probe: the database, the task broker and the media
    store answer.

    200 {"status": "ok", "checks": {...}} or 503 {"status": "fail", ...}. Public,
    never cached; a failing check says only "unavailable" (details go to the log).
    """
    checks = {"database": _check_database(), "broker": _check_broker(), "media": _check_media()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database is unavailable.")
        return {"status": "fail", "error": "unavailable"}
    return {"status": "ok"}


def _check_broker() -> dict:
    """Redis (REDIS_URL): PING with a short timeout; else the ORM broker's queue table."""
    if settings.REDIS_URL:
        return _check_redis_broker()
    from django_q.conf import Conf
    from django_q.models import OrmQ

    try:
        now = timezone.now()
        # Queued = not claimed by a cluster (a claimed task's lock is in the future).
        queued = (
            OrmQ.objects.using(Conf.ORM or "default")
            .filter(key=Conf.CLUSTER_NAME, lock__lte=now)
            .aggregate(count=Count("id"), oldest=Min("lock"))
        )
    except Exception:
        logger.exception("Health check: the task queue table is unavailable.")
        return {"status": "fail", "type": "orm", "error": "unavailable"}
    oldest = queued["oldest"]
    return {
        "status": "ok",
        "type": "orm",
        "queued": queued["count"],
        "oldest_queued_age_seconds": round((now - oldest).total_seconds()) if oldest else None,
    }


def _check_redis_broker() -> dict:
    import redis
    from django_q.brokers.redis_broker import Redis as RedisBroker
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    class ProbeBroker(RedisBroker):
        """django-q2's Redis broker on a connection that gives up fast, without retries."""

        @staticmethod
        def get_connection(list_key=None):
            return redis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
                socket_timeout=HEALTH_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )

    broker = None
    try:
        broker = ProbeBroker()
        broker.ping()
        queued = broker.queue_size()
    except Exception:
        logger.warning("Health check: Redis (task broker) is unavailable.", exc_info=True)
        return {"status": "fail", "type": "redis", "error": "unavailable"}
    finally:
        if broker is not None:
            broker.connection.close()
    return {"status": "ok", "type": "redis", "queued": queued}


def _check_media() -> dict:
    """The private media store: the S3 bucket answers HEAD (short timeouts, no retries),
    or the folder on disk (or the nearest folder it will be created in) is writable."""
    import os
    from pathlib import Path

    from backoffice.core.storage import private_storage

    storage = private_storage()
    if getattr(storage, "bucket_name", None):
        import boto3
        from botocore.config import Config

        try:
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=storage.endpoint_url or None,
                region_name=storage.region_name or None,
                aws_access_key_id=storage.access_key or None,
                aws_secret_access_key=storage.secret_key or None,
                config=Config(
                    connect_timeout=HEALTH_TIMEOUT_SECONDS,
                    read_timeout=HEALTH_TIMEOUT_SECONDS,
                    retries={"total_max_attempts": 1},
                    s3={"addressing_style": storage.addressing_style or "auto"},
                ),
            )
            client.head_bucket(Bucket=storage.bucket_name)
        except Exception:
            logger.warning("Health check: the media bucket is unavailable.", exc_info=True)
            return {"status": "fail", "type": "s3", "error": "unavailable"}
        return {"status": "ok", "type": "s3"}
    folder = Path(storage.location)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        logger.warning("Health check: the media folder %s is not writable.", folder)
        return {"status": "fail", "type": "filesystem", "error": "unavailable"}
    return {"status": "ok", "type": "filesystem"}
