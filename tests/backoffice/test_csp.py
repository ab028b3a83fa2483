"""Content-Security-Policy: the headers of both front doors, framing, the payment gateway
origins, and a scan of every project template for inline script and style.

The browser side (zero violations while clicking through the portal and the console) is
tests/e2e/test_csp_violations.py.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import unfold
from django.http import HttpResponse
from django.test import RequestFactory
from django.views.decorators.clickjacking import xframe_options_exempt

from backoffice.csp import FrontDoorCSPMiddleware
from tests.factories import TEST_PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
NONCE_ATTR = re.compile(r'nonce="([^"]+)"')


def policy(response) -> dict[str, list[str]]:
    """The enforced policy as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_scripts(directives: dict, html: str) -> None:
    script_src = directives["script-src"]
    assert "'self'" in script_src
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-hashes'" not in script_src
    assert not any(source.startswith(("http:", "https:", "*")) for source in script_src)
    nonces = [s[len("'nonce-") : -1] for s in script_src if s.startswith("'nonce-")]
    assert len(nonces) == 1, script_src
    # The page's own tags carry that nonce (and no other).
    assert set(NONCE_ATTR.findall(html)) == {nonces[0]}
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/login/", "/register/", "/solutions/"])
def test_portal_pages_have_a_strict_policy_with_a_nonce(client, url):
    response = client.get(url)
    assert response.status_code == 200
    directives = policy(response)
    assert_strict_scripts(directives, response.content.decode())
    # The portal needs no eval and no style attributes.
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "style-src-attr" not in directives
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"][0] == "'self'"


