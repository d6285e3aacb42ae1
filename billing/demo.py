"""The demo company's billing: invoices in every state, two credit notes, their PDFs.

`load_billing_demo()` runs after the fulfillment demo. The warehouse floor shipped only Rheinland's
order (a customer invoiced monthly), so Finance needs a few more customers with shipped goods: the
billing demo sells and ships one order each to customers of the sales desk that have none yet (by the
demo users, through the orders and fulfillment services), then invoices what was shipped the way each
customer's invoicing policy says — with the real services:

- per shipment (when it ships, or when it is delivered): `invoice_create_for_shipment`, touchless;
- consolidated (weekly, monthly): `invoice_create_for_period` for the period so far, touchless;
- a draft made by hand by Finance (`invoice_create_for_order(issue=False)`) with a note, to check and issue;
- a partial credit note (a damaged chair the customer keeps) and a full one (the invoice cancelled).

The issued documents' PDFs are rendered here, at once (the worker would, too, but the demo does not
wait for it); the worker e-mails them when it runs (`invoice.issued` → billing.document_send). The
customer invoiced up front (Berliner Start-up Studio) has no invoice: its order waits in Finance's
credit queue, and releasing it invoices it (`order.confirmed` → billing.invoice_order_upfront).

Idempotent: an order is found again by (customer, PO reference) and sold and shipped only once; an
order that has been invoiced (or whose demo draft was discarded in the app) gets no new documents —
so a second run adds nothing, and what was done in the app stays as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Carrier, Shipment
from fulfillment.services import shipment_create, shipment_deliver, shipment_pack, shipment_ship, shipment_start_picking
from inventory.models import Product, Warehouse
from o2c.models import AuditEvent
from orders.enums import InvoicingPolicy, OrderStatus
from orders.models import Customer, SalesOrder
from orders.services import order_confirm, order_create

from .enums import CreditReason
from .models import BillingDocument, CreditNote, Invoice, InvoiceLine
from .services import (
    credit_note_create,
    document_render_pdf,
    invoice_create_for_order,
    invoice_create_for_period,
    invoice_create_for_shipment,
    invoice_update_notes,
)

SHIPPED = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)


@dataclass(frozen=True)
class DemoSale:
    """An order the billing demo sells (Sales) and ships in one shipment (Warehouse); delivered when
    `received_by` is given."""

    customer: str
    reference: str  # the customer's PO reference: also what finds the order again on the next run
    lines: list[tuple[str, int]]
    carrier: str
    tracking: str
    received_by: str = ""
    warehouse: str = "HAM"


SALES = [
    DemoSale("Milano Ufficio S.r.l.", "MU-2026-0412", [("CHAIR-ERGO", 6), ("ARM-MON-2", 6), ("MOUSE-WL", 10)],
             "PARCEL", "NP00481937DE"),
    DemoSale("Elbe Architekten PartG mbB", "EA-ATELIER-07", [("KB-DE-WL", 4), ("MOUSE-WL", 4), ("ARM-MON-2", 2)],
             "PARCEL", "NP00481940DE"),
    DemoSale("Brooklyn Desk Co. Inc.", "BDC-PO-3390", [("DESK-1600", 4), ("CHAIR-ERGO", 4), ("ARM-MON-2", 4)],
             "PALLET", "HS-4471388"),
    DemoSale("Münchner Coworking Spaces GmbH", "MCS-OG2-11", [("DESK-1800", 2), ("CAB-3DRW", 2), ("PAPER-A4", 10)],
             "PALLET", "HS-4471402", received_by="Anna Huber"),
    DemoSale("Schwarzwald Praxisbedarf e.K.", "SP-2026-112", [("PAPER-A4", 20), ("KB-DE-WL", 4)],
             "PARCEL", "NP00481952DE"),
]


@dataclass(frozen=True)
class DemoCredit:
    reason: str
    note: str
    lines: list[tuple[str, int]] | None = None  # (SKU, quantity) credited; None: the whole invoice


@dataclass(frozen=True)
class DemoBilling:
    """How an order's shipped goods are invoiced: "shipment" (each shipment, as its customer's policy
    does), "period" (the customer's consolidated period so far) or "draft" (by hand, by Finance)."""

    customer: str
    reference: str
    how: str
    notes: str = ""  # the draft's note, printed on the invoice
    credits: list[DemoCredit] = field(default_factory=list)


BILLING = [
    # Rheinland (monthly): the warehouse floor's pallet and parcel, in one invoice for the month so far
    DemoBilling("Rheinland Office Solutions AG", "RH-2025-118", "period"),
    DemoBilling("Milano Ufficio S.r.l.", "MU-2026-0412", "shipment", credits=[
        DemoCredit(CreditReason.DAMAGED, "One chair arrived with a scratched armrest; the customer keeps it, "
                                         "credited as agreed with Giulia Rossi.", lines=[("CHAIR-ERGO", 1)])]),
    DemoBilling("Elbe Architekten PartG mbB", "EA-ATELIER-07", "shipment", credits=[
        DemoCredit(CreditReason.CANCELLATION, "Sample set for the new studio, free of charge as agreed with "
                                              "Jonas Richter: the invoice is cancelled.")]),
    DemoBilling("Brooklyn Desk Co. Inc.", "BDC-PO-3390", "shipment"),
    DemoBilling("Münchner Coworking Spaces GmbH", "MCS-OG2-11", "shipment"),
    DemoBilling("Schwarzwald Praxisbedarf e.K.", "SP-2026-112", "draft",
                notes="Invoiced before the weekly run at the customer's request (budget closes this week). "
                      "Check the paper price before issuing."),
]


def _orders(wanted: list[tuple[str, str]]) -> dict[tuple[str, str], SalesOrder]:
    """The demo orders by (customer, PO reference) (another customer may use the same reference)."""
    condition = Q(pk__in=[])
    for customer, reference in wanted:
        condition |= Q(customer__legal_name=customer, customer_reference=reference)
    return {(order.customer.legal_name, order.customer_reference): order
            for order in SalesOrder.objects.filter(condition).select_related("customer").order_by("pk")}


def _sell_and_ship(spec: DemoSale, customer: Customer, products: dict[str, Product], warehouse: Warehouse,
                   carrier: Carrier | None, *, sales: Any, shipper: Any) -> Shipment | None:
    order = order_create(customer=customer, actor=sales, warehouse=warehouse, customer_reference=spec.reference,
                         lines=[{"product": products[sku].pk, "quantity": Decimal(qty)} for sku, qty in spec.lines])
    order = order_confirm(order_id=order.pk, actor=sales)
    if order.status != OrderStatus.CONFIRMED or any(line.backordered_quantity for line in order.lines.all()):
        return None  # on hold, or not all in stock: it waits, like any order
    shipment = shipment_create(order_id=order.pk, actor=shipper, carrier=carrier)
    shipment_start_picking(shipment_id=shipment.pk, actor=shipper)
    shipment_pack(shipment_id=shipment.pk, actor=shipper)
    shipment = shipment_ship(shipment_id=shipment.pk, actor=shipper, tracking_number=spec.tracking, carrier=carrier)
    if spec.received_by:
        shipment = shipment_deliver(shipment_id=shipment.pk, actor=shipper, received_by=spec.received_by,
                                    delivered_on=timezone.localdate())
    return shipment


def _sales(*, sales: Any, shipper: Any) -> tuple[int, int]:
    """Sell and ship the orders still missing; (orders, shipments) created."""
    existing = _orders([(spec.customer, spec.reference) for spec in SALES])
    customers = {c.legal_name: c for c in Customer.objects.filter(legal_name__in=[spec.customer for spec in SALES])}
    skus = {sku for spec in SALES for sku, _ in spec.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}
    warehouses = {w.code: w for w in Warehouse.objects.filter(is_active=True)}
    carriers = {c.code: c for c in Carrier.objects.filter(is_active=True)}
    orders = shipments = 0
    for spec in SALES:
        customer, warehouse = customers.get(spec.customer), warehouses.get(spec.warehouse)
        if ((spec.customer, spec.reference) in existing or customer is None or warehouse is None
                or any(sku not in products for sku, _ in spec.lines)):
            continue
        shipment = _sell_and_ship(spec, customer, products, warehouse, carriers.get(spec.carrier), sales=sales,
                                  shipper=shipper)
        orders += 1
        shipments += shipment is not None
    return orders, shipments


def _period_so_far(policy: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The consolidated period that is running: this ISO week or this month, up to today."""
    if policy == InvoicingPolicy.WEEKLY:
        return today - datetime.timedelta(days=today.weekday()), today
    return today.replace(day=1), today


def _invoice(spec: DemoBilling, order: SalesOrder, finance: Any) -> list[Invoice]:
    if spec.how == "period":
        if order.customer.invoicing_policy not in (InvoicingPolicy.WEEKLY, InvoicingPolicy.MONTHLY):
            return []
        start, end = _period_so_far(order.customer.invoicing_policy, timezone.localdate())
        invoice = invoice_create_for_period(customer_id=order.customer_id, currency=order.currency, start=start,
                                            end=end)
        return [invoice] if invoice else []
    if spec.how == "draft":
        draft = invoice_create_for_order(order_id=order.pk, actor=finance, issue=False)
        if draft is None:
            return []
        if spec.notes:
            draft = invoice_update_notes(invoice_id=draft.pk, notes=spec.notes, actor=finance)
        return [draft]
    made = [invoice_create_for_shipment(shipment_id=pk) for pk in
            Shipment.objects.filter(order=order, status__in=SHIPPED).order_by("pk").values_list("pk", flat=True)]
    return [invoice for invoice in made if invoice is not None]


def _credit(invoice: Invoice, spec: DemoCredit, finance: Any) -> CreditNote:
    lines = InvoiceLine.objects.filter(invoice=invoice).select_related("product").order_by("position")
    if spec.lines is None:
        wanted = [{"invoice_line": line.pk, "quantity": line.quantity - line.credited_quantity} for line in lines]
    else:
        by_sku = {line.product.sku: line for line in lines if line.product}
        wanted = [{"invoice_line": by_sku[sku].pk, "quantity": Decimal(qty)} for sku, qty in spec.lines
                  if sku in by_sku]
    return credit_note_create(invoice_id=invoice.pk, actor=finance, reason=spec.reason, lines=wanted, note=spec.note)


def _left_alone(orders: list[SalesOrder]) -> set[int]:
    """Orders invoiced already (by an earlier run, the worker or a person), or whose draft was discarded."""
    invoiced = set(InvoiceLine.objects.filter(order_line__order__in=orders).values_list("order_line__order_id",
                                                                                          flat=True))
    discarded = AuditEvent.objects.filter(content_type__app_label="orders", content_type__model="salesorder",
                                          object_id__in=[str(o.pk) for o in orders], action="invoice_draft_discarded")
    return invoiced | {int(pk) for pk in discarded.values_list("object_id", flat=True)}


@transaction.atomic
def load_billing_demo(
    *, actor: AbstractBaseUser | None, sales: AbstractBaseUser | None = None,
    warehouse: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Create what is missing of the demo billing (`actor`: Finance, who makes the draft and the credit
    notes); returns how many of each thing were created."""
    created = {"orders": 0, "shipments": 0, "invoices": 0, "drafts": 0, "credit_notes": 0, "pdfs": 0}
    created["orders"], created["shipments"] = _sales(sales=sales, shipper=warehouse)

    orders = _orders([(spec.customer, spec.reference) for spec in BILLING])
    done = _left_alone(list(orders.values()))
    documents: list[BillingDocument] = []
    for spec in BILLING:
        order = orders.get((spec.customer, spec.reference))
        if order is None or order.pk in done or order.status not in (OrderStatus.CONFIRMED, OrderStatus.DONE):
            continue
        for invoice in _invoice(spec, order, actor):
            if not invoice.is_issued:
                created["drafts"] += 1
                continue
            created["invoices"] += 1
            documents.append(invoice)
            for credit in spec.credits:
                documents.append(_credit(invoice, credit, actor))
                created["credit_notes"] += 1
    for document in documents:  # at once, so that the demo shows its PDFs without a worker
        kind = "invoice" if isinstance(document, Invoice) else "credit_note"
        created["pdfs"] += document_render_pdf(kind=kind, document_id=document.pk)
    return created
