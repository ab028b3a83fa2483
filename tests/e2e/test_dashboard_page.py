"""The console's dashboard in a browser at 1440 px, zh-hans: the 12-month sales chart is
drawn (unfold's Chart.js, nothing from a CDN), empty queues keep a ≥ 4.5:1 contrast, and
销售 see their companies' figures. Screenshots go to var/screenshots/."""

import io

import pytest
from django.core.management import call_command

from tests.e2e.test_console_queues import console_login

pytestmark = pytest.mark.django_db(transaction=True)

CONTRAST = """
(element) => {
    // Computed colours may be oklch(): let a canvas turn them into sRGB bytes.
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d', {willReadFrequently: true});
    const rgb = (value) => {
        context.clearRect(0, 0, 1, 1);
        context.fillStyle = value;
        context.fillRect(0, 0, 1, 1);
        return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3));
    };
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    let node = element, background = 'rgba(0, 0, 0, 0)';
    while (node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(background)) {
        background = getComputedStyle(node).backgroundColor;
        node = node.parentElement;
    }
    if (/rgba\\(0, 0, 0, 0\\)|transparent/.test(background)) background = 'rgb(255, 255, 255)';
    const style = getComputedStyle(element);
    let opacity = 1;
    for (let n = element; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const fg = rgb(style.color), bg = rgb(background);
    const blended = fg.map((v, i) => v * opacity + bg[i] * (1 - opacity));
    const [a, b] = [lum(blended), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}
"""


@pytest.fixture
def demo():
    call_command("loaddemo", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("email", "name"), [("admin@example.com", "superadmin"), ("sales@example.com", "sales")]
)
def test_dashboard_at_1440_in_chinese(
    page, live_server, demo, block_external, screenshot_dir, email, name
):
    page.set_viewport_size({"width": 1440, "height": 1500})
    console_login(page, live_server, email)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    figure = page.locator("[data-figure=monthly-sales]")
    assert figure.get_attribute("data-months") == "12"
    canvas = figure.locator("canvas.chart")
    page.wait_for_function(
        "() => !!window.Chart && Chart.getChart(document.querySelector('[data-figure=monthly-sales] canvas'))"
    )
    box = canvas.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    points = page.evaluate(
        "() => Chart.getChart(document.querySelector('[data-figure=monthly-sales] canvas'))"
        ".data.datasets.map((d) => d.data.length)"
    )
    assert points and all(n == 12 for n in points)
    assert page.locator("[data-figure=orders-by-status] li").count() > 0
    assert page.locator("[data-figure=top-partners] li").count() > 0
    assert "近 12 个月销售额（按月）" in page.inner_text("[data-figures]")
    empty = page.locator("[data-queue-empty] a")
    for index in range(empty.count()):
        ratio = empty.nth(index).evaluate(CONTRAST)
        assert ratio >= 4.5, (empty.nth(index).inner_text(), ratio)
    page.screenshot(path=str(screenshot_dir / f"dashboard-1440-zh-{name}.png"), full_page=True)
