"""The demo company's receivables: overdue invoices, payments, a bank statement, reminders, a dispute,
a promise to pay and a customer on credit hold — so that the aging, the collector worklist, the
reconciliation queue and the reminder preview all show something.

`load_receivables_demo()` runs after the billing demo. Billing's invoices are all issued today; Finance
needs invoices that fell due long ago. So this demo sells and ships a few more orders (by the demo users,
through the orders and fulfillment services, as the billing demo does) and invoices each with billing's
own service *as on a day in the past*: `invoice_create_for_shipment` dates an invoice by
`timezone.localdate()`, which is pinned to that day while it runs (`_issued_on`), so its due date,
discount terms and number year follow from that day like an invoice issued then. Their due dates lie
5, 15, 20, 45, 75 and 120 days back, one in each aging bucket, across five customers. Then, with the
real services:

- the reminder run of every day since the oldest invoice fell due (`reminder_run`): the history shows
  levels 1 to 3, and tomorrow's preview shows Milano's level 2;
- payments: a partial one (Münchner), one for two invoices with an overpayment left as credit
  (Wiener), one that earns the early-payment discount (Bruxelles, 2 % in 10 days);
- a CAMT.053 statement (`bank_statement_import`): one credit auto-matched by the invoice number in its
  remittance (Zürich), one left in the reconciliation queue, a debit (bank fees) shown, not applied;
- a dispute (Bureau Moderne, a damaged chair) and a promise to pay (Zürich, due today);
- the credit-control run (`credit_holds_apply`): Hanse, with invoices 75 and 120 days overdue, goes on
  credit hold by the policy.

Idempotent: an order is found again by (customer, PO reference) and invoiced once; a payment by (customer,
reference), the statement by its account and id, the dispute and the promise by their invoice; the
reminder run and the credit-control run are idempotent themselves. A second run the same day adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any
from unittest import mock
from xml.sax.saxutils import escape

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from billing.demo import DemoSale, _orders, _sell_and_ship
from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from billing.services import invoice_create_for_shipment
from fulfillment.models import Carrier
from inventory.models import Product, Warehouse
from o2c.money import quantize_money
from orders.models import Customer

from .enums import DisputeReason, PaymentMethod
from .models import BankStatement, Dispute, DunningPolicy, Payment, PromiseToPay
from .selectors.dunning import dunning_policy
from .services.credit_control import credit_holds_apply
from .services.disputes import dispute_open
from .services.dunning import reminder_run
from .services.payments import payment_record, promise_to_pay_record
from .services.statements import bank_statement_import


@dataclass(frozen=True)
class DemoInvoice:
    """A sale invoiced as on a day in the past: `overdue` days past its due date today (the customer's
    net days before that it was issued), or `issued` days ago when given."""

    sale: DemoSale
    overdue: int | None = None
    issued: int | None = None


def _sale(customer: str, reference: str, lines: list[tuple[str, int]], received_by: str = "") -> DemoSale:
    return DemoSale(customer, reference, lines, "PARCEL", f"NP{zlib.crc32(reference.encode()) % 10**8:08d}DE",
                    received_by=received_by)


HANSE, BUREAU, ZURICH = "Hanse Bürobedarf GmbH", "Bureau Moderne SARL", "Zürich Workspace AG"
MUNICH, MILANO = "Münchner Coworking Spaces GmbH", "Milano Ufficio S.r.l."
WIEN, BRUSSELS = "Wiener Büromöbel GmbH", "Bruxelles Office Supplies SA"

INVOICES = [
    # overdue, one in each aging bucket (and two customers in 1–30)
    DemoInvoice(_sale(HANSE, "HB-2026-0417", [("PAPER-A4", 8), ("MOUSE-WL", 6)]), overdue=120),
    DemoInvoice(_sale(HANSE, "HB-2026-0522", [("KB-DE-WL", 5), ("CBL-CAT6A", 50)]), overdue=75),
    DemoInvoice(_sale(BUREAU, "BM-PO-7790", [("CHAIR-ERGO", 2)]), overdue=45),
    DemoInvoice(_sale(MILANO, "MU-2026-0477", [("MOUSE-WL", 10), ("KB-DE-WL", 4)]), overdue=20),
    DemoInvoice(_sale(ZURICH, "ZW-5601", [("MOUSE-WL", 8), ("CBL-CAT6A", 100)]), overdue=15),
    DemoInvoice(_sale(MUNICH, "MCS-OG2-14", [("PAPER-A4", 6)], received_by="Anna Huber"), overdue=5),
    # not due yet: paid by the payments and the statement below
    DemoInvoice(_sale(WIEN, "WB-4502", [("MOUSE-WL", 4)]), issued=20),
    DemoInvoice(_sale(WIEN, "WB-4503", [("KB-DE-WL", 3)]), issued=12),
    DemoInvoice(_sale(BRUSSELS, "BXL-2026-031", [("ARM-MON-2", 2)], received_by="Sophie Janssens"), issued=4),
    DemoInvoice(_sale(ZURICH, "ZW-5644", [("CBL-CAT6A", 40)]), issued=10),
]

STATEMENT_ID = "O2C-DEMO-STMT-0001"
PAYER_IBANS = {ZURICH: "CH9300762011623852957", HANSE: "DE02120300000000202051"}


@contextlib.contextmanager
def _issued_on(day: datetime.date) -> Iterator[None]:
    """Billing dates what it issues by `timezone.localdate()`: pin it to `day` (the demo's invoices from
    the past), leaving calls for another moment (`localdate(value)`) alone."""
    real = timezone.localdate

    def localdate(value: datetime.datetime | None = None, timezone: Any = None) -> datetime.date:
        return day if value is None else real(value, timezone)

    with mock.patch("django.utils.timezone.localdate", localdate):
        yield


def _issue_day(spec: DemoInvoice, customer: Customer, today: datetime.date) -> datetime.date:
    if spec.issued is not None:
        return today - datetime.timedelta(days=spec.issued)
    return today - datetime.timedelta(days=customer.payment_term.net_days + (spec.overdue or 0))


def _invoices(*, sales: Any, shipper: Any, today: datetime.date) -> tuple[dict[str, Invoice], int]:
    """The demo invoices by PO reference (sold, shipped and invoiced when missing); and how many were made."""
    existing = _orders([(spec.sale.customer, spec.sale.reference) for spec in INVOICES])
    customers = {c.legal_name: c for c in Customer.objects.filter(legal_name__in={s.sale.customer for s in INVOICES})
                 .select_related("payment_term")}
    skus = {sku for spec in INVOICES for sku, _ in spec.sale.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}
    warehouse = Warehouse.objects.filter(code="HAM", is_active=True).first()
    carrier = Carrier.objects.filter(code="PARCEL", is_active=True).first()
    made = 0
    for spec in INVOICES:
        customer = customers.get(spec.sale.customer)
        key = (spec.sale.customer, spec.sale.reference)
        if (key in existing or customer is None or warehouse is None or customer.credit_hold
                or any(sku not in products for sku, _ in spec.sale.lines)):
            continue
        shipment = _sell_and_ship(spec.sale, customer, products, warehouse, carrier, sales=sales, shipper=shipper)
        if shipment is None:
            continue
        with _issued_on(_issue_day(spec, customer, today)):
            invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
        if invoice is not None:  # its PDF is rendered by the worker (queued after the commit)
            made += 1
    orders = _orders([(spec.sale.customer, spec.sale.reference) for spec in INVOICES])
    invoices = {inv.order.customer_reference: inv for inv in Invoice.objects.filter(
        order__in=list(orders.values()), number__isnull=False).select_related("order", "customer")}
    return invoices, made


def _reminder_history(invoices: dict[str, Invoice], today: datetime.date, actor: Any) -> int:
    """The daily reminder run of every past day on which a demo invoice reached a level (the other days'
    runs would send nothing; the run is idempotent: a day run before writes nothing)."""
    levels = [level.days_after_due for level in dunning_policy().levels.all()]
    days = sorted({inv.due_date + datetime.timedelta(days=d) for inv in invoices.values() for d in levels}
                  - {today})
    return sum(len(reminder_run(today=day, actor=actor)) for day in days if day < today)


def _pay(customer: Customer, reference: str, amount: Decimal, allocations: list[dict[str, Any]],
         received: datetime.date, actor: Any) -> Payment | None:
    if Payment.objects.filter(customer=customer, reference=reference).exists():
        return None
    return payment_record(customer_id=customer.pk, amount=amount, method=PaymentMethod.BANK_TRANSFER,
                          received_date=received, reference=reference, allocations=allocations, actor=actor)


def _open(invoice: Invoice | None) -> bool:
    if invoice is None:
        return False
    invoice.refresh_from_db(fields=["status", "amount_due"])
    return invoice.status in OPEN_STATUSES and invoice.amount_due > 0


def _payments(invoices: dict[str, Invoice], today: datetime.date, actor: Any) -> int:
    made = []
    munich = invoices.get("MCS-OG2-14")
    if _open(munich):  # a partial payment: half of it
        half = quantize_money(munich.amount_due / 2)
        made.append(_pay(munich.customer, f"Teilzahlung {munich.number}", half,
                         [{"invoice": munich.pk, "amount": str(half)}], today, actor))
    first, second = invoices.get("WB-4502"), invoices.get("WB-4503")
    if _open(first) and _open(second):  # two invoices in one transfer, 50.00 too much: the customer's credit
        amount = first.amount_due + second.amount_due + Decimal("50.00")
        made.append(_pay(first.customer, f"{first.number} {second.number}", amount,
                         [{"invoice": first.pk}, {"invoice": second.pk}], today - datetime.timedelta(days=1), actor))
    brussels = invoices.get("BXL-2026-031")
    if _open(brussels) and brussels.discount_date and brussels.discount_date >= today:  # 2 % skonto taken
        made.append(_pay(brussels.customer, f"{brussels.number} -2% skonto", brussels.amount_due
                         - brussels.discount_amount, [{"invoice": brussels.pk}], today, actor))
    return sum(1 for payment in made if payment is not None)


def camt053(*, account_iban: str, statement_id: str, currency: str, day: datetime.date,
            entries: list[dict[str, Any]], opening: Decimal = Decimal("10000.00")) -> bytes:
    """A CAMT.053.001.08 statement (ISO 20022) of one account for one day. Each entry: amount, credit
    (True: money in), ref (the bank's reference), name, iban, text (the remittance)."""
    closing = opening + sum((e["amount"] if e["credit"] else -e["amount"] for e in entries), Decimal(0))

    def balance(code: str, amount: Decimal) -> str:
        sign = "CRDT" if amount >= 0 else "DBIT"
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{abs(amount):.2f}</Amt>"
                f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day:%Y-%m-%d}</Dt></Dt></Bal>")

    def entry(e: dict[str, Any]) -> str:
        side = "Dbtr" if e["credit"] else "Cdtr"
        party = (f"<RltdPties><{side}><Nm>{escape(e['name'])}</Nm></{side}>"
                 f"<{side}Acct><Id><IBAN>{e['iban']}</IBAN></Id></{side}Acct></RltdPties>" if e.get("name") else "")
        return (f"<Ntry><Amt Ccy=\"{currency}\">{e['amount']:.2f}</Amt>"
                f"<CdtDbtInd>{'CRDT' if e['credit'] else 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
                f"<BookgDt><Dt>{day:%Y-%m-%d}</Dt></BookgDt><ValDt><Dt>{day:%Y-%m-%d}</Dt></ValDt>"
                f"<AcctSvcrRef>{escape(e['ref'])}</AcctSvcrRef><BkTxCd/>"
                f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{escape(e['ref'])}</AcctSvcrRef></Refs>{party}"
                f"<RmtInf><Ustrd>{escape(e['text'])}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(statement_id)}-MSG</MsgId><CreDtTm>{day:%Y-%m-%d}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>{day:%Y-%m-%d}T18:00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{day:%Y-%m-%d}T00:00:00</FrDtTm><ToDtTm>{day:%Y-%m-%d}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{account_iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        f"{balance('OPBD', opening)}{balance('CLBD', closing)}"
        f"{''.join(entry(e) for e in entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _statement(invoices: dict[str, Invoice], today: datetime.date, actor: Any) -> int:
    """Yesterday's statement of the company's account: Zürich pays ZW-5644 quoting its number (auto-
    matched), Hanse sends money nobody can place (the queue), the bank takes its fees (a debit)."""
    account = settings.O2C_COMPANY["iban"].replace(" ", "").upper()
    if BankStatement.objects.filter(account_iban=account, statement_ref=STATEMENT_ID).exists():
        return 0
    zurich = invoices.get("ZW-5644")
    if not _open(zurich):
        return 0
    entries = [
        {"amount": zurich.amount_due, "credit": True, "ref": "O2C-DEMO-TX-0001", "name": "Zuerich Workspace AG",
         "iban": PAYER_IBANS[ZURICH], "text": f"Rechnung {zurich.number} Patchkabel"},
        {"amount": Decimal("250.00"), "credit": True, "ref": "O2C-DEMO-TX-0002", "name": "HANSE BUEROBEDARF",
         "iban": PAYER_IBANS[HANSE], "text": "Abschlagszahlung offene Posten"},
        {"amount": Decimal("12.50"), "credit": False, "ref": "O2C-DEMO-TX-0003", "name": "Commerzbank AG",
         "iban": "DE89370400440532013000", "text": "Kontofuehrungsgebuehren"},
    ]
    content = camt053(account_iban=account, statement_id=STATEMENT_ID, currency=zurich.currency,
                      day=today - datetime.timedelta(days=1), entries=entries)
    return int(bank_statement_import(content=content, filename="camt053-demo.xml", actor=actor).created)


def _dispute(invoices: dict[str, Invoice], actor: Any) -> int:
    invoice = invoices.get("BM-PO-7790")
    if not _open(invoice) or Dispute.objects.filter(invoice=invoice).exists():
        return 0
    chair = quantize_money(invoice.gross_total / 2)
    dispute_open(invoice_id=invoice.pk, reason=DisputeReason.DAMAGED, amount=chair,
                 owner_id=actor.pk if actor else None, actor=actor,
                 note="Claire Dubois: one of the two chairs arrived with a broken gas lift (photos by e-mail). "
                      "Asked the carrier for the damage report.")
    return 1


def _promise(invoices: dict[str, Invoice], today: datetime.date, actor: Any) -> int:
    invoice = invoices.get("ZW-5601")
    if not _open(invoice) or PromiseToPay.objects.filter(invoice=invoice).exists():
        return 0
    promise_to_pay_record(invoice_id=invoice.pk, promised_date=today, actor=actor,
                          note="Reto Baumann (accounts): in today's payment run.")
    return 1


def _default_policy() -> int:
    """The default dunning policy (EU 2011/7) that migration 0002 creates, put back if it is gone (a test
    database flushed, say); 1 when it was created here."""
    if DunningPolicy.objects.filter(is_default=True).exists():
        return 0
    migration = import_module("receivables.migrations.0002_ledgers_append_only_default_policy")
    migration.default_policy(apps, None)
    return int(DunningPolicy.objects.filter(is_default=True).exists())


@transaction.atomic
def load_receivables_demo(*, actor: AbstractBaseUser | None, sales: AbstractBaseUser | None = None,
                          warehouse: AbstractBaseUser | None = None) -> dict[str, int]:
    """Create what is missing of the demo receivables (`actor`: Finance); how many of each were created."""
    today = timezone.localdate()
    created = dict.fromkeys(("dunning_policies", "invoices", "payments", "statements", "reminders", "disputes",
                             "promises", "credit_holds"), 0)
    created["dunning_policies"] = _default_policy()
    invoices, created["invoices"] = _invoices(sales=sales, shipper=warehouse, today=today)
    if not invoices or not DunningPolicy.objects.filter(is_default=True).exists():
        return created
    created["reminders"] = _reminder_history(invoices, today, actor)
    created["payments"] = _payments(invoices, today, actor)
    created["statements"] = _statement(invoices, today, actor)
    created["disputes"] = _dispute(invoices, actor)
    created["promises"] = _promise(invoices, today, actor)
    created["reminders"] += len(reminder_run(today=today, actor=actor))
    created["credit_holds"] = len(credit_holds_apply(today=today)[0])
    return created

