from django.core.management.base import BaseCommand

from fixtures.demo import load_all


class Command(BaseCommand):
    help = "Load the demo data (idempotent: a second run changes nothing)."

    def handle(self, *args, **options) -> None:
        self.stdout.write("Loading demo data…")
        load_all(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
