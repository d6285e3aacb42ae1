"""Invoice PDF: our full path vs WeasyPrint rendering the same HTML bare (DESIGN.md §8: within 1.2×).

One realistic issued invoice (10 lines, mixed VAT rates, line discounts, early-payment discount) is made
through the real services (order → confirm → ship → invoice) inside a transaction that is rolled back at
the end, so the bench database keeps nothing and no Celery message is queued. Then, after a warm-up,
RUNS times each (interleaved, each path first in turn, garbage collected before each call, so drift and
collections hit all alike):

- ours: `invoice_pdf_bytes(invoice)` — load the lines, render the template in the customer's language,
  build the Factur-X XML, WeasyPrint straight to PDF/A-3B with the XML embedded (one pass);
- bare: `HTML(string=html, base_url=BASE_DIR).write_pdf()` on the HTML rendered once beforehand;
- factur-x lib: bare WeasyPrint PDF/A-3B + `embed_facturx()` (the factur-x library rewrites the PDF
  with pypdf) — the alternative embedding, for comparison.

Prints the median of each, as CPU time of this process (the figure to compare: rendering is single-threaded
and CPU-bound, and CPU time does not count what other processes on a shared machine take) and as wall time,
and the ratio ours / bare. BENCH_RUNS (default 15) changes the count.
"""

from __future__ import annotations

import datetime
import gc
import logging
import os
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from _setup import setup_bench_db

setup_bench_db()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from weasyprint import HTML  # noqa: E402

from billing.einvoice import embed_facturx, facturx_xml  # noqa: E402
from billing.models import Invoice  # noqa: E402
from billing.services import invoice_create_for_shipment  # noqa: E402
from billing.services.documents import _context, invoice_pdf_bytes  # noqa: E402
from fulfillment.models import Carrier  # noqa: E402
from fulfillment.services import shipment_create, shipment_pack, shipment_ship, shipment_start_picking  # noqa: E402
from inventory.models import Product, Warehouse  # noqa: E402
from inventory.services import stock_receive  # noqa: E402
from o2c.documents import render_html  # noqa: E402
from orders.models import Contact, Customer, PaymentTerm, TaxRate  # noqa: E402
from orders.services import order_confirm, order_create  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = 3
LINES = [("Cordless drill 18 V", "129.90", "standard", 3), ("Wood screws 4×40, 200 pcs", "4.25", "reduced", 12),
         ("Workbench, beech, 2 m", "1250.00", "standard", 1), ("Safety goggles", "19.99", "zero", 5),
         ("Clamp set, 6 pcs", "89.00", "standard", 2), ("Sandpaper P120", "0.85", "standard", 40),
         ("Assembly service", "350.00", "exempt", 1), ("Wood glue 750 g", "12.40", "reduced", 7),
         ("Spirit level 60 cm", "45.00", "standard", 3), ("Pencils, carpenter's", "9.95", "standard", 10)]


def make_invoice() -> Invoice:
    today = timezone.localdate()
    for category, rate in (("standard", "19.00"), ("reduced", "7.00")):
        TaxRate.objects.get_or_create(category=category, country=settings.O2C_COMPANY["country"],
                                      valid_from=datetime.date(2000, 1, 1), defaults={"rate": Decimal(rate)})
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCHPDF", defaults={"name": "Invoice PDF bench"})
    carrier, _ = Carrier.objects.get_or_create(code="BENCHPDF", defaults={"name": "Bench Parcel", "transit_days": 1})
    term, _ = PaymentTerm.objects.get_or_create(code="BENCH2-14-30", defaults={
        "name": "2 % within 14 days, 30 days net", "net_days": 30, "discount_percent": 2, "discount_days": 14})
    customer = Customer.objects.create(number=f"BENCH{time.time_ns() % 10**12}", legal_name="Nordlicht Möbel GmbH",
                                       vat_id="DE811569869", country="DE", currency="EUR", payment_term=term,
                                       billing_address="Einkauf / Kreditoren\nMarktplatz 1\n20095 Hamburg",
                                       discount_percent=Decimal(3), language="de")
    Contact.objects.create(customer=customer, name="Kreditoren", email="ap@nordlicht.example", role="billing")
    lines = []
    for n, (name, price, category, quantity) in enumerate(LINES):
        product = Product.objects.create(sku=f"BP-{customer.number[-6:]}-{n}", name=name, list_price=Decimal(price),
                                         tax_category=category, weight_kg=Decimal("1.000"))
        stock_receive(product=product, warehouse=warehouse, quantity=quantity, actor=None, reference="bench")
        lines.append({"product": product.pk, "quantity": str(quantity)})
    order = order_create(customer=customer, lines=lines, actor=None, warehouse=warehouse,
                         customer_reference="PO-4711", requested_date=today + datetime.timedelta(days=3))
    order_confirm(order_id=order.pk, actor=None)
    shipment = shipment_create(order_id=order.pk, actor=None, carrier=carrier)
    shipment_start_picking(shipment_id=shipment.pk, actor=None)
    shipment_pack(shipment_id=shipment.pk, actor=None)
    shipment_ship(shipment_id=shipment.pk, actor=None, tracking_number="BENCH1")
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None and invoice.lines.count() == len(LINES)
    return Invoice.objects.select_related("customer", "order", "shipment").get(pk=invoice.pk)


def timed(fn: Callable[[], bytes]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call; the garbage of the calls before is collected first."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    logging.getLogger("factur-x").setLevel(logging.WARNING)  # it logs every PDF at INFO
    with transaction.atomic():
        invoice = make_invoice()
        html = render_html("billing/pdf/invoice.html", _context(invoice), language=invoice.language)
        base_url = str(settings.BASE_DIR)
        xml = facturx_xml(invoice)
        paths: dict[str, Callable[[], bytes]] = {
            "ours (invoice_pdf_bytes)": lambda: invoice_pdf_bytes(invoice),
            "bare WeasyPrint": lambda: HTML(string=html, base_url=base_url).write_pdf(),
            "factur-x lib embedding": lambda: embed_facturx(
                HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/a-3b"), xml),
        }
        for fn in paths.values():
            for _ in range(WARMUP):
                fn()
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
        names = list(paths)
        for run in range(RUNS):
            for name in names[run % len(names):] + names[:run % len(names)]:  # each goes first in turn
                times[name].append(timed(paths[name]))
        size = len(invoice_pdf_bytes(invoice))
        transaction.set_rollback(True)  # the bench keeps no invoice and queues no message
    cpu = {name: statistics.median(t[0] for t in values) for name, values in times.items()}
    wall = {name: statistics.median(t[1] for t in values) for name, values in times.items()}
    print(f"Invoice PDF, {len(LINES)} lines, {size // 1024} KiB; median of {RUNS} runs after {WARMUP} warm-ups")
    best = {name: min(t[0] for t in values) for name, values in times.items()}
    print(f"  {'':<26} {'CPU':>9} {'wall':>9} {'best CPU':>9}")
    for name in paths:
        print(f"  {name:<26} {cpu[name] * 1000:6.1f} ms {wall[name] * 1000:6.1f} ms {best[name] * 1000:6.1f} ms")
    ours, bare = "ours (invoice_pdf_bytes)", "bare WeasyPrint"
    print(f"  ratio ours / bare: {cpu[ours] / cpu[bare]:.2f} CPU, {wall[ours] / wall[bare]:.2f} wall (budget 1.2)")


if __name__ == "__main__":
    main()
