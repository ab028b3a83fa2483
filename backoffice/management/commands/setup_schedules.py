from django.core.management.base import BaseCommand

from backoffice.schedules import schedules_sync


class Command(BaseCommand):
    help = "Create or update the recurring task schedules (idempotent)."

    def handle(self, *args, **options) -> None:
        created, updated = schedules_sync()
        self.stdout.write(self.style.SUCCESS(f"Schedules: {created} created, {updated} updated."))
