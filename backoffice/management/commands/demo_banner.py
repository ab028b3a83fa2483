import os

from django.core.management.base import BaseCommand

from fixtures.demo import demo_logins


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
        lines += ["  Mails are written to var/mail/. Stop with Ctrl-C.", "=" * 72, ""]
        self.stdout.write("\n".join(lines))