@pytest.mark.django_db
def test_portal_personal_center_has_the_policy(client):
    from tests.partners.factories import PartnerUserFactory

    client.force_login(PartnerUserFactory())
    response = client.get("/account/")
    assert response.status_code == 200
    assert_strict_scripts(policy(response), response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/catalog/solution/", "/admin/catalog/solution/add/"]
)
def test_console_pages_allow_eval_but_never_inline_script(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    directives = policy(response)
    assert_strict_scripts(directives, html)
    # unfold's Alpine.js needs eval; style attributes are allowed, <style> needs the nonce.
    assert "'unsafe-eval'" in directives["script-src"]
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    nonce = NONCE_ATTR.search(html).group(1)
    assert f'<style id="unfold-theme-colors" nonce="{nonce}">' in html
    assert f'<meta name="trix-csp-nonce" content="{nonce}">' in html
    assert '"includeIndicatorStyles": false' in html


@pytest.mark.django_db
def test_console_login_page_has_the_console_policy(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 200
    directives = policy(response)
    assert_strict_scripts(directives, response.content.decode())
    assert "'unsafe-eval'" in directives["script-src"]


@pytest.mark.django_db
def test_every_response_gets_a_fresh_nonce(client):
    first = policy(client.get("/"))["script-src"]
    second = policy(client.get("/"))["script-src"]
    assert first != second


@pytest.mark.django_db
def test_console_login_still_works_under_the_policy(client):
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff@example.com", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert "Content-Security-Policy" in response


# --------------------------------------------------------------------------
# frame-ancestors follows X-Frame-Options; a view's own policy wins
# --------------------------------------------------------------------------


def _through_middleware(view, path="/some/page/"):
    from django.middleware.clickjacking import XFrameOptionsMiddleware

    # As in MIDDLEWARE: the CSP middleware wraps the clickjacking middleware.
    handler = FrontDoorCSPMiddleware(XFrameOptionsMiddleware(view))
    return handler(RequestFactory().get(path))


def test_frame_ancestors_none_by_default():
    response = _through_middleware(lambda request: HttpResponse("ok"))
    assert response["X-Frame-Options"] == "DENY"
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_frame_ancestors_self_where_a_view_allows_sameorigin_framing():
    def view(request):
        response = HttpResponse("preview")
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    assert policy(_through_middleware(view))["frame-ancestors"] == ["'self'"]


def test_no_frame_ancestors_for_views_exempt_from_framing_protection():
    response = _through_middleware(xframe_options_exempt(lambda request: HttpResponse("ok")))
    assert "X-Frame-Options" not in response
    assert "frame-ancestors" not in policy(response)


def test_a_response_with_its_own_policy_keeps_it():
    def view(request):
        response = HttpResponse("file")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    assert _through_middleware(view)["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_console_policy_only_under_the_console_prefix():
    ok = lambda request: HttpResponse("ok")  # noqa: E731
    assert "'unsafe-eval'" in policy(_through_middleware(ok, "/admin/x/"))["script-src"]
    assert "'unsafe-eval'" not in policy(_through_middleware(ok, "/administrator/"))["script-src"]


# --------------------------------------------------------------------------
# Production: the payment gateway origins join form-action
# --------------------------------------------------------------------------

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
    "VAR_DIR": str(ROOT / "var" / "prod-check"),
    "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-0123456789",
    "ALLOWED_HOSTS": "backoffice.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://backoffice.example.com",
}


def _production_setting(expression: str, **env) -> subprocess.CompletedProcess:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_form_action_allows_the_configured_payment_gateway():
    result = _production_setting(
        "' '.join(settings.SECURE_CSP['form-action'])",
        PAYMENT_GATEWAY_ORIGINS="https://openapi.alipay.com, https://*.alipay.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "'self'",
        "https://openapi.alipay.com",
        "https://*.alipay.com",
    ]
    default = _production_setting("' '.join(settings.SECURE_CSP['form-action'])")
    assert default.stdout.split() == ["'self'"]


def test_production_refuses_a_payment_gateway_that_is_not_an_https_origin():
    for bad in (
        "http://openapi.alipay.com",
        "https://openapi.alipay.com/gateway.do",
        "*",
        "https://*",
        "https:",
    ):
        result = _production_setting("1", PAYMENT_GATEWAY_ORIGINS=bad)
        assert result.returncode != 0, bad
        assert "PAYMENT_GATEWAY_ORIGINS" in result.stderr


# --------------------------------------------------------------------------
# Templates: no inline script, handler, style or javascript: URL
# --------------------------------------------------------------------------

SKIP_DIRS = {".venv", "var", ".git", "node_modules", "__pycache__"}
COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
NONCED = re.compile(r"csp_nonce_attr|\bnonce=")
CHECKS = (
    ("inline <script>", re.compile(r"<script\b([^>]*)>", re.I)),
    ("<style> element", re.compile(r"<style\b([^>]*)>", re.I)),
    ("on* handler attribute", re.compile(r"<[a-z][^<>]*?\s(on[a-z]+)\s*=", re.I)),
    ("style attribute", re.compile(r"<[a-z][^<>]*?\s(style)\s*=", re.I)),
    ("javascript: URL", re.compile(r"""=\s*["']?\s*(javascript):""", re.I)),
)


def project_templates() -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        if "templates" in Path(directory).relative_to(ROOT).parts:
            found += [Path(directory) / name for name in files if name.endswith(".html")]
    # Mail bodies are read by mail clients, which need inline styles; no page serves them.
    return sorted(path for path in found if "mail" not in path.relative_to(ROOT).parts)


def inline_code(path: Path) -> list[str]:
    text = COMMENTS.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text())
    offenders = []
    for kind, pattern in CHECKS:
        for match in pattern.finditer(text):
            attributes = match.group(1)
            if kind == "inline <script>" and (
                "src=" in attributes
                or re.search(r"""type=["']application/(ld\+)?json""", attributes)
                or NONCED.search(attributes)
            ):
                continue
            if kind == "<style> element" and NONCED.search(attributes):
                continue
            line = text.count("\n", 0, match.start()) + 1
            snippet = match.group(0)[:100].replace("\n", " ")
            offenders.append(f"{path.relative_to(ROOT)}:{line} [{kind}] {snippet}")
    return offenders


def test_the_scan_covers_every_front_door():
    paths = {str(p.relative_to(ROOT)) for p in project_templates()}
    assert "backoffice/portal/templates/portal/base.html" in paths
    assert "backoffice/templates/unfold/layouts/skeleton.html" in paths
    assert "contracts/templates/contracts/preview.html" in paths
    assert len(paths) > 80


def test_the_scan_finds_each_kind_of_inline_code(tmp_path, monkeypatch):
    bad = tmp_path / "templates" / "bad.html"
    bad.parent.mkdir()
    bad.write_text(
        "<script>alert(1)</script>\n"
        "<script type='application/json'>{}</script><script src='/s.js'></script>\n"
        "<style>p{}</style><style {% csp_nonce_attr %}>p{}</style>\n"
        '<a href="#" onclick="go()">x</a>\n'
        '<p class="a" style="color:red">x</p><p x-bind:style="{}">ok</p>\n'
        '<a href="javascript:void(0)">x</a>\n'
        "{% comment %}<script>fine in a comment</script>{% endcomment %}\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    kinds = [re.search(r"\[(.+?)\]", line).group(1) for line in inline_code(bad)]
    assert kinds == [
        "inline <script>",
        "<style> element",
        "on* handler attribute",
        "style attribute",
        "javascript: URL",
    ]


def test_no_template_has_inline_script_or_style():
    offenders = [line for path in project_templates() for line in inline_code(path)]
    assert offenders == [], (
        "Inline code the Content-Security-Policy blocks: move JS to a static file (data-"
        " attributes or json_script for data, addEventListener for handlers) and CSS to a"
        " stylesheet, or give a <script>/<style> element {% csp_nonce_attr %}.\n"
        + "\n".join(offenders)
    )


# --------------------------------------------------------------------------
# The override of unfold's skeleton.html differs from unfold's only by the CSP changes
# --------------------------------------------------------------------------

SKELETON = "unfold/layouts/skeleton.html"
SKELETON_CHANGES = (
    (
        """        <link href="{% static 'unfold/css/styles.css' %}" rel="stylesheet">\n""",
        """        <link href="{% static 'unfold/css/styles.css' %}" rel="stylesheet">\n"""
        """        <link href="{% static 'console/console.css' %}" rel="stylesheet">\n"""
        """        <script src="{% static 'console/a11y.js' %}" defer></script>\n"""
        """        <meta name="htmx-config" content='{"includeIndicatorStyles": false}'>\n"""
        """        <meta name="trix-csp-nonce" content="{{ csp_nonce }}">\n""",
    ),
    (
        '<style id="unfold-theme-colors">',
        '<style id="unfold-theme-colors" {% csp_nonce_attr %}>',
    ),
)


def test_skeleton_override_is_unfolds_file_plus_the_csp_changes():
    upstream = (Path(unfold.__file__).parent / "templates" / SKELETON).read_text()
    ours = (ROOT / "backoffice" / "templates" / SKELETON).read_text()
    ours = COMMENTS.sub("", ours, count=1).replace("\n\n", "\n", 1)
    expected = upstream
    for old, new in SKELETON_CHANGES:
        assert expected.count(old) == 1, f"unfold changed {SKELETON}: re-apply the CSP changes"
        expected = expected.replace(old, new)
    assert ours == expected, f"unfold changed {SKELETON}: copy it again, re-apply the changes"


# --------------------------------------------------------------------------
# What replaced the portal's style attributes
# --------------------------------------------------------------------------

PORTAL_CSS = ROOT / "backoffice" / "portal" / "static" / "portal" / "css"


@pytest.mark.parametrize(("rating", "step"), [(4.5, 18), (5, 20), (0.1, 0), (3.26, 13)])
def test_star_ratings_are_drawn_by_a_class_per_five_percent(rating, step):
    from django.template.loader import render_to_string

    html = render_to_string("portal/catalog/_stars.html", {"rating": rating, "count": 2})
    assert f'class="stars-fill stars-fill-{step}"' in html
    assert (
        f".stars-fill-{step} {{ width: {step * 5}%; }}" in (PORTAL_CSS / "catalog.css").read_text()
    )


def test_the_slider_mark_is_placed_by_an_attribute_rule_for_every_target():
    css = (PORTAL_CSS / "auth.css").read_text()
    for target in range(101):
        assert f'.slider[data-target="{target}"] {{ --target: {target}; }}' in css
