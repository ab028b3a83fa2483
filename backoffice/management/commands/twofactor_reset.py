from django.core.management.base import BaseCommand, CommandError

from backoffice.twofactor import otp_required, twofactor_remove
from partners.models import User


class Command(BaseCommand):
    help = (
        "Remove a staff member's two-factor login (authenticator and recovery codes), e.g. "
        "after they lost their phone and their recovery codes. Their next console login "
        "asks them to set it up again if their role requires it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip(), is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff member with the e-mail {email}.")
        twofactor_remove(user=user)
        then = "must set it up again" if otp_required(user) else "may set it up again"
        self.stdout.write(
            f"Two-factor login removed for {user.email}; at the next login they {then}."
        )
