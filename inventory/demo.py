"""The demo company's stock: warehouses, products, opening stock, inbound receipts, reorder rules.

`load_inventory_demo()` is idempotent: what exists already (by warehouse code, SKU, receipt
reference, rule) is left as it is, so a second run changes nothing and edits made in the app stay.
Stock arrives through `stock_receive` (the ledger agrees with the levels), and the replenishment
run at the end raises requests for the products that are short.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .enums import MoveKind, TaxCategory, UnitOfMeasure
from .models import ExpectedReceipt, Holiday, Product, ReorderRule, StockMove, Warehouse
from .services import (
    expected_receipt_create,
    holiday_create,
    product_create,
    replenishment_run,
    stock_receive,
    warehouse_create,
)

OPENING_STOCK = "DEMO opening stock"

WAREHOUSES = [
    {"code": "HAM", "name": "Hamburg central warehouse", "address": "Hafenstrasse 1\n20457 Hamburg\nGermany",
     "shipping_capacity_per_day": 120, "working_days": [0, 1, 2, 3, 4]},
    {"code": "MUC", "name": "Munich warehouse", "address": "Lindwurmstrasse 120\n80337 München\nGermany",
     "shipping_capacity_per_day": 60, "working_days": [0, 1, 2, 3, 4, 5]},
]


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    description: str
    unit: str
    price: str
    weight_kg: str
    lead_time_days: int
    stock: dict[str, int]  # opening stock per warehouse code
    rule: dict[str, tuple[int, int]]  # per warehouse code: (reorder point, reorder quantity)
    tax_category: str = TaxCategory.STANDARD


PC, BOX, METRE = UnitOfMeasure.PIECE, UnitOfMeasure.BOX, UnitOfMeasure.METRE

PRODUCTS = [
    DemoProduct("DESK-1600", "Sit-stand desk 160 × 80 cm", "Electric height adjustment 65–130 cm, oak laminate.",
                PC, "549.00", "38.500", 15, {"HAM": 24, "MUC": 8}, {"HAM": (6, 20), "MUC": (4, 10)}),
    DemoProduct("DESK-1800", "Sit-stand desk 180 × 90 cm", "Dual motor, memory keypad, white laminate.",
                PC, "649.00", "44.000", 15, {"HAM": 12, "MUC": 6}, {"HAM": (4, 12), "MUC": (3, 8)}),
    DemoProduct("CHAIR-ERGO", "Ergonomic office chair", "Mesh back, 4D armrests, adjustable lumbar support.",
                PC, "329.00", "17.200", 10, {"HAM": 40, "MUC": 3}, {"HAM": (10, 30), "MUC": (10, 20)}),
    DemoProduct("CAB-3DRW", "Mobile pedestal, 3 drawers", "Lockable, fits under every desk of the range.",
                PC, "189.00", "21.000", 10, {"HAM": 18, "MUC": 10}, {"HAM": (5, 15), "MUC": (4, 10)}),
    DemoProduct("ARM-MON-2", "Dual monitor arm", "Gas spring, for two screens up to 32\" and 9 kg each.",
                PC, "149.00", "4.800", 10, {"HAM": 30, "MUC": 14}, {"HAM": (8, 20), "MUC": (5, 10)}),
    DemoProduct("MON-27-4K", "27\" 4K monitor, USB-C 65 W", "IPS, 3840 × 2160, height-adjustable stand.",
                PC, "379.00", "6.400", 7, {"HAM": 6, "MUC": 16}, {"HAM": (15, 40), "MUC": (6, 20)}),
    DemoProduct("DOCK-USBC", "USB-C docking station", "Dual display, 100 W power delivery, 2.5 GbE.",
                PC, "219.00", "0.450", 5, {"HAM": 5, "MUC": 20}, {"HAM": (12, 40), "MUC": (8, 20)}),
    DemoProduct("KB-DE-WL", "Wireless keyboard, German layout", "Quiet scissor keys, rechargeable.",
                PC, "59.90", "0.700", 5, {"HAM": 80}, {"HAM": (20, 60), "MUC": (10, 40)}),
    DemoProduct("MOUSE-WL", "Wireless ergonomic mouse", "Vertical grip, Bluetooth and USB receiver.",
                PC, "34.90", "0.120", 5, {"HAM": 120, "MUC": 45}, {"HAM": (30, 100), "MUC": (15, 40)}),
    DemoProduct("HDST-BT", "Bluetooth headset with boom mic", "Active noise cancelling, certified for Teams.",
                PC, "129.00", "0.200", 7, {"HAM": 35, "MUC": 15}, {"HAM": (10, 30), "MUC": (5, 15)}),
    DemoProduct("CBL-CAT6A", "Cat 6a patch cable, by the metre", "S/FTP, cut to length, LSZH sheath.",
                METRE, "1.90", "0.060", 3, {"HAM": 1500, "MUC": 500}, {"HAM": (300, 1000), "MUC": (100, 500)}),
    DemoProduct("PAPER-A4", "Copy paper A4 80 g, box of 5 reams", "2,500 sheets, FSC certified.",
                BOX, "24.90", "12.500", 3, {"HAM": 200, "MUC": 60}, {"HAM": (50, 150), "MUC": (20, 60)}),
]

# (SKU, warehouse, quantity, days from today, reference): purchases already on their way.
EXPECTED_RECEIPTS = [
    ("DOCK-USBC", "HAM", 40, 5, "PO-DEMO-1001"),
    ("DESK-1600", "MUC", 10, 12, "PO-DEMO-1002"),
    ("PAPER-A4", "HAM", 150, 19, "PO-DEMO-1003"),
]


@transaction.atomic
def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday of the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own names)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def german_public_holidays(year: int) -> list[tuple[datetime.date, str]]:
    """The nationwide public holidays of Germany (every state keeps these)."""
    easter = easter_sunday(year)

    def after_easter(days: int) -> datetime.date:
        return easter + datetime.timedelta(days=days)

    return [
        (datetime.date(year, 1, 1), "New Year's Day"),
        (after_easter(-2), "Good Friday"),
        (after_easter(1), "Easter Monday"),
        (datetime.date(year, 5, 1), "Labour Day"),
        (after_easter(39), "Ascension Day"),
        (after_easter(50), "Whit Monday"),
        (datetime.date(year, 10, 3), "Day of German Unity"),
        (datetime.date(year, 12, 25), "Christmas Day"),
        (datetime.date(year, 12, 26), "Boxing Day"),
    ]


def regional_holidays(year: int) -> dict[str, list[tuple[datetime.date, str]]]:
    """The state holidays of the demo warehouses: Hamburg's and Bavaria's (Munich), by warehouse code."""
    easter = easter_sunday(year)
    return {
        "HAM": [(datetime.date(year, 10, 31), "Reformation Day (Hamburg)")],
        "MUC": [(datetime.date(year, 1, 6), "Epiphany (Bavaria)"),
                (easter + datetime.timedelta(days=60), "Corpus Christi (Bavaria)"),
                (datetime.date(year, 8, 15), "Assumption Day (Bavaria)"),
                (datetime.date(year, 11, 1), "All Saints' Day (Bavaria)")],
    }


def _holidays(actor: AbstractBaseUser | None, years: list[int]) -> int:
    """The German public holidays and the demo warehouses' regional ones, this year and next."""
    warehouses = {w.code: w for w in Warehouse.objects.all()}
    wanted: list[tuple[datetime.date, str, Warehouse | None]] = []
    for year in years:
        wanted += [(day, name, None) for day, name in german_public_holidays(year)]
        for code, days in regional_holidays(year).items():
            if code in warehouses:
                wanted += [(day, name, warehouses[code]) for day, name in days]
    have = set(Holiday.objects.filter(date__year__in=years).values_list("warehouse_id", "date"))
    created = 0
    for day, name, warehouse in wanted:
        key = (warehouse.pk if warehouse else None, day)
        # a warehouse's own holiday on a public holiday is redundant (and the public one exists already)
        if key in have or (warehouse is not None and (None, day) in have):
            continue
        holiday_create(actor=actor, date=day, name=name, warehouse=warehouse)
        have.add(key)
        created += 1
    return created


