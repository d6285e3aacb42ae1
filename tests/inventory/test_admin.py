"""The inventory admin: every page loads without N+1, edits go through the audited services, the
ledger is read-only, and the products' CSV import is all-or-nothing with the bad row named."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from import_export.tmp_storages import CacheStorage

from inventory.enums import ReceiptStatus, ReplenishmentStatus
from inventory.models import (
    ExpectedReceipt,
    Product,
    ReorderRule,
    StockMove,
    Warehouse,
)
from inventory.services import (
    DemandLine,
    expected_receipt_create,
    replenishment_run,
    stock_reserve,
)
from o2c.models import AuditEvent

from .factories import ProductFactory, ReorderRuleFactory, WarehouseFactory, stocked

pytestmark = pytest.mark.django_db

ADMIN = "/admin/inventory/"
HEADER = "sku,name,description,unit,list_price,currency,tax_category,weight_kg,is_active,lead_time_days\n"


def _audits(obj: object, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name,
                                          object_id=str(obj.pk), action=action))


def _world(n: int, warehouse: Warehouse | None = None) -> Warehouse:
    """n products with stock, a rule, a reservation, an expected receipt and a replenishment request each."""
    warehouse = warehouse or WarehouseFactory()
    for _ in range(n):
        product = stocked(ProductFactory(), warehouse, 5)
        ReorderRuleFactory(product=product, warehouse=warehouse, reorder_point=Decimal(100))
        stock_reserve(order_line=DemandLine(f"test.line:{product.pk}", product.pk, f"SO-{product.pk}"),
                      warehouse=warehouse, qty=Decimal(2))
        expected_receipt_create(product=product, warehouse=warehouse, quantity=Decimal(10),
                                expected_date=timezone.localdate() + datetime.timedelta(days=3), actor=None)
    replenishment_run(actor=None)
    return warehouse


CHANGELISTS = ["product", "warehouse", "stocklevel", "stockmove", "stockreservation", "expectedreceipt",
               "reorderrule", "replenishmentrequest"]


def test_every_changelist_loads_with_a_fixed_number_of_queries(staff_client: Client) -> None:
    _world(2)
    few = {}
    for model in CHANGELISTS:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        few[model] = len(queries)
    _world(6)  # and a second warehouse
    for model in CHANGELISTS:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        assert len(response.context["cl"].result_list) >= 2, model
        assert len(queries) == few[model], (model, [q["sql"] for q in queries.captured_queries])


def test_add_pages_where_allowed_and_read_only_records(staff_client: Client) -> None:
    _world(1)
    for model in ["product", "warehouse", "expectedreceipt", "reorderrule"]:
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 200, model
    for model in ["stocklevel", "stockmove", "stockreservation", "replenishmentrequest"]:
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 403, model
    # the ledger: visible, not editable, not deletable (the database refuses it too)
    move = StockMove.objects.first()
    page = staff_client.get(f"{ADMIN}stockmove/{move.pk}/change/")
    assert page.status_code == 200 and b'name="quantity"' not in page.content
    assert staff_client.post(f"{ADMIN}stockmove/{move.pk}/delete/", {"post": "yes"}).status_code == 403
    # a product shows its stock per warehouse, read-only
    product = Product.objects.first()
    page = staff_client.get(f"{ADMIN}product/{product.pk}/change/")
    assert page.status_code == 200
    assert page.content.decode().count(move.warehouse.code) >= 1
    assert b"stock_levels-0-on_hand" not in page.content
    receipt = ExpectedReceipt.objects.first()
    page = staff_client.get(f"{ADMIN}expectedreceipt/{receipt.pk}/change/")
    assert page.status_code == 200 and b'name="quantity"' not in page.content
    assert staff_client.get(f"{ADMIN}product/{product.pk}/delete/").status_code == 403


def _product_form(product: Product, **changes: object) -> dict[str, object]:
    data = {
        "sku": product.sku, "name": product.name, "description": product.description, "unit": product.unit,
        "list_price": str(product.list_price), "currency": product.currency, "tax_category": product.tax_category,
        "weight_kg": str(product.weight_kg), "lead_time_days": product.lead_time_days,
        "stock_levels-TOTAL_FORMS": 0, "stock_levels-INITIAL_FORMS": 0,
        "reorder_rules-TOTAL_FORMS": 0, "reorder_rules-INITIAL_FORMS": 0,
    }
    if product.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def test_a_product_edit_in_the_admin_goes_through_the_service_and_is_audited(staff_client: Client, staff: User) -> None:
    product = ProductFactory(list_price=Decimal("10.00"))
    response = staff_client.post(f"{ADMIN}product/{product.pk}/change/", _product_form(product, list_price="12.50"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.list_price == Decimal("12.50")
    [event] = _audits(product, "updated")
    assert event.actor == staff
    assert event.data["changes"] == {"list_price": ["10.00", "12.50"]}


def test_a_bad_product_edit_is_a_form_error_not_a_500(staff_client: Client) -> None:
    product = ProductFactory(list_price=Decimal("10.00"))
    response = staff_client.post(f"{ADMIN}product/{product.pk}/change/",
                           _product_form(product, list_price="-1", sku="bad sku!", unit="crate"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"list_price", "sku", "unit"} <= set(errors)
    product.refresh_from_db()
    assert product.list_price == Decimal("10.00") and not _audits(product, "updated")


def test_new_products_and_warehouses_in_the_admin_are_created_by_the_services(
    staff_client: Client, staff: User,
) -> None:
    response = staff_client.post(f"{ADMIN}product/add/", {
        **_product_form(Product(sku="lamp-led-01", name="LED desk lamp", list_price=Decimal("45.00"),
                                currency="EUR", unit="pc", tax_category="standard", weight_kg=Decimal("1.2"),
                                lead_time_days=4, is_active=True)),
    })
    assert response.status_code == 302
    lamp = Product.objects.get(sku="LAMP-LED-01")  # stored the way the service stores SKUs
    assert _audits(lamp, "created")[0].actor == staff

    response = staff_client.post(f"{ADMIN}warehouse/add/", {
        "code": "BER", "name": "Berlin", "address": "", "shipping_capacity_per_day": 50,
        "working_days": ["0", "1", "2", "3", "4", "5"], "is_active": "on",
    })
    assert response.status_code == 302
    berlin = Warehouse.objects.get(code="BER")
    assert berlin.working_days == [0, 1, 2, 3, 4, 5]
    assert _audits(berlin, "created")[0].actor == staff


def test_expected_receipts_are_announced_and_received_from_the_admin(staff_client: Client, staff: User) -> None:
    warehouse, product = WarehouseFactory(), ProductFactory()
    due = timezone.localdate() + datetime.timedelta(days=7)
    response = staff_client.post(f"{ADMIN}expectedreceipt/add/", {
        "product": product.pk, "warehouse": warehouse.pk, "quantity": "0", "expected_date": due.isoformat(),
        "reference": "PO-1",
    })
    assert response.status_code == 200 and "quantity" in response.context["adminform"].form.errors
    response = staff_client.post(f"{ADMIN}expectedreceipt/add/", {
        "product": product.pk, "warehouse": warehouse.pk, "quantity": "25", "expected_date": due.isoformat(),
        "reference": "PO-1",
    })
    assert response.status_code == 302
    receipt = ExpectedReceipt.objects.get(reference="PO-1")
    assert _audits(receipt, "announced")[0].actor == staff

    response = staff_client.post(f"{ADMIN}expectedreceipt/", {
        "action": "receive_open_quantity", "_selected_action": [receipt.pk],
    }, follow=True)
    assert response.status_code == 200
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.RECEIVED and receipt.received_quantity == Decimal(25)
    move = StockMove.objects.get(product=product, warehouse=warehouse)
    assert move.quantity == Decimal(25) and move.actor == staff

    # receiving it again is refused with a message, not a 500
    response = staff_client.post(f"{ADMIN}expectedreceipt/", {
        "action": "receive_open_quantity", "_selected_action": [receipt.pk],
    }, follow=True)
    assert response.status_code == 200
    assert "nothing more to receive" in " ".join(str(m) for m in response.context["messages"])
    assert StockMove.objects.filter(product=product).count() == 1


def test_replenishment_requests_are_cancelled_from_the_admin(staff_client: Client, staff: User) -> None:
    rule = ReorderRuleFactory()
    [request] = replenishment_run(actor=None)
    response = staff_client.post(f"{ADMIN}replenishmentrequest/", {
        "action": "cancel", "_selected_action": [request.pk],
    }, follow=True)
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == ReplenishmentStatus.CANCELLED
    assert _audits(request, "cancelled")[0].actor == staff
    assert rule.product.sku in response.content.decode()


def test_a_reorder_rule_of_zero_quantity_is_a_form_error(staff_client: Client) -> None:
    product, warehouse = ProductFactory(), WarehouseFactory()
    data = {"product": product.pk, "warehouse": warehouse.pk, "reorder_point": "5", "is_active": "on"}
    response = staff_client.post(f"{ADMIN}reorderrule/add/", {**data, "reorder_quantity": "0"})
    assert response.status_code == 200 and "reorder_quantity" in response.context["adminform"].form.errors
    assert staff_client.post(f"{ADMIN}reorderrule/add/", {**data, "reorder_quantity": "20"}).status_code == 302
    assert ReorderRule.objects.get(product=product).reorder_quantity == Decimal(20)


# ---------------------------------------------------------------------------------------------
# CSV import / export


def _upload(client: Client, csv: str) -> HttpResponse:
    """Step 1 of import-export's admin workflow: the preview (a dry run in a rolled-back transaction)."""
    return client.post(f"{ADMIN}product/import/", {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile("products.csv", csv.encode(), content_type="text/csv"),
    })


