from django.core.management.base import BaseCommand

from accounts.api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key answers older than 24 hours (run it hourly)."

    def handle(self, *args, **options):
        deleted = purge_expired()
        self.stdout.write(f"Deleted {deleted} expired idempotency records.")
