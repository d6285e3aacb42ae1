"""Load the demo company (idempotent): the four role users and enough data that no page is empty."""

import os

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from billing.demo import load_billing_demo
from fulfillment.demo import load_fulfillment_demo
from insight.demo import load_insight_demo
from inventory.demo import load_inventory_demo
from o2c.audit import audit_record
from o2c.events import publish
from o2c.models import WebhookEndpoint
from o2c.roles import ADMIN, FINANCE, SALES, WAREHOUSE
from o2c.webhooks import webhook_endpoint_create
from orders.demo import load_orders_demo
from receivables.demo import load_receivables_demo

DEMO_USERS = [
    ("sales", "Sam", "Seller", SALES),
    ("warehouse", "Wanda", "Stock", WAREHOUSE),
    ("finance", "Fiona", "Ledger", FINANCE),
    ("admin", "Ada", "Admin", ADMIN),
]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: object) -> None:
        parser.add_argument(  # type: ignore[attr-defined]
            "--password", default=os.environ.get("DEMO_PASSWORD", "o2c-demo"),
            help="Password of the demo users (default: $DEMO_PASSWORD or o2c-demo).",
        )
        parser.add_argument(  # type: ignore[attr-defined]
            "--history-months", type=int, default=None,
            help="Months of past sales, invoices and payments to simulate for insight "
                 "(default: settings.DEMO_HISTORY_MONTHS; 0: none).",
        )

    @transaction.atomic
    def handle(self, *args: object, password: str, history_months: int | None = None, **options: object) -> None:
        call_command("setup_roles", verbosity=0)
        users: dict[str, User] = {}
        for username, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@o2c.example"},
            )
            user.set_password(password)
            user.is_staff = role == ADMIN
            user.is_superuser = role == ADMIN
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[role] = user
            if created:
                audit_record(obj=user, action="created", actor=None, data={"role": role})
        if not WebhookEndpoint.objects.exists():
            endpoint = webhook_endpoint_create(
                name="ERP mirror (demo)", url="http://127.0.0.1:8000/api/v1/",
                event_types=["order.confirmed", "invoice.issued", "payment.received"],
                is_active=False, actor=users[ADMIN],
            )
            publish("demo.loaded", {"users": [u[0] for u in DEMO_USERS], "webhook": endpoint.pk})
        stock = load_inventory_demo(actor=users[WAREHOUSE])
        if any(stock.values()):
            self.stdout.write("Inventory demo: " + ", ".join(f"{n} {what}" for what, n in stock.items() if n) + ".")
        sales = load_orders_demo(sales=users[SALES], finance=users[FINANCE], warehouse=users[WAREHOUSE],
                                 admin=users[ADMIN])
        if any(sales.values()):
            self.stdout.write("Orders demo: " + ", ".join(f"{n} {what}" for what, n in sales.items() if n) + ".")
        floor = load_fulfillment_demo(warehouse=users[WAREHOUSE], admin=users[ADMIN])
        if any(floor.values()):
            self.stdout.write("Fulfillment demo: " + ", ".join(f"{n} {what}" for what, n in floor.items() if n) + ".")
        books = load_billing_demo(actor=users[FINANCE], sales=users[SALES], warehouse=users[WAREHOUSE])
        if any(books.values()):
            self.stdout.write("Billing demo: " + ", ".join(f"{n} {what}" for what, n in books.items() if n) + ".")
        cash = load_receivables_demo(actor=users[FINANCE], sales=users[SALES], warehouse=users[WAREHOUSE])
        if any(cash.values()):
            self.stdout.write("Receivables demo: " + ", ".join(f"{n} {what}" for what, n in cash.items() if n) + ".")
        months = settings.DEMO_HISTORY_MONTHS if history_months is None else history_months
        past = load_insight_demo(sales=users[SALES], warehouse=users[WAREHOUSE], finance=users[FINANCE], months=months)
        if any(past.values()):
            self.stdout.write(f"Insight demo ({months} months of history): "
                              + ", ".join(f"{n} {what}" for what, n in past.items() if n) + ".")
        self.stdout.write(self.style.SUCCESS("Demo company loaded. Log in at http://127.0.0.1:8000/ as:"))
        for username, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<10} password: {password:<12} ({role})")
