"""Insight test data: dated orders, shipments, invoices, payments, reminders and bank lines, each made
through the real services with the clock pinned to the moment it happens (as `insight.demo` does), so that
confirmed_at, shipped_at, issue dates, allocation dates and reminder days are the ones a test writes down."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from unittest import mock

from django.conf import settings
from django.utils import timezone

from billing.models import CreditNote, Invoice
from billing.services import (
    credit_note_create,
    invoice_create_for_order,
    invoice_create_for_period,
    invoice_create_for_shipment,
    invoice_issue,
)
from fulfillment.models import Carrier, Shipment
from fulfillment.services import shipment_create, shipment_deliver, shipment_pack, shipment_ship, shipment_start_picking
from inventory.models import Warehouse
from inventory.services import stock_receive
from orders.models import Customer, SalesOrder
from orders.services import backorders_fill, order_confirm, order_create
from receivables.demo import camt053
from receivables.enums import PaymentMethod
from receivables.models import Payment
from receivables.services.dunning import reminder_run
from receivables.services.payments import payment_record
from receivables.services.statements import StatementImport, bank_statement_import
from tests.billing.factories import billing_customer
from tests.fulfillment.factories import CarrierFactory
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.factories import german_rates

D = Decimal
# net prices at the standard 19 % whose gross is a round amount
NET_FOR_GROSS = {D("100.00"): "84.03", D("500.00"): "420.17", D("600.00"): "504.20", D("1000.00"): "840.34",
                 D("2000.00"): "1680.67"}


def moment(day: datetime.date, at: str = "12:00") -> datetime.datetime:
    """`day` at `at` o'clock in the project's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(at)))


@contextlib.contextmanager
def clock(day: datetime.date, at: str = "12:00") -> Iterator[datetime.datetime]:
    """`timezone.now()` and `timezone.localdate()` pinned to `day` at `at` (local time): what the services
    stamp is that moment. Only the clock is pinned; our code runs as it does (`localdate(value)` is kept)."""
    pinned = moment(day, at)
    localdate = timezone.localdate

    def local(value: datetime.datetime | None = None, tz: Any = None) -> datetime.date:
        return localdate(value or pinned, tz)

    with mock.patch("django.utils.timezone.now", return_value=pinned), \
            mock.patch("django.utils.timezone.localdate", local):
        yield pinned


def carrier() -> Carrier:
    """The default carrier: 2 transit days (Monday to Friday), no tracking number needed."""
    return CarrierFactory(code="STD", name="Parcel Co", transit_days=2, is_default=True, tracking_url_template="")


def warehouse(code: str) -> Warehouse:
    return WarehouseFactory(code=code)


def customer(**fields: Any) -> Customer:
    """A customer paying 30 days net, invoiced per shipment, with a billing contact."""
    return billing_customer(**fields)


def sale(who: Customer, where: Warehouse, lines: Sequence[tuple[int, int]], *, day: datetime.date,
         at: str = "09:00", gross: object = "100.00") -> SalesOrder:
    """An order confirmed on `day` at `at`: one new product per line, (on hand, ordered) — what is not on
    hand is backordered. Each unit costs `gross` (net + 19 % VAT)."""
    german_rates()
    price = NET_FOR_GROSS[D(str(gross))]
    products = []
    with clock(day, "07:00"):
        for on_hand, ordered in lines:
            product = ProductFactory(list_price=D(price), tax_category="standard", weight_kg=D("1.000"))
            if on_hand:
                stock_receive(product=product, warehouse=where, quantity=D(on_hand), actor=None, reference="test stock")
            products.append((product, ordered))
    with clock(day, at):
        order = order_create(customer=who, warehouse=where, actor=None,
                             lines=[{"product": p.pk, "quantity": str(q)} for p, q in products])
        return order_confirm(order_id=order.pk, actor=None)


def restock(order: SalesOrder, quantity: int, *, day: datetime.date) -> None:
    """Goods for the order's backordered first line arrive and are reserved for it (as the `stock.received`
    subscriber would, which runs only after a commit)."""
    line = order.lines.order_by("position").first()
    with clock(day, "08:00"):
        stock_receive(product=line.product, warehouse=order.warehouse, quantity=D(quantity), actor=None,
                      reference="test restock")
        backorders_fill(product_id=line.product_id, warehouse_id=order.warehouse_id)


