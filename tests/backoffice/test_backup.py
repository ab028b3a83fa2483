"""scripts/backup.py on the test database: a backup restores into a fresh database with the
same row counts, balanced ledgers and the same media; a tampered backup fails the check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F

from billing.models import CreditAccount
from tests.billing.helpers import guarantee_limit, make_company, make_partner_user, numbered_charge
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent


def run(*args, media: Path) -> subprocess.CompletedProcess:
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "PGPASSWORD": settings.get("PASSWORD") or ""}
    return subprocess.run(
        [sys.executable, "scripts/backup.py", "--media-root", str(media), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def backup(tmp_path: Path, media: Path) -> Path:
    result = run("backup", "--out", str(tmp_path / "backups"), media=media)
    assert result.returncode == 0, result.stderr
    return next((tmp_path / "backups").iterdir())


@pytest.fixture
def media(tmp_path) -> Path:
    folder = tmp_path / "media"
    (folder / "private" / "registrations").mkdir(parents=True)
    (folder / "private" / "registrations" / "licence.pdf").write_bytes(b"%PDF-1.4 licence")
    (folder / "logos").mkdir()
    (folder / "logos" / "logo.png").write_bytes(b"\x89PNG logo")
    return folder


@pytest.fixture
def ledger():
    staff = UserFactory(is_staff=True, email="backup-finance@example.com")
    company = make_company("备份测试公司")
    user = make_partner_user(company, email="admin@backup.example.com")
    guarantee_limit(company, staff)
    numbered_charge(company, user, "100")
    return company


def test_backup_restores_and_verifies(tmp_path, media, ledger):
    folder = backup(tmp_path, media)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["partners_company"] >= 1
    assert manifest["tables"]["billing_creditentry"] >= 1
    assert set(manifest["media"]) == {"private/registrations/licence.pdf", "logos/logo.png"}

    result = run("restore-check", str(folder), media=media)
    assert result.returncode == 0, result.stderr
    assert "row counts, ledgers and media match" in result.stdout
    assert "mismatches: 0" in result.stdout
    # The fresh database is dropped afterwards.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%%_restorecheck_%%'")
        assert cursor.fetchone()[0] == 0

    # Tampered: a table's count in the manifest no longer matches what restores.
    manifest["tables"]["partners_company"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = run("restore-check", str(folder), media=media)
    assert result.returncode == 1
    assert "table partners_company" in result.stderr
    manifest["tables"]["partners_company"] -= 1
    (folder / "manifest.json").write_text(json.dumps(manifest))

    # Tampered: a media file changed after the backup.
    (folder / "media" / "logos" / "logo.png").write_bytes(b"\x89PNG other")
    result = run("restore-check", str(folder), media=media)
    assert result.returncode == 1
    assert "media logos/logo.png" in result.stderr


def test_restore_check_fails_when_the_ledgers_do_not_balance(tmp_path, media, ledger):
    CreditAccount.objects.filter(company=ledger, currency="CNY").update(used=F("used") + 1)
    result = run("restore-check", str(backup(tmp_path, media)), media=media)
    assert result.returncode == 1
    assert "check_ledgers failed" in result.stderr


def test_restore_into_a_named_database(tmp_path, media, ledger):
    folder = backup(tmp_path, media)
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    target = tmp_path / "restored-media"
    # A run killed mid-test (CI stopped by hand) leaves the database behind; start clean.
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        result = run(
            "restore", str(folder), "--into-database", name, "--media-to", str(target), media=media
        )
        assert result.returncode == 0, result.stderr
        assert (target / "private" / "registrations" / "licence.pdf").read_bytes() == (
            b"%PDF-1.4 licence"
        )
        # A database that is not empty is refused.
        result = run("restore", str(folder), "--into-database", name, media=media)
        assert result.returncode == 2
        assert "is not empty" in result.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
