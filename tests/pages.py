"""Helpers that read the pages the tests get back: the HTML of a 200 response, the flash
messages of a level, the rows of a datatable and a msgid's Chinese text."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation


def html_of(response) -> str:
    """The body of a 200 response (a redirect fails with its target)."""
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    return response.content.decode()


def messages_of(response, level: str = "error") -> list[str]:
    """The texts of the response's flash messages of ``level``."""
    return [str(m) for m in response.context["messages"] if m.level_tag == level]


def row_ids(html: str) -> list[int]:
    """The primary keys of a datatable's rows (``data-row``), in page order."""
    return [int(pk) for pk in re.findall(r'data-row="(\d+)"', html)]


def zh(message: str, **params) -> str:
    """The Chinese text of a msgid, as the page shows it (``params`` filled in when given)."""
    with translation.override("zh-hans"):
        text = str(translation.gettext(message))
    return text % params if params else text


def get_queries(client, url: str, params: dict | None = None) -> int:
    """How many queries a GET of ``url`` (with ``params``) makes; it must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)