def _confirm(client: Client, preview: HttpResponse) -> HttpResponse:
    """Step 2: POST the confirm form (the stored file's name, the format) to process_import."""
    form = preview.context["confirm_form"]
    return client.post(f"{ADMIN}product/process_import/", dict(form.initial), follow=True)


def test_a_good_csv_creates_and_updates_products_by_sku_and_audits_them(staff_client: Client, staff: User) -> None:
    desk = ProductFactory(sku="DESK-1600", name="Desk", list_price=Decimal("500.00"))
    chair = ProductFactory(sku="CHAIR-1", name="Chair", list_price=Decimal("99.00"), unit="pc", weight_kg=0,
                           lead_time_days=5)
    csv = HEADER + (
        "DESK-1600,Sit-stand desk,Oak,pc,549.00,EUR,standard,38.5,true,15\n"
        "lamp-01,LED lamp,,pc,45.00,EUR,reduced,1.2,1,4\n"
        f"CHAIR-1,Chair,,pc,99.00,{chair.currency},standard,0,1,5\n"  # unchanged: skipped
    )
    preview = _upload(staff_client, csv)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    assert Product.objects.count() == 2  # the preview saved nothing

    response = _confirm(staff_client, preview)
    assert response.status_code == 200
    assert "Import finished: 1 new, 1 updated" in response.content.decode()
    desk.refresh_from_db()
    assert (desk.name, desk.list_price, desk.lead_time_days) == ("Sit-stand desk", Decimal("549.00"), 15)
    [updated] = _audits(desk, "updated")
    assert updated.actor == staff
    assert updated.data["changes"]["list_price"] == ["500.00", "549.00"]
    lamp = Product.objects.get(sku="LAMP-01")
    assert lamp.tax_category == "reduced" and lamp.weight_kg == Decimal("1.2")
    assert _audits(lamp, "created")[0].actor == staff
    assert not _audits(chair, "updated")


