"""The partner API's Swagger UI renders from the project's own static files: no request
leaves the server and the page reports no CSP violation."""

import pytest


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_locally(live_server, page, block_external):
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert page.locator(".opblock").count() > 10
    assert "/api/v1/orders" in page.content()
    assert violations == []
