import os

from django.core.management.base import BaseCommand
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.twofactor import totp_secret
from fixtures.demo import STAFF_LOGINS, demo_logins


class Command(BaseCommand):
    help = "Print the portal and console URLs with the demo logins."

    def handle(self, *args, **options) -> None:
        port = os.environ.get("PORT", "8000")
        base = f"http://127.0.0.1:{port}"
        lines = [
            "",
            "=" * 72,
            "云睐 AggreSmart back office is starting",
            f"  Reseller portal : {base}/          (partner logins at {base}/login/)",
            f"  Staff console   : {base}/admin/",
            "  Demo logins (e-mail / password / who):",
        ]
        lines += [f"    {email:<30} {password}   {role}" for role, email, password in demo_logins()]
        lines += self.two_factor_lines()
        lines += ["  Mails are written to var/mail/. Stop with Ctrl-C.", "=" * 72, ""]
        self.stdout.write("\n".join(lines))

    def two_factor_lines(self) -> list[str]:
        """The console asks demo staff for a code after the password: how to get it."""
        emails = [login.email for login in STAFF_LOGINS]
        devices = TOTPDevice.objects.filter(user__email__in=emails, confirmed=True)
        keys = [
            f"    {device.user.email:<30} {totp_secret(device)}"
            for device in devices.select_related("user").order_by("user_id", "pk")
        ]
        if not keys:
            return []
        return [
            "  Console two-factor login (demo staff): after the password, enter the current code,",
            f"    .venv/bin/python manage.py totp_code {emails[0]}",
            "  or add the key to an authenticator app (dev only, these keys are public):",
            *keys,
        ]