@pytest.mark.parametrize(
    ("bad_row", "field", "reason"),
    [
        ("bad sku!,Bad,,pc,10.00,EUR,standard,1,true,3", "sku", "A SKU is 3 to 32 capital letters"),
        ("NEG-1,Negative,,pc,-5.00,EUR,standard,1,true,3", "list_price", "greater than or equal to 0"),
        ("UNIT-1,Unit,,crate,5.00,EUR,standard,1,true,3", "unit", "is not a valid choice"),
        ("TAX-1,Tax,,pc,5.00,EUR,luxury,1,true,3", "tax_category", "is not a valid choice"),
        ("CUR-1,Currency,,pc,5.00,euro,standard,1,true,3", "currency", "three-letter ISO 4217"),
        ("NAN-1,Not a number,,pc,ten,EUR,standard,1,true,3", "list_price", "is not a number"),
    ],
)
def test_a_csv_with_one_bad_row_imports_nothing_and_names_the_row(
    staff_client: Client, bad_row: str, field: str, reason: str,
) -> None:
    desk = ProductFactory(sku="DESK-1600", list_price=Decimal("500.00"))
    audits = AuditEvent.objects.count()
    csv = HEADER + "DESK-1600,Desk,,pc,549.00,EUR,standard,1,true,3\n" + bad_row + "\n" + \
        "GOOD-2,Good,,pc,5.00,EUR,standard,1,true,3\n"
    preview = _upload(staff_client, csv)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    [invalid] = preview.context["result"].invalid_rows
    assert invalid.number == 2 and field in invalid.error_dict
    page = preview.content.decode()
    assert reason in page
    shown = [str(m) for m in preview.context["messages"]]
    assert any(m.startswith("Row 2") and field in m and reason in m for m in shown), shown
    assert re.search(r"<td>\s*2\s*</td>", page)  # import-export's table names the row too
    assert Product.objects.count() == 1 and not Product.objects.filter(sku="GOOD-2").exists()
    desk.refresh_from_db()
    assert desk.list_price == Decimal("500.00")
    assert AuditEvent.objects.count() == audits


