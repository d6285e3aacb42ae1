from django.core.management.base import BaseCommand

from o2c.roles import setup_roles


class Command(BaseCommand):
    help = "Create the Sales, Warehouse, Finance and Admin groups with their permissions (idempotent)."

    def handle(self, *args: object, verbosity: int = 1, **options: object) -> None:
        for role, count in setup_roles().items():
            if verbosity:
                self.stdout.write(f"{role}: {count} permissions")
