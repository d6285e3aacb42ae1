"""The KPI page and API: every KPI's definition on the page, a bad period → 400 with the form's error and
nothing else, the CSV (one row per KPI, the figures of `kpi_values`, blank where the warehouse filter does
not apply), the API's one error shape and its quarter bounds, and who may see the cash forecast."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.utils.html import escape
from rest_framework.test import APIClient

from fulfillment.models import Carrier
from insight.models import KpiSnapshot
from insight.selectors.home import management_home
from insight.selectors.kpis import KPIS, KpiFilter, KpiValue, kpi_values, trailing
from insight.services import kpi_snapshot_take
from inventory.models import Warehouse
from tests.conftest import client_for
from tests.insight import factories as f

pytestmark = pytest.mark.django_db
KPI_URL, API_URL = "/insight/kpis/", "/api/v1/insight/kpis/"
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


@pytest.fixture(autouse=True)
def default_carrier(db: None) -> Carrier:
    return f.carrier()


@pytest.fixture
def march_sale() -> Warehouse:
    """One order of March, shipped, delivered, invoiced and paid: a few KPIs have figures."""
    customer, warehouse = f.customer(), f.warehouse("WHA")
    order = f.sale(customer, warehouse, [(5, 2)], day=datetime.date(2026, 3, 2), gross="500.00")
    shipment = f.ship(order, day=datetime.date(2026, 3, 3))
    f.deliver(shipment, day=datetime.date(2026, 3, 5))
    invoice = f.invoice_shipment(shipment, day=datetime.date(2026, 3, 4))
    f.pay(invoice, day=datetime.date(2026, 3, 20))
    return warehouse


def test_the_page_shows_every_kpi_with_its_definition(finance_user: User) -> None:
    response = client_for(finance_user).get(KPI_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for key, kpi in KPIS.items():
        assert f'data-testid="kpi-row-{key}"' in html
        assert escape(kpi.name) in html and escape(kpi.definition) in html, key


def test_a_period_ending_before_it_begins_is_a_400_with_the_forms_error(finance_user: User) -> None:
    response = client_for(finance_user).get(KPI_URL, {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The last day must not be before the first." in html
    assert response.context["form"].errors == {"end": ["The last day must not be before the first."]}
    assert 'data-testid="kpi-table"' not in html and "kpi-row-" not in html
    assert not any(escape(kpi.definition) in html for kpi in KPIS.values())


def test_the_csv_has_a_row_per_kpi_with_the_figures_of_kpi_values(finance_user: User, march_sale: Warehouse) -> None:
    client = client_for(finance_user)
    response = client.get(KPI_URL, {"period": "custom", "start": "2026-03-01", "end": "2026-03-31", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="kpis-2026-03-01-2026-03-31.csv"' in response["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["kpi", "name", "unit", "value", "sample", "start", "end", "customer", "warehouse"]
    values = kpi_values(KpiFilter(*MARCH))
    assert rows == [[key, kpi.name, kpi.unit, "" if values[key].value is None else str(values[key].value),
                     str(values[key].sample), "2026-03-01", "2026-03-31", "", ""] for key, kpi in KPIS.items()]
    figures = {row[0]: (row[3], row[4]) for row in rows}
    assert (figures["on_time"], figures["days_to_invoice"], figures["order_to_cash"]) == (
        ("100.0", "1"), ("1.0", "1"), ("18.0", "1"))

    # one warehouse: the KPIs about invoices and cash belong to none and are left blank
    response = client.get(KPI_URL, {"period": "custom", "start": "2026-03-01", "end": "2026-03-31",
                                     "warehouse": march_sale.pk, "format": "csv"})
    _, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    values = kpi_values(KpiFilter(*MARCH, warehouse_id=march_sale.pk))
    assert rows == [[key, kpi.name, kpi.unit,
                     "" if values[key].value is None or not kpi.by_warehouse else str(values[key].value),
                     str(values[key].sample) if kpi.by_warehouse else "", "2026-03-01", "2026-03-31", "",
                     str(march_sale.pk)] for key, kpi in KPIS.items()]
    assert {row[0] for row in rows if row[3:5] == ["", ""]} >= {k for k, kpi in KPIS.items() if not kpi.by_warehouse}


def test_the_api_refuses_a_bad_date_in_the_one_error_shape(finance_api: APIClient) -> None:
    response = finance_api.get(API_URL, {"period": "custom", "start": "x"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert "start" in body["error"]["details"], body


def test_the_api_reads_a_quarter_from_any_day_of_it(finance_api: APIClient) -> None:
    response = finance_api.get(API_URL, {"period": "quarter", "on": "2026-05-05"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["customer"], body["warehouse"]) == ("2026-04-01", "2026-06-30", None,
                                                                                 None)
    assert [row["key"] for row in body["kpis"]] == list(KPIS)
    assert all(row["definition"] == KPIS[row["key"]].definition and row["applies"] for row in body["kpis"])


def test_the_warehouse_sees_the_kpis_not_the_cash_forecast(warehouse_user: User) -> None:
    client = client_for(warehouse_user)
    assert client.get("/insight/forecast/").status_code == 403
    assert client.get(KPI_URL).status_code == 200


def test_the_management_home_shows_last_nights_snapshot_in_one_query(march_sale: Warehouse,
                                                                    django_assert_num_queries) -> None:
    today = datetime.date(2026, 3, 25)
    yesterday = today - datetime.timedelta(days=1)
    with f.clock(today, "10:00"):
        live = kpi_values(trailing(yesterday))
        assert live["on_time"] == KpiValue(D("100.0"), 1) and live["dso"].value is not None
        # before the nightly job has run, the tiles are the 30 days up to yesterday computed live
        assert {tile.key: tile.value for tile in management_home(today)} == live
        kpi_snapshot_take(day=yesterday)
        # the tiles show what the night stored (here made to differ from a live reading), not a live reading
        KpiSnapshot.objects.filter(day=yesterday, kpi="on_time").update(value=D("87.54"), sample=8)
        with django_assert_num_queries(1):
            tiles = {tile.key: tile for tile in management_home(today)}
    assert tiles["on_time"].value == KpiValue(D("87.5"), 8) and tiles["on_time"].trend[-1] == (yesterday, D("87.5"))
    assert {key: tile.value for key, tile in tiles.items() if key != "on_time"} == {
        key: value for key, value in live.items() if key != "on_time"}
    assert [day for day, _ in tiles["dso"].trend][-2:] == [datetime.date(2026, 2, 28), yesterday]
