"""The pay-date model on histories with known answers (no database: `PaymentHabits` is plain Python)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from insight.prediction import (
    PRIOR_WEIGHT,
    UNSEEN_DELAY_DAYS,
    OpenInvoice,
    PaymentHabits,
    PoolBin,
    SettledInvoice,
    recency_weight,
)

TODAY = datetime.date(2026, 6, 15)
DAY = datetime.timedelta(days=1)


def settled(customer: int, delay: int, *, ago: int = 10, amount: str = "1000",
            segment: str = "NET30") -> SettledInvoice:
    paid = TODAY - ago * DAY
    return SettledInvoice(customer, segment, paid - delay * DAY, paid, Decimal(amount))


def bins(history: list[SettledInvoice]) -> list[PoolBin]:
    """The histogram the SQL aggregate (`delay_histogram`) makes, built here by hand."""
    acc: dict[tuple[str, int], list[float]] = {}
    for inv in history:
        w = recency_weight((TODAY - inv.settled_on).days)
        row = acc.setdefault((inv.segment, (inv.settled_on - inv.due_date).days), [0.0, 0.0, 0])
        row[0], row[1], row[2] = row[0] + w, row[1] + w * w, row[2] + 1
    return [PoolBin(seg, delay, w, ww, int(n)) for (seg, delay), (w, ww, n) in acc.items()]


def habits(history: list[SettledInvoice]) -> PaymentHabits:
    return PaymentHabits(history, bins(history), TODAY)


def open_invoice(customer: int, due_in: int, *, amount: str = "1000", segment: str = "NET30") -> OpenInvoice:
    due = TODAY + due_in * DAY
    return OpenInvoice(1, customer, segment, "EUR", due - 30 * DAY, due, Decimal(amount))


def test_a_customer_who_always_pays_ten_days_late_is_predicted_ten_days_late() -> None:
    h = habits([settled(7, 10, ago=k * 20) for k in range(12)])
    p = h.predict(open_invoice(7, due_in=5))
    assert p.predicted_date == TODAY + 15 * DAY
    assert p.expected_days_late == Decimal("10.0")
    assert p.spread_days == Decimal("0.0") and p.basis == "customer" and p.sample_size == 12
    assert p.confidence > Decimal("0.6")  # a habit: high confidence


def test_little_history_borrows_from_customers_on_the_same_terms() -> None:
    # ten invoices of other NET30 customers paid on the day, one of customer 7 paid 30 days late, all 10 days ago
    history = [settled(100 + k, 0) for k in range(10)] + [settled(7, 30)]
    p = habits(history).predict(open_invoice(7, due_in=20))
    peers = 30 / 11  # the NET30 pool's average delay (customer 7's own invoice is in it)
    expected = (1 * 30 + PRIOR_WEIGHT * peers) / (1 + PRIOR_WEIGHT)  # one own invoice against PRIOR_WEIGHT
    assert p.predicted_date == TODAY + (20 + round(expected)) * DAY
    assert p.basis == "similar" and p.sample_size == 1
    assert p.confidence < Decimal("0.6")  # not a habit yet


def test_recent_payments_count_more() -> None:
    # paid on the day 180 days ago (weight ½), 30 days late just now (weight 1): (½·0 + 1·30) ÷ 1½ = 20
    h = habits([settled(7, 0, ago=180), settled(7, 30, ago=0)])
    assert h.predict(open_invoice(7, due_in=40)).expected_days_late == Decimal("20.0")


def test_an_overdue_invoice_is_predicted_from_the_delays_longer_than_it_has_reached() -> None:
    # usually 5 days late, once 40: an invoice already 10 days overdue is one of the 40-day kind
    h = habits([settled(7, 5, ago=10 + k) for k in range(3)] + [settled(7, 40, ago=5)])
    p = h.predict(open_invoice(7, due_in=-10))
    assert p.expected_days_late == Decimal("40.0")
    assert p.predicted_date == TODAY + 30 * DAY
    # one not yet due gets the customer's whole history: (3·5·w + 40·w') ÷ (3w + w') with w ≈ w'
    assert Decimal("10") < habits([settled(7, 5, ago=10 + k) for k in range(3)] + [settled(7, 40, ago=5)]).predict(
        open_invoice(7, due_in=10)).expected_days_late < Decimal("15")


def test_big_invoices_follow_the_customers_big_invoices() -> None:
    history = ([settled(7, 0, amount="100", ago=k) for k in range(5)]
               + [settled(7, 30, amount="10000", ago=k) for k in range(5)])
    h = habits(history)
    big, small = h.predict(open_invoice(7, 20, amount="10000")), h.predict(open_invoice(7, 20, amount="100"))
    assert big.expected_days_late > Decimal("20") > Decimal("10") > small.expected_days_late


def test_no_history_means_the_due_date_and_past_it_two_more_weeks() -> None:
    h = habits([])
    early = h.predict(open_invoice(7, due_in=12))
    assert early.predicted_date == TODAY + 12 * DAY and early.basis == "terms" and early.confidence == 0
    late = h.predict(open_invoice(7, due_in=-3))
    assert late.predicted_date == TODAY + UNSEEN_DELAY_DAYS * DAY  # nobody paid this late: two weeks from today


def test_an_early_payer_is_predicted_early_but_not_before_today() -> None:
    h = habits([settled(7, -3, ago=k) for k in range(6)])
    assert h.predict(open_invoice(7, due_in=5)).predicted_date == TODAY + 2 * DAY
    # usually 20 days early, but this one is still open 5 days before its due date: not the usual kind,
    # and nobody paid later than that before — the due date, not a day in the past
    h = habits([settled(7, -20, ago=k) for k in range(6)])
    p = h.predict(open_invoice(7, due_in=5))
    assert p.predicted_date == TODAY + 5 * DAY and p.basis == "terms"


def test_the_usual_delay_of_a_customer_blends_its_own_with_its_peers() -> None:
    history = [settled(100 + k, 0) for k in range(10)] + [settled(7, 12) for _ in range(6)]
    h = habits(history)
    peers = 72 / 16  # the NET30 pool: 6 × 12 days over 16 invoices
    expected = (6 * 12 + PRIOR_WEIGHT * peers) / (6 + PRIOR_WEIGHT)
    habit = h.usual_delay(7, "NET30")
    assert habit.expected_days_late == Decimal(expected).quantize(Decimal("0.1")) and habit.basis == "customer"
    assert h.usual_delay(999, "NET30").expected_days_late == Decimal(peers).quantize(Decimal("0.1"))
    assert habits([]).usual_delay(7, "NET30").basis == "terms"