def test_the_confirm_step_also_rolls_back_a_file_with_a_bad_row(staff_client: Client) -> None:
    """Even if the stored file went bad after the preview, the confirm step saves nothing."""
    preview = _upload(staff_client, HEADER + "GOOD-1,Good,,pc,5.00,EUR,standard,1,true,3\n")
    initial = dict(preview.context["confirm_form"].initial)
    storage = CacheStorage(name=initial["import_file_name"])
    storage.save((HEADER + "GOOD-1,Good,,pc,5.00,EUR,standard,1,true,3\nBAD,Bad,,pc,-1,EUR,standard,1,true,3\n")
                 .encode())
    audits = AuditEvent.objects.count()
    response = staff_client.post(f"{ADMIN}product/process_import/", initial, follow=True)
    assert response.status_code == 200
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "Nothing was imported" in shown and "Row 2" in shown and "list_price" in shown
    assert not Product.objects.exists()
    assert AuditEvent.objects.count() == audits


def test_export_returns_the_products_as_csv(staff_client: Client) -> None:
    ProductFactory(sku="DESK-1600", name="Sit-stand desk", list_price=Decimal("549.00"))
    ProductFactory(sku="CHAIR-1", name="Chair, ergonomic", list_price=Decimal("99.00"))
    assert staff_client.get(f"{ADMIN}product/export/").status_code == 200
    fields = ["sku", "name", "description", "unit", "list_price", "currency", "tax_category", "weight_kg",
              "is_active", "lead_time_days"]
    response = staff_client.post(f"{ADMIN}product/export/", {
        "resource": "0", "format": "0", **{f"productresource_{name}": "on" for name in fields},
    })
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(fields)
    assert lines[1].startswith("CHAIR-1,\"Chair, ergonomic\",,pc,99.00,EUR,standard,")
    assert lines[2].startswith("DESK-1600,Sit-stand desk,,pc,549.00,EUR,standard,")
    assert len(lines) == 3


def test_an_exported_file_imports_back_unchanged(staff_client: Client) -> None:
    ProductFactory(sku="DESK-1600", name="Sit-stand desk", list_price=Decimal("549.00"), weight_kg=Decimal("38.5"))
    fields = ["sku", "name", "description", "unit", "list_price", "currency", "tax_category", "weight_kg",
              "is_active", "lead_time_days"]
    exported = staff_client.post(f"{ADMIN}product/export/", {
        "resource": "0", "format": "0", **{f"productresource_{name}": "on" for name in fields},
    }).content.decode("utf-8-sig")
    preview = _upload(staff_client, exported)
    assert "confirm_form" in preview.context
    [row] = preview.context["result"].rows
    assert row.import_type == "skip"
