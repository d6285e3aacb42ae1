"""The cockpit in a real browser, on the demo company: each role lands on "/" and sees its widgets with the
figures the selectors give, each widget's link opens the filtered list behind it, Finance's three charts are
drawn, the 13-week forecast shows its weeks, the KPI page reloads for a quarter; and an invoice page shows its
predicted payment once the predictions have been refreshed.

The demo grows (another history is being added to it), so nothing here depends on its exact numbers: every
expected figure is read from the database through the same selectors in the test. One test loads the demo
once (about 10-20 s) and walks the four roles; screenshots go to test-results/ (gitignored)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from insight import services
from insight.models import PaymentPrediction
from insight.periods import quarter_of
from insight.selectors.forecast import cash_forecast
from insight.selectors.home import finance_home, sales_home, warehouse_home
from insight.selectors.kpis import KPIS, KpiFilter, KpiValue, kpi_values, trailing
from insight.selectors.predictions import collection_priorities
from o2c.money import default_currency
from orders.views.common import ORDERS_PER_PAGE
from receivables.selectors.aging import aging_totals
from receivables.selectors.statements import reconciliation_queue
from receivables.views.cash.common import QUEUE_PER_PAGE
from tests.billing.factories import billing_customer, overdue_invoice
from tests.e2e.conftest import login

PASSWORD = "pw-demo"
SHOTS = Path("test-results")
ROLE_SECTIONS = {"sales": "home-sales", "warehouse": "home-warehouse", "finance": "home-finance",
                 "admin": "home-management"}


def _money(amount: Decimal) -> str:
    """An amount as the pages print it (the template's `floatformat:2`)."""
    return f"{amount:.2f}"


def _kpi_text(value: KpiValue, unit: str, currency: str) -> str:
    """What insight/partials/kpi_value.html shows for a KPI value."""
    if value.value is None:
        return "–"
    return f"{value.value} " + {"%": "%", "days": "days"}.get(unit, currency)


def _chart_drawn(page: Page, canvas_id: str) -> bool:
    return page.evaluate(f"Chart.getChart(document.getElementById('{canvas_id}')) !== undefined")


def _chart_values(page: Page, canvas_id: str, dataset: int = 0) -> list[float | None]:
    return page.evaluate(f"Chart.getChart(document.getElementById('{canvas_id}')).data.datasets[{dataset}].data")


def _as(page: Page, base: str, username: str) -> None:
    """Log out whoever was logged in, log in as `username` and check the home shows only that role's widgets."""
    page.context.clear_cookies()
    login(page, base, username, PASSWORD)
    for user, section in ROLE_SECTIONS.items():
        expect(page.get_by_test_id(section)).to_have_count(1 if user == username else 0)


def _shot(page: Page, name: str) -> None:
    """A full-page screenshot, once the page is known not to spill sideways out of the 1280 px window."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"insight-{name}.png"), full_page=True)


def _sales(page: Page, base: str, today: datetime.date) -> None:
    _as(page, base, "sales")
    home = sales_home(User.objects.get(username="sales"), today)
    section = page.get_by_test_id("home-sales")
    for status, n in home.orders_by_status.items():
        expect(section.get_by_test_id(f"sales-orders-{status}").get_by_test_id("card-value")).to_have_text(str(n))
    expect(section.get_by_test_id("sales-backorders").get_by_test_id("card-value")).to_have_text(
        str(home.backorder_count))
    assert home.backorder_count > 0, "the demo has backorders"
    backorders = section.get_by_test_id("sales-backorder-lines").locator("tr")
    expect(backorders).to_have_count(len(home.backorders))
    expect(backorders.first).to_contain_text(home.backorders[0].order.number)
    held = section.get_by_test_id("sales-on-hold").locator("tr")
    expect(held).to_have_count(max(len(home.on_hold), 1))  # or the one "nothing waits" row
    for k, order in enumerate(home.on_hold):
        expect(held.nth(k)).to_contain_text(order.number)
    mine = section.get_by_test_id("sales-my-customers").locator("tr")
    expect(mine).to_have_count(max(len(home.my_customers), 1))
    for k, customer in enumerate(home.my_customers):
        expect(mine.nth(k)).to_contain_text(f"{customer.number}")
        expect(mine.nth(k)).to_contain_text(f"{customer.overdue} {customer.currency}")
    _shot(page, "sales")

    # a status card opens the order list filtered by that status, with as many orders
    confirmed = home.orders_by_status["confirmed"]
    section.get_by_test_id("sales-orders-confirmed").click()
    page.wait_for_url(f"{base}{reverse('orders:order-list')}?status=confirmed")
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.locator("#id_status")).to_have_value("confirmed")
    expect(page.get_by_text(f"{confirmed} order{'s' if confirmed != 1 else ''}.", exact=True)).to_be_visible()
    expect(page.get_by_test_id("order-table").locator("tbody tr")).to_have_count(min(confirmed, ORDERS_PER_PAGE))


def _warehouse(page: Page, base: str, today: datetime.date) -> None:
    # one shipment that should have left three days ago: the late widget has something to show
    late = Shipment.objects.filter(status=ShipmentStatus.SCHEDULED).order_by("pk").first()
    assert late is not None, "the demo has scheduled shipments"
    Shipment.objects.filter(pk=late.pk).update(planned_ship_date=today - datetime.timedelta(days=3))
    _as(page, base, "warehouse")
    home = warehouse_home(today)
    assert home.late_count >= 1
    section = page.get_by_test_id("home-warehouse")
    expect(section.get_by_test_id("late-count")).to_have_text(str(home.late_count))
    expect(section.get_by_test_id("warehouse-late").locator("tr")).to_have_count(len(home.late))
    expect(section.get_by_test_id("warehouse-late")).to_contain_text(late.number)
    assert home.capacity, "the demo has active warehouses"
    for row in home.capacity:
        card = section.get_by_test_id(f"capacity-{row.warehouse.code}")
        expect(card).to_contain_text(f"{row.today_planned} / {row.today_capacity or 'closed'}")
        expect(card).to_contain_text(f"{row.week_planned} / {row.week_capacity}")
    expect(section.get_by_test_id("open-requests")).to_have_text(f"{home.open_requests} open")
    expect(section.get_by_test_id("warehouse-low-stock").locator("tbody tr")).to_have_count(
        max(len(home.low_stock), 1))
    _shot(page, "warehouse")

    # the late widget's link: the shipments scheduled to leave before today, the late one among them
    section.get_by_role("link", name="Scheduled to leave before today").click()
    yesterday = today - datetime.timedelta(days=1)
    page.wait_for_url(f"{base}{reverse('fulfillment:shipment-list')}?status=scheduled&date_to={yesterday:%Y-%m-%d}")
    expect(page.get_by_role("heading", name="Shipments")).to_be_visible()
    expect(page.get_by_test_id("shipment-table")).to_contain_text(late.number)
    # a capacity card opens the scheduling board of its warehouse
    page.go_back()
    first = home.capacity[0].warehouse
    page.get_by_test_id(f"capacity-{first.code}").click()
    page.wait_for_url(f"{base}{reverse('fulfillment:board')}?warehouse={first.pk}")
    expect(page.get_by_test_id("board")).to_be_visible()


def _finance(page: Page, base: str, today: datetime.date) -> None:
    _as(page, base, "finance")
    currency = default_currency()
    aging = aging_totals(today)[currency]
    home = finance_home(today)
    section = page.get_by_test_id("home-finance")
    expect(section.get_by_test_id("finance-open-ar").get_by_test_id("card-value")).to_have_text(str(aging.total))
    expect(section.get_by_test_id("finance-overdue").get_by_test_id("card-value")).to_have_text(str(aging.overdue))
    unmatched = reconciliation_queue().count()
    expect(section.get_by_test_id("finance-unmatched").get_by_test_id("card-value")).to_have_text(str(unmatched))
    dso = kpi_values(trailing(today), ("dso",))["dso"]
    expect(section.get_by_test_id("finance-dso")).to_contain_text(_kpi_text(dso, "days", currency))
    expect(section.get_by_test_id("forecast-total")).to_contain_text(
        f"{_money(home.forecast.total)} {currency} expected in 13 weeks")
    worklist = section.get_by_test_id("finance-worklist").locator("tbody tr")
    priorities = collection_priorities(limit=10, today=today)
    assert priorities, "the demo has invoices expected to be paid late"
    expect(worklist).to_have_count(len(priorities))
    for row, priority in zip(worklist.all(), priorities, strict=True):
        expect(row).to_contain_text(f"{priority.number} {priority.name}")

    # the three charts are drawn, the aging bars with the aging's five buckets
    for canvas in ("aging-chart", "dso-chart", "forecast-chart"):
        assert _chart_drawn(page, canvas), canvas
    assert _chart_values(page, "aging-chart") == [float(cell) for cell in aging.cells()]
    assert _chart_values(page, "forecast-chart")[-13:] == [float(w.from_invoices) for w in home.forecast.weeks]
    _shot(page, "finance")

    # Overdue opens the aging's overdue invoices, which add up to the card
    section.get_by_test_id("finance-overdue").click()
    page.wait_for_url(f"{base}{reverse('receivables:aging')}?bucket=overdue")
    expect(page.get_by_test_id("drill-down-title")).to_contain_text("Overdue")
    expect(page.get_by_test_id("drill-down-totals")).to_contain_text(f"{aging.overdue} {currency}")
    # the bank lines card opens the reconciliation queue with as many lines
    page.go_back()
    page.get_by_test_id("finance-unmatched").click()
    page.wait_for_url(f"{base}{reverse('receivables:queue')}")
    expect(page.get_by_test_id("queue-title")).to_have_text("Reconciliation queue")
    expect(page.get_by_test_id("queue-row")).to_have_count(min(unmatched, QUEUE_PER_PAGE))

    # the 13-week forecast: 13 coming weeks, 8 past ones, the chart, the sum the selector gives
    page.goto(f"{base}/")
    page.get_by_test_id("home-finance").get_by_role("link", name="Forecast", exact=True).click()
    page.wait_for_url(f"{base}{reverse('insight:forecast')}")
    forecast = cash_forecast(today)
    expect(page.get_by_test_id("forecast-week")).to_have_count(13)
    expect(page.get_by_test_id("forecast-past-week")).to_have_count(len(forecast.past))
    expect(page.get_by_test_id("forecast-week").first).to_contain_text(f"{forecast.weeks[0].start:%Y-%m-%d}")
    expect(page.get_by_test_id("forecast-sum")).to_have_text(_money(forecast.total))
    assert _chart_drawn(page, "forecast-chart")
    _shot(page, "forecast")


def _admin(page: Page, base: str, today: datetime.date) -> None:
    _as(page, base, "admin")
    currency = default_currency()
    section = page.get_by_test_id("home-management")
    values = kpi_values(trailing(today - datetime.timedelta(days=1)))  # last night's snapshot, recomputed live
    expect(section.locator("canvas.kpi-spark")).to_have_count(len(KPIS))
    for key, kpi in KPIS.items():
        expect(section.get_by_test_id(f"kpi-{key}")).to_contain_text(_kpi_text(values[key], kpi.unit, currency))
    drawn = page.evaluate("[...document.querySelectorAll('canvas.kpi-spark')].every(c => Chart.getChart(c))")
    assert drawn, "every KPI tile has its sparkline"
    expect(page.get_by_test_id("health")).to_be_visible()
    _shot(page, "admin")

    # a tile opens the KPI page at its row; the period goes to the quarter and the table reloads with it
    section.get_by_test_id("kpi-dso").click()
    page.wait_for_url(f"{base}{reverse('insight:kpis')}#kpi-dso")
    expect(page.get_by_test_id("kpi-row-dso")).to_be_visible()
    page.get_by_label("Period").select_option("quarter")
    page.get_by_test_id("kpi-filters").get_by_role("button", name="Show").click()
    page.wait_for_url("**/insight/kpis/?period=quarter*")
    start, end = quarter_of(today)
    expect(page.get_by_text(f"Live figures from {start:%Y-%m-%d} to {end:%Y-%m-%d}")).to_be_visible()
    quarter = kpi_values(KpiFilter(start, end))
    for key, kpi in KPIS.items():
        expect(page.get_by_test_id(f"kpi-value-{key}")).to_have_text(_kpi_text(quarter[key], kpi.unit, currency))
    expect(page.get_by_label("Period")).to_have_value("quarter")
    _shot(page, "kpis-quarter")


def test_each_role_lands_on_its_cockpit_with_the_selectors_figures(page: Page, live_server: LiveServer) -> None:
    call_command("load_demo", password=PASSWORD, history_months=3, stdout=StringIO())
    today = timezone.localdate()
    base = live_server.url
    _sales(page, base, today)
    _warehouse(page, base, today)
    _finance(page, base, today)
    _admin(page, base, today)


def test_an_invoice_shows_its_predicted_payment_once_the_predictions_are_refreshed(
    page: Page, live_server: LiveServer, finance_user: User,
) -> None:
    customer = billing_customer(legal_name="Elbe Papier GmbH")
    invoice = overdue_invoice(12, customer=customer)
    base = live_server.url
    login(page, base, finance_user.username, "pw-" + finance_user.username)
    page.goto(f"{base}{reverse('billing:invoice-detail', args=[invoice.pk])}")
    expect(page.get_by_test_id("invoice-title")).to_have_text(f"Invoice {invoice.number}")
    expect(page.get_by_test_id("invoice-prediction")).to_have_count(0)  # nothing predicted yet

    assert services.payment_predictions_refresh() >= 1
    prediction = PaymentPrediction.objects.get(invoice=invoice)
    page.reload()
    panel = page.get_by_test_id("invoice-prediction")
    expect(panel).to_contain_text("Predicted payment")
    expect(panel.get_by_test_id("predicted-date")).to_have_text(f"{prediction.predicted_date:%a %Y-%m-%d}")
    expect(panel).to_contain_text(f"({prediction.due_date:%Y-%m-%d})")
    expect(panel).to_contain_text(prediction.confidence_label)
    _shot(page, "invoice-prediction")

    # the customer page: the payment outlook lists the invoice with the same date
    page.goto(f"{base}{reverse('orders:customer-detail', args=[customer.pk])}")
    outlook = page.get_by_test_id("customer-outlook")
    expect(outlook.get_by_test_id("customer-predictions")).to_contain_text(invoice.number)
    expect(outlook.get_by_test_id("customer-predictions")).to_contain_text(f"{prediction.predicted_date:%Y-%m-%d}")
    assert outlook.evaluate("card => card.scrollWidth <= card.clientWidth"), "the outlook fits its side card"
    _shot(page, "customer-outlook")
