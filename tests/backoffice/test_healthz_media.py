"""/healthz reports the media store too (issue 20): the folder on disk is writable, or the
S3 bucket answers HEAD fast; otherwise 503, saying only "unavailable"."""

import time

import pytest

from backoffice.core.storage import private_storage

pytestmark = pytest.mark.django_db

HEALTHZ = "/healthz"


def test_healthz_reports_a_writable_media_folder(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not-yet-created" / "media"
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    assert response.json()["checks"]["media"] == {"status": "ok", "type": "filesystem"}


def test_healthz_answers_503_when_the_media_folder_is_not_writable(client, monkeypatch, caplog):
    monkeypatch.setattr("os.access", lambda *args, **kwargs: False)
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["media"] == {
        "status": "fail",
        "type": "filesystem",
        "error": "unavailable",
    }
    assert any("media folder" in record.getMessage() for record in caplog.records)


def test_healthz_answers_503_fast_when_the_bucket_is_unreachable(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "aggresmart-health",
                "endpoint_url": "http://127.0.0.1:9",  # nothing listens (discard port)
                "region_name": "us-east-1",
                "access_key": "x",
                "secret_key": "y",
                "location": "private",
            },
        },
    }
    assert type(private_storage()).__name__ == "S3Storage"
    started = time.monotonic()
    response = client.get(HEALTHZ)
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"]["media"] == {
        "status": "fail",
        "type": "s3",
        "error": "unavailable",
    }
    assert "127.0.0.1:9" not in response.content.decode()
