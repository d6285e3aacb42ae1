"""The demo receivables: loaded by load_demo after the billing demo, idempotent, written by the services;
it has overdue invoices in every aging bucket, so the aging, the reminder history and tomorrow's reminder
preview show something, plus payments, a bank statement, a dispute, a promise and a credit hold."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from billing.enums import OPEN_STATUSES, InvoiceStatus
from billing.models import Invoice
from inventory.selectors import ledger_mismatches
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer
from receivables.demo import INVOICES, STATEMENT_ID
from receivables.enums import AgingBucket, Direction, DisputeStatus, LineStatus, MatchRule
from receivables.models import (
    Allocation,
    BankStatement,
    BankStatementLine,
    Dispute,
    Payment,
    PolicyCreditHold,
    PromiseToPay,
    Reminder,
    ReminderLog,
)
from receivables.selectors.aging import aging_report
from receivables.selectors.dunning import reminder_preview

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Invoice, Payment, Allocation, BankStatement, BankStatementLine, Reminder, ReminderLog, Dispute, PromiseToPay,
        PolicyCreditHold, OutboxEvent, AuditEvent)}


def _load() -> str:
    out = StringIO()
    call_command("load_demo", password="pw-demo", stdout=out)
    return out.getvalue()


def _demo_invoices() -> dict[str, Invoice]:
    return {i.order.customer_reference: i for i in Invoice.objects.filter(
        order__customer_reference__in=[spec.sale.reference for spec in INVOICES]).select_related("order", "customer")}


def test_load_demo_twice_gives_the_same_receivables() -> None:
    first_output = _load()
    first = _counts()
    assert ("Receivables demo: 10 invoices, 3 payments, 1 statements, 11 reminders, 1 disputes, 1 promises, "
            "1 credit_holds.") in first_output
    second_output = _load()
    assert _counts() == first
    assert "Receivables demo:" not in second_output  # nothing was created the second time
    assert ledger_mismatches() == []

    # the books agree: the aging is what the open invoices owe, and what the customers' balances say
    report = aging_report()
    for currency, total in report.totals.items():
        owed = Invoice.objects.filter(status__in=OPEN_STATUSES, currency=currency).aggregate(s=Sum("amount_due"))["s"]
        balances = Customer.objects.filter(currency=currency).aggregate(s=Sum("open_balance"))["s"]
        assert total.total == owed == balances, currency


def test_the_demo_has_overdue_invoices_reminders_and_tomorrows_preview() -> None:
    _load()
    today = timezone.localdate()
    invoices = _demo_invoices()
    assert len(invoices) == len(INVOICES)
    for spec in INVOICES:
        invoice = invoices[spec.sale.reference]
        if spec.overdue is not None:
            assert invoice.due_date == today - datetime.timedelta(days=spec.overdue), spec.sale.reference
        else:
            assert invoice.issue_date == today - datetime.timedelta(days=spec.issued), spec.sale.reference
        assert invoice.number and invoice.status != "draft"  # issued by billing's service (its worker renders the PDF)
    assert not Invoice.objects.filter(pk__in=[i.pk for i in invoices.values()]).exclude(
        order__created_by__username="sales").exists()

    # every aging bucket has something (the aging chart), several customers are overdue
    eur = aging_report().totals["EUR"]
    assert all(eur.buckets[bucket] > 0 for bucket in AgingBucket.values), eur.buckets
    overdue = {row.customer_name for row in aging_report().rows if row.overdue > 0}
    assert len(overdue) >= 5

    # the reminder history: levels 1 to 3, sent day by day since the oldest invoice fell due
    assert set(Reminder.objects.values_list("level", flat=True)) == {1, 2, 3}
    hanse = invoices["HB-2026-0417"]
    assert set(ReminderLog.objects.filter(invoice=hanse).values_list("level", flat=True)) == {1, 2, 3}
    assert not ReminderLog.objects.filter(invoice=invoices["MCS-OG2-14"]).exists()  # 5 days: not yet
    assert Reminder.objects.filter(run_date__lt=today).exists()
    # tomorrow's run: Milano's invoice reaches 21 days, level 2
    planned = reminder_preview()
    assert [(p.customer.legal_name, p.level.level, [line.invoice.pk for line in p.lines]) for p in planned] == [
        ("Milano Ufficio S.r.l.", 2, [invoices["MU-2026-0477"].pk])]
    assert planned[0].totals.fee > 0 and planned[0].totals.compensation > 0


def test_the_demo_has_payments_a_statement_a_dispute_a_promise_and_a_credit_hold() -> None:
    _load()
    today = timezone.localdate()
    invoices = _demo_invoices()
    fiona = User.objects.get(username="finance")

    partial = invoices["MCS-OG2-14"]  # half paid
    assert partial.status == InvoiceStatus.PARTIALLY_PAID and 0 < partial.amount_due < partial.gross_total
    first, second = invoices["WB-4502"], invoices["WB-4503"]  # one transfer, two invoices, 50.00 too much
    several = Payment.objects.get(allocations__invoice=first)
    assert set(several.allocations.values_list("invoice", flat=True)) == {first.pk, second.pk}
    assert several.unapplied_amount == Decimal("50.00") and first.status == second.status == InvoiceStatus.PAID
    skonto = Allocation.objects.get(invoice=invoices["BXL-2026-031"])  # paid within 10 days, 2 % off
    assert skonto.discount_amount == invoices["BXL-2026-031"].discount_amount > 0
    assert invoices["BXL-2026-031"].status == InvoiceStatus.PAID
    assert not Payment.objects.exclude(created_by=fiona).exists()

    statement = BankStatement.objects.get(statement_ref=STATEMENT_ID)
    lines = list(statement.lines.order_by("position"))
    assert [(line.direction, line.status) for line in lines] == [
        (Direction.CREDIT, LineStatus.MATCHED), (Direction.CREDIT, LineStatus.UNMATCHED),
        (Direction.DEBIT, LineStatus.SHOWN)]
    assert lines[0].match_rule == MatchRule.INVOICE_NUMBER and statement.auto_matched_count == 1
    assert lines[0].payment.allocations.get().invoice == invoices["ZW-5644"]
    assert invoices["ZW-5644"].status == InvoiceStatus.PAID

    dispute = Dispute.objects.get()
    assert (dispute.invoice, dispute.status, dispute.owner) == (invoices["BM-PO-7790"], DisputeStatus.OPEN, fiona)
    promise = PromiseToPay.objects.get()
    assert (promise.invoice, promise.promised_date) == (invoices["ZW-5601"], today)

    hold = PolicyCreditHold.objects.get()
    assert hold.customer.legal_name == "Hanse Bürobedarf GmbH" and hold.customer.credit_hold
    assert hold.oldest_due_date == invoices["HB-2026-0417"].due_date


def test_finance_sees_the_demo_through_the_api() -> None:
    _load()
    client = APIClient()
    client.force_authenticate(User.objects.get(username="finance"))
    aging = client.get("/api/v1/aging/").json()
    assert {row["currency"] for row in aging["totals"]} == {"EUR", "USD"}
    assert Decimal(next(t for t in aging["totals"] if t["currency"] == "EUR")["overdue"]) > 0
    assert len(client.get("/api/v1/reminders/preview/").json()["reminders"]) == 1
    assert client.get("/api/v1/bank-statement-lines/?status=unmatched").json()["count"] == 1
    assert client.get("/api/v1/reminders/").json()["count"] == Reminder.objects.count() > 0
    assert client.get("/api/v1/disputes/?status=open").json()["count"] == 1
