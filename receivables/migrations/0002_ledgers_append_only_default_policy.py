from decimal import Decimal

from django.db import migrations

from o2c.dbtriggers import append_only

LEVELS = [
    (1, 7, Decimal("0.00"), False, "Friendly reminder: open invoices of {{ customer.legal_name }}",
     "Dear customer,\n\nour records show the invoices below as unpaid after their due date. Perhaps they were "
     "overlooked: please pay them, or tell us if something is wrong with them.\n\nKind regards,\n{{ company }}"),
    (2, 21, Decimal("5.00"), True, "Second reminder: overdue invoices of {{ customer.legal_name }}",
     "Dear customer,\n\nthe invoices below are still unpaid. Under EU Directive 2011/7 we are entitled to "
     "interest on late payments and a fixed compensation per invoice, shown below. Please pay within 7 days."
     "\n\nKind regards,\n{{ company }}"),
    (3, 35, Decimal("10.00"), True, "Final notice: overdue invoices of {{ customer.legal_name }}",
     "Dear customer,\n\nthis is our final reminder. Unless the amounts below reach us within 7 days we will "
     "stop deliveries and hand the matter to collection.\n\nKind regards,\n{{ company }}"),
]


def default_policy(apps, schema_editor) -> None:
    policy_model = apps.get_model("receivables", "DunningPolicy")
    level_model = apps.get_model("receivables", "DunningLevel")
    policy, created = policy_model.objects.get_or_create(
        name="EU late payment (2011/7)",
        defaults={"is_default": True, "reference_rate": Decimal("2.15"), "interest_points": Decimal("8.00"),
                  "compensation_amount": Decimal("40.00"), "credit_hold_days": 60,
                  "write_off_limit": Decimal("5.00")})
    if created:
        level_model.objects.bulk_create(
            level_model(policy=policy, level=level, days_after_due=days, fee=fee, show_interest=interest,
                        subject=subject, body=body) for level, days, fee, interest, subject, body in LEVELS)


class Migration(migrations.Migration):
    dependencies = [("receivables", "0001_payments_statements_reminders_disputes")]

    operations = [
        append_only("receivables_allocation"),
        append_only("receivables_refund"),
        append_only("receivables_writeoff"),
        append_only("receivables_reminderlog"),
        migrations.RunPython(default_policy, migrations.RunPython.noop),
    ]
