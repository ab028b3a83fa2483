import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_production(env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "VAR_DIR": str(ROOT / "var" / "prod-check"),
        **env_extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _check_production({"ALLOWED_HOSTS": "example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_passes_the_deploy_check_with_real_values():
    result = _check_production(
        {
            "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-0123456789",
            "ALLOWED_HOSTS": "backoffice.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://backoffice.example.com",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
