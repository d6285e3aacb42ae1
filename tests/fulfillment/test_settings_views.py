"""The Warehouse's settings pages: carriers (new, edit, activate / deactivate, make default) and the
holiday calendar (by year and warehouse, add, delete). Writes go through the services (audited); a
refusal is a form error (400) and changes nothing; Sales reads and is refused every write; the list
pages keep a fixed number of queries (real PostgreSQL)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Carrier
from inventory.models import Holiday, Warehouse
from o2c.audit import timeline
from o2c.models import AuditEvent
from tests.conftest import client_for, page_queries
from tests.fulfillment.factories import CarrierFactory
from tests.inventory.factories import HolidayFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

CARRIERS = reverse("fulfillment:carrier-list")
HOLIDAYS = reverse("fulfillment:holiday-list")
NEW_CARRIER = reverse("fulfillment:carrier-create")
NEW_HOLIDAY = reverse("fulfillment:holiday-create")
TRACKING = "https://track.example.com/?id={tracking}"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def this_year() -> int:
    return timezone.localdate().year


def _carrier_body(**changes: object) -> dict[str, object]:
    body = {"code": "dhl", "name": "DHL", "service_level": "Express", "transit_days": "1",
            "tracking_url_template": "https://dhl.example/track?id={tracking}", "is_active": "on"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _carriers() -> list[tuple]:
    return list(Carrier.objects.order_by("pk").values_list("code", "name", "service_level", "transit_days",
                                                           "tracking_url_template", "is_default", "is_active"))


def _holidays() -> list[tuple]:
    return list(Holiday.objects.order_by("pk").values_list("date", "name", "warehouse_id"))


@pytest.fixture
def ham() -> Warehouse:
    return WarehouseFactory(code="HAM", name="Hamburg")


# --- pages and access -----------------------------------------------------------------------------


def test_pages_render_for_the_warehouse(warehouse_user, default_carrier, ham) -> None:
    CarrierFactory(code="UPS", name="UPS")
    HolidayFactory(date=datetime.date(this_year(), 12, 25), name="Christmas")
    client = client_for(warehouse_user)
    pages = {
        CARRIERS: ["STD", "Parcel Co", "UPS", "New carrier", "Make UPS the default", "Deactivate STD"],
        NEW_CARRIER: ["New carrier", "Tracking page", "{tracking}"],
        reverse("fulfillment:carrier-edit", args=[default_carrier.pk]): ["Edit carrier STD", 'value="Parcel Co"',
                                                                         "History"],
        HOLIDAYS: ["Holiday calendar", "Christmas", "every warehouse", "Add holiday",
                   "shipments already planned keep their dates"],
        reverse("fulfillment:board"): [f'href="{HOLIDAYS}?warehouse={ham.pk}"'],  # the board's link to the calendar
        reverse("fulfillment:home"): [f'href="{CARRIERS}"', f'href="{HOLIDAYS}"'],  # the navigation
    }
    for url, texts in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for text in texts:
            assert text in page, (url, text)


def test_sales_reads_both_pages_and_is_refused_every_write(sales_user, default_carrier, ham) -> None:
    holiday = HolidayFactory(date=datetime.date(this_year(), 12, 25), name="Christmas")
    client = client_for(sales_user)
    carriers = client.get(CARRIERS)
    assert carriers.status_code == 200
    page = carriers.content.decode()
    assert "STD" in page and "New carrier" not in page and "Make default" not in page and "Deactivate" not in page
    holidays = client.get(HOLIDAYS)
    assert holidays.status_code == 200
    page = holidays.content.decode()
    assert "Christmas" in page and "Add holiday" not in page and "holiday-delete" not in page and "Delete" not in page

    other = CarrierFactory(code="UPS", is_active=False)
    before = (_carriers(), _holidays(), AuditEvent.objects.count())
    assert client.get(NEW_CARRIER).status_code == 403
    assert client.get(reverse("fulfillment:carrier-edit", args=[default_carrier.pk])).status_code == 403
    for url, data in [
        (NEW_CARRIER, _carrier_body()),
        (reverse("fulfillment:carrier-edit", args=[default_carrier.pk]), _carrier_body(code="STD")),
        (reverse("fulfillment:carrier-activate", args=[other.pk]), {}),
        (reverse("fulfillment:carrier-deactivate", args=[default_carrier.pk]), {}),
        (reverse("fulfillment:carrier-default", args=[other.pk]), {}),
        (NEW_HOLIDAY, {"date": f"{this_year()}-12-26", "name": "Boxing Day"}),
        (reverse("fulfillment:holiday-delete", args=[holiday.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert (_carriers(), _holidays(), AuditEvent.objects.count()) == before


def test_actions_answer_only_posts(warehouse_user, default_carrier) -> None:
    client = client_for(warehouse_user)
    holiday = HolidayFactory(date=datetime.date(this_year(), 12, 25), name="Christmas")
    for url in (reverse("fulfillment:carrier-default", args=[default_carrier.pk]),
                reverse("fulfillment:carrier-deactivate", args=[default_carrier.pk]), NEW_HOLIDAY,
                reverse("fulfillment:holiday-delete", args=[holiday.pk])):
        assert client.get(url).status_code == 405, url
    assert client.post(reverse("fulfillment:carrier-default", args=[999999])).status_code == 404
    assert client.post(reverse("fulfillment:holiday-delete", args=[999999])).status_code == 404
    assert Holiday.objects.filter(pk=holiday.pk).exists() and Carrier.objects.get(code="STD").is_default


# --- carriers -------------------------------------------------------------------------------------


def test_create_edit_activate_and_default_a_carrier_through_the_page(warehouse_user, default_carrier) -> None:
    client = client_for(warehouse_user)
    created = client.post(NEW_CARRIER, _carrier_body(code=" dhl "))
    assert created.status_code == 302 and created["Location"] == CARRIERS
    dhl = Carrier.objects.get(code="DHL")  # trimmed and in capitals by the service
    assert (dhl.name, dhl.service_level, dhl.transit_days, dhl.is_active, dhl.is_default) == (
        "DHL", "Express", 1, True, False)
    assert "Carrier DHL (DHL Express) created." in messages_of(created)
    assert [e.action for e in timeline(dhl)] == ["created"]
    assert AuditEvent.objects.filter(action="created", object_id=str(dhl.pk), actor=warehouse_user).exists()

    edit = reverse("fulfillment:carrier-edit", args=[dhl.pk])
    form = client.get(edit).content.decode()
    assert 'value="DHL"' in form and 'value="Express"' in form and "Edit carrier DHL" in form
    saved = client.post(edit, _carrier_body(code="DHL", transit_days="3", service_level="Standard"))
    assert saved.status_code == 302 and saved["Location"] == CARRIERS
    dhl.refresh_from_db()
    assert (dhl.transit_days, dhl.service_level) == (3, "Standard")
    updated = AuditEvent.objects.get(action="updated", object_id=str(dhl.pk))
    assert set(updated.data["changes"]) == {"transit_days", "service_level"} and updated.actor == warehouse_user

    deactivated = client.post(reverse("fulfillment:carrier-deactivate", args=[dhl.pk]))
    assert deactivated.status_code == 302 and deactivated["Location"] == CARRIERS
    dhl.refresh_from_db()
    assert dhl.is_active is False
    assert any("DHL is inactive" in m for m in messages_of(deactivated))
    page = client.get(CARRIERS).content.decode()
    assert re.search(r'data-code="DHL" class="row-muted"', page) and "Activate DHL" in page

    client.post(reverse("fulfillment:carrier-activate", args=[dhl.pk]))
    dhl.refresh_from_db()
    assert dhl.is_active is True

    made_default = client.post(reverse("fulfillment:carrier-default", args=[dhl.pk]))
    assert made_default.status_code == 302
    assert "DHL (DHL Standard) is now the default carrier." in messages_of(made_default)
    dhl.refresh_from_db()
    default_carrier.refresh_from_db()
    assert dhl.is_default and not default_carrier.is_default  # the flag moved
    assert [e.data["changes"] for e in timeline(dhl) if e.action == "updated"] == [
        {"is_default": [False, True]}, {"is_active": [False, True]}, {"is_active": [True, False]},
        {"transit_days": [1, 3], "service_level": ["Express", "Standard"]}]
    page = client.get(CARRIERS).content.decode()
    assert page.index('data-code="DHL"') < page.index('data-code="STD"')  # the default first
    assert "Make STD the default" in page and "Make DHL the default" not in page


def test_making_an_inactive_carrier_the_default_activates_it(warehouse_user, default_carrier) -> None:
    ups = CarrierFactory(code="UPS", is_active=False)
    client_for(warehouse_user).post(reverse("fulfillment:carrier-default", args=[ups.pk]))
    ups.refresh_from_db()
    assert ups.is_default and ups.is_active


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"code": "my co"}, "code", "Enter a valid value."),
    ({"code": "STD"}, "code", "already exists"),
    ({"tracking_url_template": "https://dhl.example/track"}, "tracking_url_template", "{tracking}"),
    ({"transit_days": "-1"}, "transit_days", "greater than or equal to 0"),
    ({"name": ""}, "name", "required"),
])
def test_a_bad_carrier_is_a_form_error_and_creates_nothing(warehouse_user, default_carrier, changes, field,
                                                           message) -> None:
    client = client_for(warehouse_user)
    before = (_carriers(), AuditEvent.objects.count())
    response = client.post(NEW_CARRIER, _carrier_body(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field]), form.errors
    page = response.content.decode()
    assert "is-invalid" in page and 'data-testid="carrier-form"' in page
    assert (_carriers(), AuditEvent.objects.count()) == before


def test_a_bad_edit_is_a_form_error_and_changes_nothing(warehouse_user, default_carrier) -> None:
    ups = CarrierFactory(code="UPS", name="UPS")
    client = client_for(warehouse_user)
    before = (_carriers(), AuditEvent.objects.count())
    response = client.post(reverse("fulfillment:carrier-edit", args=[ups.pk]),
                           _carrier_body(code="STD", name="Renamed", tracking_url_template="ftp://x/{tracking}"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "code" in errors and "tracking_url_template" in errors
    assert 'data-testid="form-errors"' in response.content.decode()
    assert (_carriers(), AuditEvent.objects.count()) == before


# --- holidays -------------------------------------------------------------------------------------


def test_holidays_are_listed_by_year_and_warehouse(warehouse_user, ham) -> None:
    year = this_year()
    berlin = WarehouseFactory(code="BER", name="Berlin")
    HolidayFactory(date=datetime.date(year, 12, 25), name="Christmas")
    HolidayFactory(date=datetime.date(year, 8, 3), name="Stocktaking", warehouse=ham)
    HolidayFactory(date=datetime.date(year, 8, 4), name="Inventory", warehouse=berlin)
    HolidayFactory(date=datetime.date(year + 1, 1, 1), name="New Year")
    client = client_for(warehouse_user)

    def rows(query: str = "") -> list[tuple[str, str, str]]:
        response = client.get(HOLIDAYS + query)
        assert response.status_code == 200, query
        return [(h.name, h.date.strftime("%A"), h.warehouse.code if h.warehouse else "*")
                for h in response.context["page_obj"]]

    assert rows() == [("Stocktaking", datetime.date(year, 8, 3).strftime("%A"), "HAM"),
                      ("Inventory", datetime.date(year, 8, 4).strftime("%A"), "BER"),
                      ("Christmas", datetime.date(year, 12, 25).strftime("%A"), "*")]
    assert [r[0] for r in rows(f"?year={year}&warehouse={ham.pk}")] == ["Stocktaking", "Christmas"]
    assert [r[0] for r in rows("?warehouse=public")] == ["Christmas"]
    assert [r[0] for r in rows(f"?year={year + 1}")] == ["New Year"]
    assert [r[0] for r in rows("?year=soon&warehouse=nope")] == ["Stocktaking", "Inventory", "Christmas"]  # ignored

    page = client.get(HOLIDAYS + f"?warehouse={berlin.pk}").content.decode()
    assert f'<option value="{berlin.pk}" selected>' in page and "for BER (its own and the public ones)" in page
    christmas = re.search(r'<tr data-testid="holiday-row" data-date="\d{4}-12-25".*?</tr>', page, re.S)
    assert christmas and datetime.date(year, 12, 25).strftime("%A") in christmas.group(0)
    assert "every warehouse" in christmas.group(0)
    assert f'?year={year + 1}&warehouse={berlin.pk}' in page  # next year keeps the warehouse


def test_add_and_delete_a_holiday_through_the_page(warehouse_user, ham) -> None:
    client = client_for(warehouse_user)
    year = this_year() + 1
    added = client.post(NEW_HOLIDAY + f"?warehouse={ham.pk}",
                        {"date": f"{year}-07-15", "name": "Stocktaking", "warehouse": ham.pk})
    assert added.status_code == 302 and added["Location"] == f"{HOLIDAYS}?year={year}&warehouse={ham.pk}"
    holiday = Holiday.objects.get(name="Stocktaking")
    assert (holiday.date, holiday.warehouse) == (datetime.date(year, 7, 15), ham)
    assert any("is a holiday for warehouse HAM" in m and "keep their dates" in m for m in messages_of(added))
    assert AuditEvent.objects.filter(action="created", object_id=str(holiday.pk), actor=warehouse_user).exists()

    public = client.post(NEW_HOLIDAY + f"?warehouse={ham.pk}", {"date": f"{year}-12-25", "name": "Christmas"})
    assert public.status_code == 302
    christmas = Holiday.objects.get(name="Christmas")
    assert christmas.warehouse is None  # no warehouse chosen: public

    listed = client.get(added["Location"])
    page = listed.content.decode()
    assert "Stocktaking" in page and "Christmas" in page
    here = f"{HOLIDAYS}?year={year}&amp;warehouse={ham.pk}"
    assert f'name="next" value="{here}"' in page and "return confirm(" in page

    deleted = client.post(reverse("fulfillment:holiday-delete", args=[holiday.pk]),
                          {"next": f"{HOLIDAYS}?year={year}&warehouse={ham.pk}"})
    assert deleted.status_code == 302 and deleted["Location"] == f"{HOLIDAYS}?year={year}&warehouse={ham.pk}"
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert any("is no longer a holiday for warehouse HAM" in m for m in messages_of(deleted))
    assert AuditEvent.objects.filter(action="deleted", object_id=str(holiday.pk), actor=warehouse_user).exists()
    assert Holiday.objects.filter(pk=christmas.pk).exists()

    elsewhere = client.post(reverse("fulfillment:holiday-delete", args=[christmas.pk]),
                            {"next": "https://evil.example/"})
    assert elsewhere.status_code == 302 and elsewhere["Location"] == HOLIDAYS  # only a local next
    assert not Holiday.objects.exists()


def test_a_new_holiday_outside_the_filter_drops_it(warehouse_user, ham) -> None:
    berlin = WarehouseFactory(code="BER")
    response = client_for(warehouse_user).post(NEW_HOLIDAY + "?warehouse=public",
                                               {"date": "2031-03-02", "name": "Inventory", "warehouse": berlin.pk})
    assert response.status_code == 302 and response["Location"] == f"{HOLIDAYS}?year=2031"


@pytest.mark.parametrize("own", [False, True], ids=["public", "warehouse"])
def test_a_duplicate_holiday_is_a_form_error_and_creates_nothing(warehouse_user, ham, own) -> None:
    warehouse = ham if own else None
    HolidayFactory(date=datetime.date(2031, 12, 25), name="Christmas", warehouse=warehouse)
    client = client_for(warehouse_user)
    before = (_holidays(), AuditEvent.objects.count())
    body = {"date": "2031-12-25", "name": "Twice"}
    if own:
        body["warehouse"] = ham.pk
    response = client.post(NEW_HOLIDAY + "?year=2031", body)
    assert response.status_code == 400
    form = response.context["form"]
    where = "warehouse HAM" if own else "every warehouse"
    assert form.non_field_errors() == [f"Thu 2031-12-25 is already a holiday for {where}: Christmas."]
    assert form.errors["date"] == ["Already a holiday there."]
    page = response.content.decode()
    assert 'data-testid="form-errors"' in page and 'value="Twice"' in page
    assert "Christmas" in page  # the list (of the filter's year) is still shown
    assert f'action="{NEW_HOLIDAY}?year=2031"' in page  # the filters travel on
    assert (_holidays(), AuditEvent.objects.count()) == before


def test_a_holiday_needs_a_day_and_a_name(warehouse_user) -> None:
    response = client_for(warehouse_user).post(NEW_HOLIDAY, {"date": "2031-02-30", "name": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"date", "name"}
    assert not Holiday.objects.exists()


# --- list pages: a fixed number of queries ------------------------------------------------------


def test_list_pages_keep_a_fixed_number_of_queries(warehouse_user, ham, capsys) -> None:
    client = client_for(warehouse_user)
    year = this_year()
    warehouses = [ham, WarehouseFactory(code="BER"), WarehouseFactory(code="MUC")]
    made: list[int] = []

    def grow(count: int) -> None:
        """Per round: a carrier (every third inactive), a public holiday and one of a warehouse."""
        while len(made) < count:
            n = len(made)
            CarrierFactory(code=f"C{n}", name=f"Carrier {n}", is_active=n % 3 != 0)
            day = datetime.date(year, 1, 1) + datetime.timedelta(days=2 * n)
            HolidayFactory(date=day, name=f"Public {n}")
            HolidayFactory(date=day + datetime.timedelta(days=1), name=f"Own {n}", warehouse=warehouses[n % 3])
            made.append(n)

    pages = [
        (CARRIERS, r'data-testid="carrier-row"'),
        (HOLIDAYS, r'data-testid="holiday-row"'),
        (HOLIDAYS + f"?year={year}&warehouse={ham.pk}", r'data-testid="holiday-row"'),
        (HOLIDAYS + "?warehouse=public", r'data-testid="holiday-row"'),
    ]
    measured: dict[str, list[tuple[int, int]]] = {}
    for rounds in (3, 12):
        grow(rounds)
        for url, marker in pages:
            measured.setdefault(url, []).append(page_queries(client, url, marker))
    with capsys.disabled():
        print("\ncarriers / holidays (queries, rows) at 3 → 12 rounds:", measured)
    for url, ((queries_few, rows_few), (queries_many, rows_many)) in measured.items():
        assert rows_few < rows_many, url
        assert queries_few == queries_many, url
    assert measured[CARRIERS][1][1] == 13  # and the default carrier
    assert measured[HOLIDAYS][1][1] == 24
