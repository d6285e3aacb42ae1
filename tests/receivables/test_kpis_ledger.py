"""KPIs on a small fixture computed by hand from their definitions, the collector worklist, and the
customer ledger with its running balance."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.services import credit_note_create
from receivables.selectors.kpis import collector_worklist, days_to_pay, dso_trend, receivables_kpis
from receivables.selectors.ledger import customer_credit, customer_ledger
from receivables.services.payments import credit_note_credit_record, payment_refund
from tests.billing.factories import billing_customer, issued_on, overdue_invoice
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def history():
    """A issued −80 (119.00, due −50) paid −45; B issued −20 (238.00, due +10) open; C issued −100
    (119.00, due −70) open. Terms: 30 days net."""
    today = timezone.localdate()
    customer = billing_customer()
    a = issued_on(today - 80 * DAY, [(1, "100.00", "standard")], customer=customer)
    b = issued_on(today - 20 * DAY, [(2, "100.00", "standard")], customer=customer)
    c = issued_on(today - 100 * DAY, [(1, "100.00", "standard")], customer=customer)
    payment_of(customer, "119.00", invoices=[a], received=today - 45 * DAY)
    return customer, a, b, c


def test_the_kpis_match_their_definitions(history) -> None:
    kpis = receivables_kpis()
    # AR = B + C = 357.00; overdue = C = 119.00 → 33.3 %
    assert (kpis.open_ar, kpis.overdue_ar, kpis.overdue_percent) == (Decimal("357.00"), Decimal("119.00"),
                                                                     Decimal("33.3"))
    # credit sales of the last 90 days: A + B = 357.00 → DSO = 357 / 357 × 90 = 90.0
    assert (kpis.credit_sales_90, kpis.dso) == (Decimal("357.00"), Decimal("90.0"))
    # CEI over 30 days: AR then 119 (C; A was paid at −45), sales since 238 (B), AR now 357, current now 238:
    # (119 + 238 − 357) / (119 + 238 − 238) = 0 / 119 → 0.0
    assert kpis.cei == Decimal("0.0")
    # A: paid 35 days after issue, 5 days after its due date
    assert (kpis.average_days_to_pay, kpis.average_days_late) == (Decimal("35.0"), Decimal("5.0"))
    assert kpis.unapplied_credit == 0 and kpis.open_disputes == 0


def test_paying_c_lifts_the_cei_to_100_and_counts_its_lateness(history) -> None:
    customer, _, _, c = history
    payment_of(customer, "119.00", invoices=[c])
    kpis = receivables_kpis()
    # (119 + 238 − 238) / (119 + 238 − 238) = 100
    assert kpis.cei == Decimal("100.0") and kpis.overdue_ar == 0
    habits = days_to_pay(customer_id=customer.pk)
    # A 35 / 5; C 100 / 70 → averages 67.5 / 37.5
    assert (habits[customer.pk].invoices, habits[customer.pk].days_to_pay, habits[customer.pk].days_late) == (
        2, Decimal("67.5"), Decimal("37.5"))


def test_the_dso_trend_has_twelve_month_ends_ending_today(history) -> None:
    today = timezone.localdate()
    trend = dso_trend()
    assert len(trend) == 12 and trend[-1].date == today
    assert all((p.date + DAY).day == 1 for p in trend[:-1])
    assert trend[-1].ar == Decimal("357.00") and trend[-1].dso == Decimal("90.0")
    # the AR rebuilt from the documents' dates agrees with the aging at each month end
    from receivables.selectors.aging import aging_report

    for point in trend[:-1]:
        total = aging_report(point.date).totals.get("EUR")
        assert point.ar == (total.total if total else 0)


def test_the_worklist_ranks_by_overdue_amount_times_days() -> None:
    small_old, big_new = billing_customer(), billing_customer()
    overdue_invoice(60, [(1, "10.00", "standard")], customer=small_old)  # 11.90 × 60 = 714
    overdue_invoice(5, [(10, "100.00", "standard")], customer=big_new)  # 1190 × 5 = 5950
    overdue_invoice(-5, [(1, "10.00", "standard")], customer=small_old)  # not overdue: not counted
    rows = collector_worklist()
    assert [r.customer_id for r in rows] == [big_new.pk, small_old.pk]
    assert (rows[1].overdue, rows[1].oldest_days, rows[1].priority) == (Decimal("11.90"), 60, Decimal("714.00"))
    assert rows[1].open_balance == Decimal("23.80")


def test_the_ledger_runs_to_the_balance_less_the_credit() -> None:
    today = timezone.localdate()
    customer = billing_customer()
    first = issued_on(today - 30 * DAY, [(1, "100.00", "standard")], customer=customer)  # 119.00
    payment_of(customer, "150.00", invoices=[first], received=today - 10 * DAY)  # 31.00 left as credit
    note = credit_note_create(invoice_id=first.pk, actor=None, reason="price", amount="11.90")
    credit = credit_note_credit_record(credit_note_id=note.pk)
    payment_refund(payment_id=credit.pk, amount="11.90", actor=None)
    issued_on(today - 2 * DAY, [(1, "50.00", "standard")], customer=customer)  # 59.50
    entries = customer_ledger(customer)
    assert [(e.kind, e.debit, e.credit, e.balance) for e in entries] == [
        ("invoice", Decimal("119.00"), 0, Decimal("119.00")),
        ("payment", 0, Decimal("150.00"), Decimal("-31.00")),
        ("invoice", Decimal("59.50"), 0, Decimal("28.50")),
        ("credit_note", 0, Decimal("11.90"), Decimal("16.60")),
        ("refund", Decimal("11.90"), 0, Decimal("28.50")),
    ]
    customer.refresh_from_db()
    assert entries[-1].balance == customer.open_balance - customer_credit(customer) == Decimal("59.50") - 31
    since = customer_ledger(customer, since=today - 5 * DAY)
    assert (since[0].kind, since[0].balance) == ("opening", Decimal("-31.00"))
    assert [e.kind for e in since[1:]] == ["invoice", "credit_note", "refund"]
