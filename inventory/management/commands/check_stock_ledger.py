"""Verify every stock level against the ledger: on_hand = sum of moves, reserved = sum of reservations."""

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_mismatches


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: object, **options: object) -> None:
        mismatches = ledger_mismatches()
        for row in mismatches:
            self.stderr.write(
                f"product {row['product']} warehouse {row['warehouse']}: on_hand {row['on_hand']} "
                f"vs moves {row['sum_of_moves']}; reserved {row['reserved']} vs reservations "
                f"{row['sum_of_reservations']}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} stock level(s) disagree with the ledger.")
        self.stdout.write(self.style.SUCCESS("Stock ledger OK: every level equals the sum of its moves."))
