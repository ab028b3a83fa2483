"""Record what the console and the portal answer, to compare two versions of the code.

For a refactoring that must not change behaviour: run it on the old and the new tree,
each against its own fresh database with the demo data, and diff the two files.

    DATABASE_URL=sqlite:////tmp/before.sqlite3 python scripts/response_snapshot.py > before.json
    (the same in the other tree) > after.json
    python scripts/response_snapshot.py --compare before.json after.json

Visited, as every demo staff login (past the second login step) and every demo partner
login: each registered ModelAdmin's changelist, its search and its add page (what the
console smoke test visits), the change page of the first rows of every changelist, and
every portal page that takes no argument. Recorded per URL: the status, the redirect
target's path, and the number of table rows on the page. Document numbers hold the time
they were made, so the rows are counted, not compared by content.
"""

import io
import json
import os
import re
import sys
from pathlib import Path

ROW = re.compile(r"<tr[\s>]")
RESULT_ROW = re.compile(r'<input type="checkbox" name="_selected_action" value="(\d+)"')


def snapshot() -> dict:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.test")
    import django

    django.setup()
    from django.contrib import admin
    from django.core.management import call_command
    from django.test import Client
    from django.urls import get_resolver, reverse
    from django.utils import translation

    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddemo", verbosity=0, stdout=io.StringIO())

    from fixtures.demo import STAFF_LOGINS, demo_logins
    from partners.models import User
    from tests.otp import staff_login

    def record(client, url):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = (
            response.content.decode("utf-8", "replace")
            if response.get("Content-Type", "").startswith("text/html")
            else ""
        )
        return {
            "status": response.status_code,
            "location": response.get("Location", "").split("?")[0],
            "rows": len(ROW.findall(body)),
        }, body

    results: dict[str, dict] = {}
    registry = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)
    for login in STAFF_LOGINS:
        client = Client()
        staff_login(client, User.objects.get(email=login.email))
        for model, model_admin in registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            changelist = reverse(f"{prefix}_changelist")
            entry, body = record(client, changelist)
            results[f"{login.email} {changelist}"] = entry
            for pk in RESULT_ROW.findall(body)[:3]:
                change = reverse(f"{prefix}_change", args=[pk])
                results[f"{login.email} {change}"] = record(client, change)[0]
            if model_admin.search_fields:
                url = f"{changelist}?q=%E4%BA%91%E7%9D%90"
                results[f"{login.email} {url}"] = record(client, url)[0]
            add = reverse(f"{prefix}_add")
            results[f"{login.email} {add}"] = record(client, add)[0]

    staff_emails = {login.email for login in STAFF_LOGINS}
    partner_emails = [email for _label, email, _pw in demo_logins() if email not in staff_emails]
    portal = get_resolver().url_patterns
    plain_paths = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif (
                "<" not in route
                and "(?P" not in route
                and not route.startswith(("admin", "^admin"))
            ):
                plain_paths.append("/" + route.lstrip("^").rstrip("$"))

    walk(portal)
    skip = ("logout", "callback", "notify", "static", "media", "health", "metrics")
    for email in partner_emails:
        client = Client()
        client.force_login(User.objects.get(email=email))
        with translation.override("zh-hans"):
            for path in sorted(set(plain_paths)):
                if any(word in path for word in skip):
                    continue
                results[f"{email} {path}"] = record(client, path)[0]
    return results


def compare(before_path: str, after_path: str) -> int:
    before = json.loads(Path(before_path).read_text())
    after = json.loads(Path(after_path).read_text())
    differences = 0
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            differences += 1
            print(f"{key}: {before.get(key)} → {after.get(key)}")
    print(f"{len(before)} before, {len(after)} after, {differences} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compare"]:
        raise SystemExit(compare(sys.argv[2], sys.argv[3]))
    json.dump(snapshot(), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
