import pytest

pytestmark = pytest.mark.django_db


def test_portal_is_chinese_by_default_even_for_english_browsers(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "解决方案" in html
    assert "请搜索您需要的云产品" in html


def test_language_switcher_switches_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Search for the cloud product you need" in html
    assert "解决方案" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "解决方案" in client.get("/").content.decode()


def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies["django_language"] = "xx"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_admin_login_page_is_chinese_and_branded(client):
    response = client.get("/admin/login/", follow=True)
    assert response.redirect_chain == [("/admin/login/?next=%2Fadmin%2F", 302)]
    html = response.content.decode()
    assert "云睐 AggreSmart 运营后台" in html
    assert "密码" in html
    assert "欢迎回到" in html
