"""The ``demo`` fixture: the demo data (``loaddemo``), for the browser tests and the tests
that start from it. Import it where it is wanted (tests/e2e/conftest.py does)."""

import io

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(settings, tmp_path):
    """The demo data (``loaddemo``), its mails written to files under ``tmp_path``."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mail")},
        }
    }
    call_command("loaddemo", stdout=io.StringIO())
