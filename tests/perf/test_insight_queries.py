"""The home page of each role renders with the demo data and runs a fixed number of queries; so do the KPI
page, the cash forecast, the collection priorities and insight's API.

Each page is measured on the demo company, then again after more of everything its widgets list (open,
held and backordered orders, expiring quotes, late shipments, overdue invoices with their predictions,
unmatched bank lines): the two counts must be equal (no N+1), and equal to the count written here, so a
regression shows as a number. The rows each page shows are counted too, to prove the growth reached it.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from fulfillment.services import shipment_create
from insight import services
from insight.models import PaymentPrediction
from orders.enums import OrderStatus
from orders.models import SalesOrder
from orders.services import order_confirm, quote_create
from receivables.selectors.statements import reconciliation_queue
from receivables.services.statements import bank_statement_import
from tests.billing.factories import billing_customer, overdue_invoice
from tests.conftest import api_queries, client_for, page_queries
from tests.fulfillment.factories import CarrierFactory, shipped_shipment, stocked_order
from tests.inventory.factories import ProductFactory
from tests.orders.factories import ContactFactory, CustomerFactory, draft_order, german_rates
from tests.receivables.statement_files import csv_rows

pytestmark = pytest.mark.django_db

GROWTH = 6  # of each kind of row


def _link(name: str) -> str:
    """A regex for the links to `name`'s pages (any pk), to count the rows a page lists."""
    return re.escape(reverse(name, args=[987654321])).replace("987654321", r"\d+")


# name: (demo user, url, a regex matching each row the page lists)
PAGES: dict[str, tuple[str, str, str]] = {
    "home sales": ("sales", "/", _link("orders:order-detail")),
    "home warehouse": ("warehouse", "/", _link("fulfillment:shipment-detail")),
    "home finance": ("finance", "/", _link("receivables:customer")),
    "home admin": ("admin", "/", r'class="kpi-spark"'),
    "kpis": ("admin", "/insight/kpis/", r'data-testid="kpi-row-'),
    "kpis quarter": ("finance", "/insight/kpis/?period=quarter", r'data-testid="kpi-row-'),
    "forecast": ("finance", "/insight/forecast/", r'data-testid="forecast-week"'),
    "priorities": ("finance", "/insight/priorities/", _link("receivables:customer")),
}
APIS = ["/api/v1/insight/kpis/", "/api/v1/insight/cash-forecast/", "/api/v1/insight/payment-predictions/"]

# the budgets, as measured (demo data, then GROWTH more of each kind of row): equal before and after
EXPECTED = {
    "home sales": 13,
    "home warehouse": 19,
    "home finance": 17,
    "home admin": 8,
    "kpis": 22,
    "kpis quarter": 24,
    "forecast": 10,
    "priorities": 6,
    "/api/v1/insight/kpis/": 18,
    "/api/v1/insight/cash-forecast/": 7,
    "/api/v1/insight/payment-predictions/": 4,
}


def _grow(users: dict[str, User], n: int) -> None:
    """n more of everything the widgets list, made by the services (as the demo users where it shows)."""
    german_rates()
    sales, today = users["sales"], timezone.localdate()
    carrier = CarrierFactory()
    for i in range(n):
        # Sales: a draft, an order held by the credit check, a backordered one, a quote expiring this week
        customer = CustomerFactory(credit_limit=Decimal("1000000"))
        ContactFactory(customer=customer)
        product = ProductFactory(list_price=Decimal("25.00"))
        draft_order(customer, [(product, 1)], actor=sales)
        broke = CustomerFactory(credit_limit=Decimal("1.00"))
        held = draft_order(broke, [(product, 2)], actor=sales)
        assert order_confirm(order_id=held.pk, actor=sales).status == OrderStatus.ON_HOLD
        backordered = stocked_order([(1, 4)], actor=sales)
        quote_create(customer=customer, lines=[{"product": product.pk, "quantity": "3"}], actor=sales,
                     valid_until=today + datetime.timedelta(days=1 + i % 5))
        # Warehouse: a shipment that should have left, one shipped past its promise
        late = shipment_create(order_id=backordered.pk, actor=None, carrier=carrier)
        Shipment.objects.filter(pk=late.pk).update(planned_ship_date=today - datetime.timedelta(days=2 + i))
        gone = shipped_shipment(stocked_order([(5, 2)]))
        Shipment.objects.filter(pk=gone.pk).update(promised_date=today - datetime.timedelta(days=1 + i))
        # Finance: an overdue invoice of a customer Sales sells to
        overdue_invoice(5 + 7 * i, customer=billing_customer(), actor=sales)
    # unmatched money on the bank
    bank_statement_import(content=csv_rows(*[{"amount": f"{13 + i}.37", "name": f"Unknown payer {i}",
                                               "remittance": "Thanks"} for i in range(n)]),
                          filename="perf.csv", actor=None)
    services.payment_predictions_refresh()


def _measure(clients: dict[str, Client], users: dict[str, User]) -> tuple[dict[str, int], dict[str, int]]:
    """({page or endpoint: queries}, {page: rows shown})."""
    queries: dict[str, int] = {}
    rows: dict[str, int] = {}
    for name, (user, url, marker) in PAGES.items():
        queries[name], rows[name] = page_queries(clients[user], url, marker)
    api = APIClient()
    for url in APIS:
        queries[url] = api_queries(api, users["finance"], lambda c, url=url: c.get(url), 200)
    return queries, rows


def _counts() -> dict[str, int]:
    """How many of each grown kind of row there are."""
    today = timezone.localdate()
    late = Shipment.objects.filter(status=ShipmentStatus.SCHEDULED, planned_ship_date__lt=today).count()
    return {
        "held orders": SalesOrder.objects.filter(status=OrderStatus.ON_HOLD).count(),
        "draft orders": SalesOrder.objects.filter(status=OrderStatus.DRAFT).count(),
        "late shipments": late,
        "predictions": PaymentPrediction.objects.count(),
        "unmatched lines": reconciliation_queue().count(),
    }


def test_insight_pages_and_endpoints_run_a_fixed_number_of_queries() -> None:
    call_command("load_demo", password="pw-demo", history_months=3, stdout=StringIO())
    users = {u.username: u for u in User.objects.filter(username__in=["sales", "warehouse", "finance", "admin"])}
    clients = {name: client_for(user) for name, user in users.items()}
    _measure(clients, users)  # warm up: content types, the session's user
    few, shown_few = _measure(clients, users)
    counts_before = _counts()

    _grow(users, GROWTH)
    many, shown_many = _measure(clients, users)
    counts_after = _counts()
    print("\nqueries (demo → demo + growth):", {k: f"{few[k]}→{many[k]}" for k in few})
    print("rows shown:", {k: f"{shown_few[k]}→{shown_many[k]}" for k in shown_few})
    print("data:", {k: f"{counts_before[k]}→{counts_after[k]}" for k in counts_before})

    assert all(counts_after[k] >= counts_before[k] + GROWTH for k in counts_before), (counts_before, counts_after)
    for name in ("home sales", "home warehouse", "home finance", "priorities"):
        assert shown_many[name] > shown_few[name], f"{name}: the growth does not show"
    assert many == few
    assert few == EXPECTED

