from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from backoffice.twofactor import authenticator_of
from partners.models import User


class Command(BaseCommand):
    help = (
        "Print the current two-factor login code of a staff member's authenticator "
        "(development only: the demo staff's keys are known, see `make run`)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("totp_code runs only with DEBUG on (development).")
        user = User.objects.filter(email__iexact=email.strip()).first()
        device = authenticator_of(user) if user is not None else None
        if device is None:
            raise CommandError(f"{email} has no authenticator (two-factor login is off).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
