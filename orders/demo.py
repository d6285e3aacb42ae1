"""The demo company's sales desk: tax rates, payment terms, customers, quotes and sales orders.

`load_orders_demo()` runs after the inventory demo (it sells the demo products from the demo
warehouses) and is idempotent: what exists already — a tax rate by (category, country, start), a
payment term by code, a customer by legal name, a quote by (customer, notes), an order by
(customer, PO reference) — is left as it is, so a second run adds nothing and edits made in the app
stay. Everything is written by the services, by the demo users (admin sets up tax rates and payment
terms; sales enters customers, quotes and orders; finance sets credit limits and holds; the
warehouse raises the replenishment the reservations call for), so the audit trail reads like real work.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from inventory.enums import TaxCategory
from inventory.models import Product, Warehouse
from inventory.services import replenishment_run

from .enums import ContactRole, DocumentLanguage, InvoicingPolicy
from .models import Customer, PaymentTerm, Quote, SalesOrder, TaxRate
from .services import (
    customer_create,
    customer_set_credit,
    order_confirm,
    order_create,
    payment_term_create,
    price_list_set,
    quote_create,
    quote_send,
    tax_rate_create,
)

TAX_RATES_FROM = datetime.date(2020, 1, 1)
TAX_RATES = [  # Germany, the seller's country (domestic sales)
    (TaxCategory.STANDARD, "19.00", "Umsatzsteuer 19 %"),
    (TaxCategory.REDUCED, "7.00", "Ermäßigter Satz 7 %"),
    (TaxCategory.ZERO, "0.00", "Nullsatz"),
    (TaxCategory.EXEMPT, "0.00", "Steuerfrei"),
]

PAYMENT_TERMS = [
    {"code": "NET14", "name": "14 days net", "net_days": 14},
    {"code": "NET30", "name": "30 days net", "net_days": 30},
    {"code": "NET30EOM", "name": "30 days net, end of month", "net_days": 30, "end_of_month": True},
    {"code": "2/10NET30", "name": "2 % discount within 10 days, 30 days net", "net_days": 30,
     "discount_percent": Decimal("2.00"), "discount_days": 10},
]

DE, EN = DocumentLanguage.GERMAN, DocumentLanguage.ENGLISH
P = InvoicingPolicy


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    country: str
    address: str
    term: str
    policy: str
    language: str
    domain: str
    buyer: str
    accountant: str
    vat_id: str = ""
    currency: str = "EUR"
    credit_limit: str | None = None
    discount: str = "0"
    hold: str = ""  # a reason puts the customer on credit hold
    ship_to: list[tuple[str, str]] = field(default_factory=list)  # (label, address) besides the billing address
    prices: dict[str, str] = field(default_factory=dict)  # SKU: own unit price (in the customer's currency)


CUSTOMERS = [
    # Germany: domestic, 19 % / 7 %
    DemoCustomer("Hanse Bürobedarf GmbH", "DE", "Steinstrasse 10\n20095 Hamburg", "NET30", P.ON_SHIPMENT, DE,
                 "hanse-buero.example", "Jens Petersen", "Maren Claussen", vat_id="DE136695976",
                 credit_limit="50000.00"),
    DemoCustomer("Rheinland Office Solutions AG", "DE", "Hohenzollernring 50\n50672 Köln", "2/10NET30", P.MONTHLY,
                 DE, "rheinland-office.example", "Stefan Krämer", "Petra Lindner", credit_limit="100000.00",
                 discount="3.00", ship_to=[("Düsseldorf branch", "Königsallee 60\n40212 Düsseldorf")],
                 prices={"DESK-1600": "499.00", "CHAIR-ERGO": "299.00"}),
    DemoCustomer("Münchner Coworking Spaces GmbH", "DE", "Leopoldstrasse 77\n80802 München", "NET14",
                 P.ON_DELIVERY, DE, "muc-cowork.example", "Anna Huber", "Thomas Maier", credit_limit="20000.00"),
    DemoCustomer("Berliner Start-up Studio UG (haftungsbeschränkt)", "DE", "Torstrasse 140\n10119 Berlin", "NET14",
                 P.UPFRONT, EN, "bss-berlin.example", "Lena Vogel", "Kai Brandt", credit_limit="5000.00",
                 hold="Two invoices more than 60 days overdue: payment before any new delivery."),
    DemoCustomer("Schwarzwald Praxisbedarf e.K.", "DE", "Hauptstrasse 12\n79098 Freiburg im Breisgau",
                 "NET30EOM", P.WEEKLY, DE, "schwarzwald-praxis.example", "Sabine Roth", "Klaus Fischer"),
    DemoCustomer("Elbe Architekten PartG mbB", "DE", "Grosse Elbstrasse 145\n22767 Hamburg", "NET30",
                 P.ON_SHIPMENT, DE, "elbe-architekten.example", "Jonas Richter", "Eva Schulz",
                 credit_limit="3000.00"),
    # EU customers with a VAT id: intra-EU reverse charge, 0 %
    DemoCustomer("Bureau Moderne SARL", "FR", "12 rue de la Paix\n75002 Paris", "NET30", P.ON_SHIPMENT, EN,
                 "bureau-moderne.example", "Claire Dubois", "Marc Lefèvre", vat_id="FR40303265045",
                 credit_limit="30000.00"),
    DemoCustomer("Kantoor Design B.V.", "NL", "Keizersgracht 120\n1015 CX Amsterdam", "NET30", P.MONTHLY, EN,
                 "kantoordesign.example", "Sanne de Vries", "Pieter Bakker", vat_id="NL004495445B01",
                 credit_limit="20000.00"),
    DemoCustomer("Wiener Büromöbel GmbH", "AT", "Mariahilfer Strasse 50\n1070 Wien", "NET30EOM", P.ON_SHIPMENT, DE,
                 "wiener-bueromoebel.example", "Lukas Gruber", "Julia Wagner", vat_id="ATU13585627",
                 credit_limit="25000.00"),
    DemoCustomer("Bruxelles Office Supplies SA", "BE", "Avenue Louise 200\n1050 Bruxelles", "2/10NET30",
                 P.ON_DELIVERY, EN, "bxl-office.example", "Sophie Janssens", "Luc Peeters", vat_id="BE0403170701",
                 credit_limit="15000.00"),
    DemoCustomer("Milano Ufficio S.r.l.", "IT", "Via Torino 25\n20123 Milano", "NET30", P.ON_SHIPMENT, EN,
                 "milano-ufficio.example", "Giulia Rossi", "Marco Bianchi", vat_id="IT00743110157",
                 credit_limit="20000.00"),
    # Outside the EU: export, 0 %
    DemoCustomer("Zürich Workspace AG", "CH", "Bahnhofstrasse 30\n8001 Zürich", "NET30", P.ON_SHIPMENT, DE,
                 "zh-workspace.example", "Nina Keller", "Reto Baumann", vat_id="CHE-116.281.710 MWST",
                 credit_limit="20000.00"),
    DemoCustomer("Brooklyn Desk Co. Inc.", "US", "200 Water Street\nBrooklyn, NY 11201", "NET30", P.ON_SHIPMENT, EN,
                 "brooklyndesk.example", "Megan Carter", "David Kim", currency="USD", credit_limit="40000.00",
                 prices={"DESK-1600": "629.00", "DESK-1800": "739.00", "CHAIR-ERGO": "379.00",
                         "ARM-MON-2": "169.00"}),
]


@dataclass(frozen=True)
class DemoQuote:
    customer: str
    notes: str  # also what finds the quote again on the next run
    lines: list[tuple[str, int]]
    send: bool = False
    discount: str | None = None


QUOTES = [
    DemoQuote("Münchner Coworking Spaces GmbH", "Fit-out of the second floor: 10 workstations.",
              [("DESK-1800", 10), ("CHAIR-ERGO", 10), ("ARM-MON-2", 10)]),
    DemoQuote("Bureau Moderne SARL", "Monitor refresh for the Paris office.",
              [("MON-27-4K", 12), ("DOCK-USBC", 12)], send=True),
    DemoQuote("Brooklyn Desk Co. Inc.", "Showroom furniture, New York (prices in USD).",
              [("DESK-1600", 8), ("CHAIR-ERGO", 8), ("ARM-MON-2", 8)], send=True),
    DemoQuote("Milano Ufficio S.r.l.", "Call-centre headsets with a 5 % volume discount.",
              [("HDST-BT", 20), ("MOUSE-WL", 20)], discount="5.00"),
    DemoQuote("Schwarzwald Praxisbedarf e.K.", "Quarterly supply of paper and keyboards.",
              [("PAPER-A4", 40), ("KB-DE-WL", 6)], send=True),
]


@dataclass(frozen=True)
class DemoOrder:
    customer: str
    reference: str  # the customer's PO reference: also what finds the order again on the next run
    warehouse: str
    lines: list[tuple[str, int]]
    confirm: bool = True


ORDERS = [
    DemoOrder("Rheinland Office Solutions AG", "RH-2025-118", "HAM",
              [("DESK-1600", 6), ("CAB-3DRW", 6), ("ARM-MON-2", 6), ("KB-DE-WL", 6), ("MOUSE-WL", 6)]),
    # more monitors and docks than Hamburg holds: backordered, dated by lead time / the inbound receipt
    DemoOrder("Wiener Büromöbel GmbH", "WB-4471", "HAM", [("MON-27-4K", 10), ("DOCK-USBC", 8), ("HDST-BT", 10)]),
    DemoOrder("Bureau Moderne SARL", "BM-PO-7781", "MUC", [("CHAIR-ERGO", 5), ("DESK-1800", 4), ("MON-27-4K", 4)]),
    DemoOrder("Zürich Workspace AG", "ZW-5530", "HAM", [("CBL-CAT6A", 300), ("HDST-BT", 6)]),
    # the customer is on credit hold: the order waits in Finance's credit queue
    DemoOrder("Berliner Start-up Studio UG (haftungsbeschränkt)", "BSS-0001", "HAM",
              [("DESK-1600", 4), ("CHAIR-ERGO", 4)]),
    DemoOrder("Hanse Bürobedarf GmbH", "HB-0815", "HAM", [("PAPER-A4", 40), ("KB-DE-WL", 10), ("MOUSE-WL", 10)],
              confirm=False),
    DemoOrder("Kantoor Design B.V.", "KD-2291", "MUC", [("ARM-MON-2", 8), ("DOCK-USBC", 8)], confirm=False),
]


def _products(skus: list[str]) -> dict[str, Product] | None:
    """The active demo products by SKU; None when one is missing (the document is then skipped)."""
    found = {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}
    return found if len(found) == len(set(skus)) else None


def _customer(spec: DemoCustomer, terms: dict[str, PaymentTerm], *, sales: Any, finance: Any) -> Customer:
    local = unicodedata.normalize("NFKD", spec.buyer).encode("ascii", "ignore").decode().lower()
    first, last = local.split(" ", 1)
    contacts = [
        {"name": spec.buyer, "email": f"{first}.{last.replace(' ', '')}@{spec.domain}",
         "phone": "", "role": ContactRole.SALES},
        {"name": spec.accountant, "email": f"accounts@{spec.domain}", "phone": "", "role": ContactRole.BILLING},
    ]
    addresses = [{"label": "Head office", "recipient": spec.name, "address": spec.address, "country": spec.country,
                  "is_default": True}]
    addresses += [{"label": label, "recipient": spec.name, "address": address, "country": spec.country,
                   "is_default": False} for label, address in spec.ship_to]
    customer = customer_create(
        actor=sales, legal_name=spec.name, vat_id=spec.vat_id, country=spec.country, billing_address=spec.address,
        currency=spec.currency, payment_term=terms[spec.term], discount_percent=Decimal(spec.discount),
        invoicing_policy=spec.policy, language=spec.language, shipping_addresses=addresses, contacts=contacts,
    )
    products = _products(list(spec.prices)) or {}
    for sku, price in spec.prices.items():
        if sku in products:
            price_list_set(customer_id=customer.pk, product=products[sku], unit_price=Decimal(price), actor=sales)
    if spec.credit_limit is not None or spec.hold:
        customer = customer_set_credit(
            customer_id=customer.pk, actor=finance,
            credit_limit=Decimal(spec.credit_limit) if spec.credit_limit is not None else None,
            credit_hold=True if spec.hold else None, reason=spec.hold,
        )
    return customer


@transaction.atomic
def load_orders_demo(
    *, sales: AbstractBaseUser | None, finance: AbstractBaseUser | None, warehouse: AbstractBaseUser | None = None,
    admin: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Create what is missing of the demo sales desk; returns how many of each thing were created."""
    created = {"tax_rates": 0, "payment_terms": 0, "customers": 0, "quotes": 0, "orders": 0, "confirmed": 0,
               "replenishment_requests": 0}
    for category, rate, name in TAX_RATES:
        if not TaxRate.objects.filter(category=category, country="DE", valid_from=TAX_RATES_FROM).exists():
            tax_rate_create(category=category, country="DE", rate=Decimal(rate), name=name,
                            valid_from=TAX_RATES_FROM, actor=admin)
            created["tax_rates"] += 1

    for spec in PAYMENT_TERMS:
        if not PaymentTerm.objects.filter(code=spec["code"]).exists():
            payment_term_create(actor=admin, **spec)
            created["payment_terms"] += 1
    terms = {t.code: t for t in PaymentTerm.objects.all()}

    customers = {c.legal_name: c for c in Customer.objects.filter(legal_name__in=[s.name for s in CUSTOMERS])}
    for spec in CUSTOMERS:
        if spec.name not in customers and spec.term in terms:
            customers[spec.name] = _customer(spec, terms, sales=sales, finance=finance)
            created["customers"] += 1

    for quote in QUOTES:
        customer = customers.get(quote.customer)
        products = _products([sku for sku, _ in quote.lines])
        if customer is None or products is None or Quote.objects.filter(customer=customer,
                                                                         notes=quote.notes).exists():
            continue
        lines = [{"product": products[sku].pk, "quantity": Decimal(qty),
                  **({"discount_percent": Decimal(quote.discount)} if quote.discount else {})}
                 for sku, qty in quote.lines]
        made = quote_create(customer=customer, lines=lines, actor=sales, notes=quote.notes)
        if quote.send:
            quote_send(quote_id=made.pk, actor=sales)
        created["quotes"] += 1

    warehouses = {w.code: w for w in Warehouse.objects.filter(is_active=True)}
    for order in ORDERS:
        customer = customers.get(order.customer)
        products = _products([sku for sku, _ in order.lines])
        ships_from = warehouses.get(order.warehouse)
        if (customer is None or products is None or ships_from is None
                or SalesOrder.objects.filter(customer=customer, customer_reference=order.reference).exists()):
            continue
        made = order_create(
            customer=customer, actor=sales, warehouse=ships_from, customer_reference=order.reference,
            lines=[{"product": products[sku].pk, "quantity": Decimal(qty)} for sku, qty in order.lines],
        )
        created["orders"] += 1
        if order.confirm:
            order_confirm(order_id=made.pk, actor=sales)  # or on credit hold, for the customer on hold
            created["confirmed"] += 1
    # the reservations lowered what is available: raise the requests the stock now needs (as the
    # daily job would), so that the next run finds nothing new to raise
    created["replenishment_requests"] = len(replenishment_run(actor=warehouse))
    return created