def load_inventory_demo(*, actor: AbstractBaseUser | None) -> dict[str, int]:
    """Create what is missing of the demo stock; returns how many of each thing were created."""
    created = {"warehouses": 0, "holidays": 0, "products": 0, "receipts": 0, "expected_receipts": 0,
               "reorder_rules": 0, "replenishment_requests": 0}
    warehouses = {}
    for spec in WAREHOUSES:
        warehouse = Warehouse.objects.filter(code=spec["code"]).first()
        if warehouse is None:
            warehouse = warehouse_create(actor=actor, **spec)
            created["warehouses"] += 1
        warehouses[warehouse.code] = warehouse
    today = timezone.localdate()
    created["holidays"] = _holidays(actor, [today.year, today.year + 1])  # before any promise date is given

    products = {}
    for item in PRODUCTS:
        product = Product.objects.filter(sku=item.sku).first()
        if product is None:
            product = product_create(
                actor=actor, sku=item.sku, name=item.name, description=item.description, unit=item.unit,
                list_price=Decimal(item.price), currency="EUR", tax_category=item.tax_category,
                weight_kg=Decimal(item.weight_kg), lead_time_days=item.lead_time_days,
            )
            created["products"] += 1
        products[item.sku] = product

        for code, quantity in item.stock.items():
            warehouse = warehouses[code]
            already = StockMove.objects.filter(product=product, warehouse=warehouse, kind=MoveKind.RECEIPT,
                                               reference=OPENING_STOCK).exists()
            if not already and product.is_active and warehouse.is_active:
                stock_receive(product=product, warehouse=warehouse, quantity=Decimal(quantity), actor=actor,
                              reference=OPENING_STOCK)
                created["receipts"] += 1

        for code, (point, quantity) in item.rule.items():
            if not ReorderRule.objects.filter(product=product, warehouse=warehouses[code]).exists():
                rule = ReorderRule(product=product, warehouse=warehouses[code], reorder_point=Decimal(point),
                                   reorder_quantity=Decimal(quantity))
                rule.full_clean()
                rule.save()
                created["reorder_rules"] += 1

    for sku, code, quantity, days, reference in EXPECTED_RECEIPTS:
        if not ExpectedReceipt.objects.filter(reference=reference).exists():
            expected_receipt_create(
                product=products[sku], warehouse=warehouses[code], quantity=Decimal(quantity),
                expected_date=today + datetime.timedelta(days=days), actor=actor, reference=reference,
            )
            created["expected_receipts"] += 1

    created["replenishment_requests"] = len(replenishment_run(actor=actor))
    return created
