"""The holiday calendar in the admin (inventory's): added, renamed and removed through the audited
services, listed and filtered, and imported / exported as CSV — a file with one bad row imports nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from inventory.models import Holiday
from o2c.models import AuditEvent
from tests.inventory.factories import HolidayFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/inventory/"


def _audits(obj: Any, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name,
                                          object_id=str(obj.pk), action=action))


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_holiday_pages_render(staff_client: Client) -> None:
    HolidayFactory(date=datetime.date(2031, 12, 24), name="Closed", warehouse=WarehouseFactory(code="HAM"))
    for url in ("holiday/", "holiday/add/", "holiday/export/", "holiday/import/"):
        assert staff_client.get(f"{ADMIN}{url}").status_code == 200, url
    assert staff_client.get(f"{ADMIN}holiday/", {"scope": "public"}).status_code == 200
    assert staff_client.get(f"{ADMIN}holiday/", {"q": "clo"}).context["cl"].result_count == 1


def test_holidays_are_added_and_removed_by_the_services(staff_client: Client, staff: User) -> None:
    warehouse = WarehouseFactory(code="HAM")
    response = staff_client.post(f"{ADMIN}holiday/add/", {"date": "2031-10-31", "name": "Reformation Day",
                                                          "warehouse": warehouse.pk})
    assert response.status_code == 302
    holiday = Holiday.objects.get(date=datetime.date(2031, 10, 31))
    assert holiday.warehouse == warehouse and _audits(holiday, "created")[0].actor == staff

    response = staff_client.post(f"{ADMIN}holiday/add/", {"date": "2031-10-31", "name": "Twice",
                                                          "warehouse": warehouse.pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert Holiday.objects.count() == 1

    response = staff_client.post(f"{ADMIN}holiday/{holiday.pk}/change/", {"date": "2031-10-31",
                                                                         "name": "Reformationstag",
                                                                         "warehouse": warehouse.pk})
    assert response.status_code == 302
    holiday.refresh_from_db()
    assert holiday.name == "Reformationstag"
    assert _audits(holiday, "updated")[0].data["changes"] == {"name": ["Reformation Day", "Reformationstag"]}

    pk = holiday.pk
    response = staff_client.post(f"{ADMIN}holiday/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Holiday.objects.exists()
    assert AuditEvent.objects.filter(content_type__model="holiday", object_id=str(pk), action="deleted",
                                     actor=staff).exists()

    several = [HolidayFactory(date=datetime.date(2031, 12, day)) for day in (24, 31)]
    response = staff_client.post(f"{ADMIN}holiday/", {"action": "delete_selected", "post": "yes",
                                                      "_selected_action": [h.pk for h in several]})
    assert response.status_code == 302 and not Holiday.objects.exists()
    assert AuditEvent.objects.filter(content_type__model="holiday", action="deleted", actor=staff).count() == 3


def _upload(client: Client, csv: str) -> HttpResponse:
    return client.post(f"{ADMIN}holiday/import/", {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile("holidays.csv", csv.encode(), content_type="text/csv"),
    })


def _confirm(client: Client, preview: HttpResponse) -> HttpResponse:
    return client.post(f"{ADMIN}holiday/process_import/", dict(preview.context["confirm_form"].initial), follow=True)


def test_a_holiday_csv_creates_and_renames_through_the_services(staff_client: Client, staff: User) -> None:
    WarehouseFactory(code="MUC")
    old = HolidayFactory(date=datetime.date(2031, 1, 1), name="Neujahr")
    csv = ("date,name,warehouse\n2031-01-01,New Year's Day,\n2031-01-06,Epiphany (Bavaria),muc\n"
           "2031-12-25,Christmas Day,\n")
    preview = _upload(staff_client, csv)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, _messages(preview)
    assert Holiday.objects.count() == 1  # the preview saved nothing

    response = _confirm(staff_client, preview)
    assert "Import finished: 2 new, 1 updated" in response.content.decode()
    old.refresh_from_db()
    assert old.name == "New Year's Day" and _audits(old, "updated")[0].actor == staff
    epiphany = Holiday.objects.get(date=datetime.date(2031, 1, 6))
    assert epiphany.warehouse.code == "MUC" and _audits(epiphany, "created")[0].actor == staff

    exported = staff_client.post(f"{ADMIN}holiday/export/", {
        "resource": "0", "format": "0", **{f"holidayresource_{name}": "on" for name in ("date", "name", "warehouse")},
    }).content.decode("utf-8-sig")
    assert exported.splitlines()[:3] == ["date,name,warehouse", "2031-01-01,New Year's Day,",
                                         "2031-01-06,Epiphany (Bavaria),MUC"]
    again = _upload(staff_client, exported)
    assert {row.import_type for row in again.context["result"].rows} == {"skip"}  # unchanged: nothing saved


@pytest.mark.parametrize(("bad_row", "reason"), [
    ("2031-13-01,Nonsense,", "not a date"),
    ("2031-05-01,Somewhere,XYZ", "No warehouse XYZ"),
    ("2031-05-01,,", "name"),
    ("2031-05-02," + "x" * 101 + ",", "at most 100 characters"),
])
def test_a_holiday_csv_with_one_bad_row_imports_nothing(staff_client: Client, bad_row: str, reason: str) -> None:
    audits = AuditEvent.objects.count()
    preview = _upload(staff_client, "date,name,warehouse\n2031-05-01,Labour Day,\n" + bad_row + "\n")
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    shown = _messages(preview)
    assert any(m.startswith("Row 2") and reason in m for m in shown), shown
    assert not Holiday.objects.exists() and AuditEvent.objects.count() == audits
