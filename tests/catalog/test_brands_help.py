"""品牌专区, 帮助中心 and 产品手册: public pages, search, sanitising, scoped manual downloads,
query counts, the console admins and the demo content."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Brand, HelpArticle, HelpCategory, SolutionManual
from catalog.services_content import brand_save, help_article_save, manual_save
from fixtures.content_demo import manual_pdf
from tests.catalog.factories import PublishedSolutionFactory, SolutionFactory
from tests.partners.factories import CompanyFactory, admin_of

pytestmark = pytest.mark.django_db


def make_brand(name: str, slug: str, **kwargs) -> Brand:
    return brand_save(brand=Brand(name=name, slug=slug, **kwargs))


def make_category(name: str, slug: str, **kwargs) -> HelpCategory:
    return HelpCategory.objects.create(name=name, slug=slug, **kwargs)


def make_article(category: HelpCategory, title: str, body: str = "<p>答案</p>", **kwargs):
    kwargs.setdefault("is_published", True)
    return help_article_save(
        article=HelpArticle(category=category, title=title, body_html=body, **kwargs)
    )


def make_manual(solution, title: str = "产品手册", **kwargs) -> SolutionManual:
    manual = SolutionManual(solution=solution, title=title, **kwargs)
    manual.file.save("manual.pdf", ContentFile(manual_pdf(title)), save=False)
    return manual_save(manual=manual)


@pytest.fixture
def partner_client(client):
    client.force_login(admin_of(CompanyFactory()))
    return client


# --- 品牌专区 ----------------------------------------------------------------------


def test_brand_zone_lists_active_brands_with_their_published_solutions(client):
    brand = make_brand("SaaSaMe", "saasame", summary="迁移与容灾")
    make_brand("Hidden", "hidden", is_active=False)
    PublishedSolutionFactory(name="SaaSaMe Transport", slug="transport", brand=brand)
    SolutionFactory(name="Draft thing", slug="draft", brand=brand)  # unpublished

    response = client.get(reverse("portal:brands"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "SaaSaMe" in html and "迁移与容灾" in html
    assert "SaaSaMe Transport" in html
    assert "Draft thing" not in html
    assert "Hidden" not in html


def test_brand_zone_query_count_does_not_grow_with_brands(client, django_assert_max_num_queries):
    for n in range(6):
        brand = make_brand(f"Brand {n}", f"brand-{n}")
        PublishedSolutionFactory(slug=f"sol-{n}", brand=brand)
        PublishedSolutionFactory(slug=f"sol-{n}-b", brand=brand)
    client.get(reverse("portal:brands"))  # warm the menu cache
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:brands"))
    assert response.status_code == 200


def test_brand_detail_shows_intro_and_solutions_hidden_brand_is_404(client, partner_client):
    brand = make_brand("Microsoft", "microsoft", intro_html="<p>微软<script>alert(1)</script></p>")
    PublishedSolutionFactory(name="Office 365", slug="o365", brand=brand)
    make_brand("Gone", "gone", is_active=False)

    for c in (client, partner_client):
        response = c.get(reverse("portal:brand_detail", args=["microsoft"]))
        assert response.status_code == 200
        assert "Office 365" in response.content.decode()
    assert client.get(reverse("portal:brand_detail", args=["gone"])).status_code == 404


def test_brand_intro_is_sanitised_on_save():
    brand = make_brand("X", "x", intro_html='<p onclick="x()">好<script>alert(1)</script></p>')
    assert "script" not in brand.intro_html
    assert "onclick" not in brand.intro_html
    assert "好" in brand.intro_html


# --- 帮助中心 ----------------------------------------------------------------------


@pytest.fixture
def help_center():
    account = make_category("账户与注册", "account", position=1)
    orders = make_category("订单与支付", "orders", position=2)
    make_article(account, "忘记密码怎么办？", "<p>点击忘记密码</p>")
    make_article(orders, "如何申请开具发票？", "<p>在客户订单中申请开票</p>")
    make_article(orders, "草稿问题", is_published=False)
    hidden = make_category("Hidden", "hidden", is_active=False)
    make_article(hidden, "隐藏分类的问题")
    return {"account": account, "orders": orders, "hidden": hidden}


def test_help_center_lists_published_articles_of_active_categories(client, help_center):
    response = client.get(reverse("portal:help"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "忘记密码怎么办？" in html and "如何申请开具发票？" in html
    assert "草稿问题" not in html
    assert "隐藏分类的问题" not in html


def test_help_category_filters_and_hidden_category_is_404(client, help_center):
    response = client.get(reverse("portal:help_category", args=["orders"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "如何申请开具发票？" in html
    assert "忘记密码怎么办？" not in html
    assert client.get(reverse("portal:help_category", args=["hidden"])).status_code == 404


def test_help_search_matches_title_and_body(client, help_center):
    by_title = client.get(reverse("portal:help"), {"q": "密码"}).content.decode()
    assert "忘记密码怎么办？" in by_title and "如何申请开具发票？" not in by_title
    by_body = client.get(reverse("portal:help"), {"q": "客户订单"}).content.decode()
    assert "如何申请开具发票？" in by_body and "忘记密码怎么办？" not in by_body
    nothing = client.get(reverse("portal:help"), {"q": "不存在的词"})
    assert nothing.status_code == 200
    assert 'data-empty="help"' in nothing.content.decode()
    # Unpublished articles are never found.
    assert "草稿问题" not in client.get(reverse("portal:help"), {"q": "草稿"}).content.decode()


def test_help_article_detail_and_unpublished_is_404(client, partner_client, help_center):
    article = HelpArticle.objects.get(title="忘记密码怎么办？")
    for c in (client, partner_client):
        response = c.get(reverse("portal:help_article", args=[article.pk]))
        assert response.status_code == 200
        assert "点击忘记密码" in response.content.decode()
    draft = HelpArticle.objects.get(title="草稿问题")
    in_hidden = HelpArticle.objects.get(title="隐藏分类的问题")
    assert client.get(reverse("portal:help_article", args=[draft.pk])).status_code == 404
    assert client.get(reverse("portal:help_article", args=[in_hidden.pk])).status_code == 404


def test_help_article_body_is_sanitised(client, help_center):
    article = make_article(
        help_center["account"],
        "带脚本的问题",
        '<p>正文<script>alert("x")</script><img src="javascript:alert(1)"></p>',
    )
    assert "<script" not in article.body_html
    html = client.get(reverse("portal:help_article", args=[article.pk])).content.decode()
    assert 'alert("x")' not in html
    assert "javascript:alert" not in html
    assert "正文" in html


def test_help_list_query_count_does_not_grow(client, help_center, django_assert_max_num_queries):
    for n in range(15):
        make_article(help_center["orders"], f"问题 {n}")
    client.get(reverse("portal:help"))  # warm the menu cache
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:help"))
    assert response.status_code == 200


# --- 产品手册 ----------------------------------------------------------------------


def test_solution_page_lists_published_manuals(client):
    solution = PublishedSolutionFactory(slug="transport")
    shown = make_manual(solution, "安装手册")
    make_manual(solution, "内部草稿", is_published=False)
    html = client.get(reverse("portal:solution_detail", args=["transport"])).content.decode()
    assert "安装手册" in html
    assert reverse("portal:solution_manual", args=["transport", shown.pk]) in html
    assert "内部草稿" not in html


def test_manual_download_for_signed_in_users(partner_client):
    solution = PublishedSolutionFactory(slug="transport")
    manual = make_manual(solution, "安装手册")
    response = partner_client.get(reverse("portal:solution_manual", args=["transport", manual.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_manual_download_needs_login(client):
    manual = make_manual(PublishedSolutionFactory(slug="transport"))
    response = client.get(reverse("portal:solution_manual", args=["transport", manual.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_manual_download_scoped(partner_client):
    solution = PublishedSolutionFactory(slug="transport")
    other = PublishedSolutionFactory(slug="other")
    draft_solution = SolutionFactory(slug="draft")
    unpublished = make_manual(solution, "草稿", is_published=False)
    of_other = make_manual(other, "别人的")
    of_draft = make_manual(draft_solution, "未上架方案的")

    def status(slug, pk):
        return partner_client.get(reverse("portal:solution_manual", args=[slug, pk])).status_code

    assert status("transport", unpublished.pk) == 404
    assert status("transport", of_other.pk) == 404  # another solution's id
    assert status("draft", of_draft.pk) == 404  # solution not published
    assert status("transport", 999999) == 404
    assert status("other", of_other.pk) == 200


# --- Console -------------------------------------------------------------------


def test_console_pages_of_the_new_models(staff_client):
    brand = make_brand("B", "b")
    category = make_category("C", "c")
    article = make_article(category, "Q")
    for name, args in [
        ("admin:catalog_brand_changelist", []),
        ("admin:catalog_brand_change", [brand.pk]),
        ("admin:catalog_brand_history", [brand.pk]),
        ("admin:catalog_helpcategory_changelist", []),
        ("admin:catalog_helparticle_changelist", []),
        ("admin:catalog_helparticle_change", [article.pk]),
        ("admin:catalog_helparticle_add", []),
    ]:
        assert staff_client.get(reverse(name, args=args)).status_code == 200, name


def test_console_saves_help_article_sanitised(staff_client):
    category = make_category("C", "c")
    response = staff_client.post(
        reverse("admin:catalog_helparticle_add"),
        {
            "category": category.pk,
            "title": "新问题",
            "body_html": "<p>答</p><script>alert(1)</script>",
            "position": 0,
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    article = HelpArticle.objects.get(title="新问题")
    assert article.body_html == "<p>答</p>"
    assert article.history.count() == 1


# --- Demo ----------------------------------------------------------------------


def test_demo_content_pages_answer_with_content(partner_client):
    call_command("loaddemo", stdout=io.StringIO())
    assert Brand.objects.count() >= 3
    assert HelpCategory.objects.count() == 3
    assert HelpArticle.objects.filter(is_published=True).count() >= 8
    manuals = SolutionManual.objects.select_related("solution")
    assert manuals.values("solution").distinct().count() >= 2

    assert "SaaSaMe" in partner_client.get("/brands/").content.decode()
    assert "忘记密码怎么办？" in partner_client.get("/help/").content.decode()
    manual = manuals.first()
    detail = partner_client.get(reverse("portal:solution_detail", args=[manual.solution.slug]))
    assert manual.title in detail.content.decode()
    download = partner_client.get(
        reverse("portal:solution_manual", args=[manual.solution.slug, manual.pk])
    )
    assert download.status_code == 200
    from fixtures.content_demo import load_content

    assert load_content() == 0  # idempotent


def test_manual_files_must_be_readable_pdfs():
    from django.core.exceptions import ValidationError

    from catalog.services_content import manual_file_check

    manual_file_check(manual_pdf("手册"), "manual.pdf")  # a real PDF passes
    with pytest.raises(ValidationError):
        manual_file_check(manual_pdf("手册"), "manual.exe")
    with pytest.raises(ValidationError):
        manual_file_check(b"not a pdf", "manual.pdf")