def ship(order: SalesOrder, *, day: datetime.date, at: str = "15:00", quantity: int | None = None) -> Shipment:
    """Schedule, pick, pack and ship on `day` at `at` what is reserved (or `quantity` of the first line):
    the promise is that day + the carrier's 2 working days."""
    lines = None
    if quantity is not None:
        first = order.lines.order_by("position").first()
        lines = [{"order_line": first.pk, "quantity": str(quantity)}]
    with clock(day, at):
        shipment = shipment_create(order_id=order.pk, actor=None, lines=lines)
        shipment_start_picking(shipment_id=shipment.pk, actor=None)
        shipment_pack(shipment_id=shipment.pk, actor=None)
        return shipment_ship(shipment_id=shipment.pk, actor=None)


def deliver(shipment: Shipment, *, day: datetime.date) -> Shipment:
    with clock(day, "13:00"):
        return shipment_deliver(shipment_id=shipment.pk, actor=None, received_by="Goods receipt", delivered_on=day)


def invoice_shipment(shipment: Shipment, *, day: datetime.date) -> Invoice:
    """The touchless invoice of a shipment (as the `shipment.shipped` subscriber makes it), issued on `day`."""
    with clock(day, "16:00"):
        invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None and invoice.issue_date == day
    return invoice


def invoice_by_hand(order: SalesOrder, *, drafted: datetime.date, issued: datetime.date | None, actor: Any) -> Invoice:
    """Finance drafts the invoice of the order's shipped goods on `drafted` and issues it on `issued` (None:
    it stays a draft)."""
    with clock(drafted, "10:00"):
        draft = invoice_create_for_order(order_id=order.pk, actor=actor, issue=False)
    assert draft is not None
    if issued is None:
        return draft
    with clock(issued, "10:30"):
        return invoice_issue(invoice_id=draft.pk, actor=actor)


def invoice_upfront(order: SalesOrder, *, day: datetime.date) -> Invoice:
    with clock(day, "09:30"):
        invoice = invoice_create_for_order(order_id=order.pk, upfront=True)
    assert invoice is not None
    return invoice


def invoice_period(who: Customer, *, start: datetime.date, end: datetime.date, day: datetime.date) -> Invoice:
    """The consolidated invoice of the customer's shipments up to `end`, made by the nightly sweep on `day`."""
    with clock(day, "01:30"):
        invoice = invoice_create_for_period(customer_id=who.pk, currency=who.currency, start=start, end=end)
    assert invoice is not None
    return invoice


def invoiced(who: Customer, gross: object, *, day: datetime.date) -> Invoice:
    """An invoice of one unit at `gross` for the customer, issued on `day` (shipped and invoiced that day)."""
    order = sale(who, warehouse("INV"), [(1, 1)], day=day, at="08:00", gross=gross)
    invoice = invoice_shipment(ship(order, day=day, at="11:00"), day=day)
    assert invoice.gross_total == D(str(gross))
    return invoice


def credit(invoice: Invoice, amount: object, *, reason: str, day: datetime.date) -> CreditNote:
    """A credit note of `amount` gross on the invoice, issued on `day`."""
    with clock(day, "14:00"):
        return credit_note_create(invoice_id=invoice.pk, actor=None, reason=reason, amount=str(amount))


def pay(invoice: Invoice, amount: object = None, *, day: datetime.date) -> Payment:
    """A bank transfer of `amount` (default: what the invoice owes) received on `day`, allocated to it."""
    invoice.refresh_from_db()
    value = invoice.amount_due if amount is None else D(str(amount))
    with clock(day, "11:00"):
        return payment_record(customer_id=invoice.customer_id, amount=str(value), method=PaymentMethod.BANK_TRANSFER,
                              received_date=day, allocations=[{"invoice": invoice.pk, "amount": str(value)}],
                              actor=None)


def remind(*, day: datetime.date) -> int:
    """The daily reminder run of `day`: how many reminders it wrote."""
    with clock(day, "06:00"):
        return len(reminder_run(today=day, actor=None))


def statement(day: datetime.date, entries: list[dict[str, Any]], *, ref: str) -> StatementImport:
    """The company account's CAMT.053 statement of `day`, imported that evening. Each entry: amount, credit,
    name, iban, text (the bank's reference is made from `ref`)."""
    account = settings.O2C_COMPANY["iban"].replace(" ", "").upper()
    rows = [{**entry, "ref": f"{ref}-{n:03d}"} for n, entry in enumerate(entries, 1)]
    with clock(day, "17:00"):
        return bank_statement_import(content=camt053(account_iban=account, statement_id=ref, currency="EUR", day=day,
                                                      entries=rows),
                                     filename=f"{ref}.xml", actor=None)
