"""Print the staff role matrix as the markdown table pasted in README's "Staff roles"."""

from django.core.management.base import BaseCommand

from partners.staff_roles import matrix_markdown


class Command(BaseCommand):
    help = "Print the staff role permission matrix (markdown) from partners.staff_roles."

    def handle(self, *args, **options) -> None:
        self.stdout.write(matrix_markdown())
