"""Predicting when an open invoice will be paid, from how its customer has paid before.

The model, in plain terms (no library: a few weighted averages a collector can check by hand):

- **What is learnt**: for each invoice settled in the two years before the day of the prediction, its
  *delay*: days from its due date to the day it was settled (negative when paid early).
- **Recent invoices count more**: an invoice's weight halves every `HALF_LIFE_DAYS` days since it was settled.
- **Amounts are considered**: for a customer's own history, invoices of a similar amount count more
  (a Gaussian kernel on the log of the amount: a tenfold bigger invoice counts about a third as much), so
  a customer that pays small bills at once and big ones late gets different dates for each.
- **It is still open**: an invoice not paid by today will not be paid before today. Only the delays at
  least as long as the one it has already reached are averaged (for an invoice not yet due, the early
  payments that would have happened by now are left out the same way).
- **Little history borrows from its peers**: the customer's weighted average delay is blended with that of
  the customers on the same payment terms ("similar customers"), or of all customers, as if the peers
  were `PRIOR_WEIGHT` (1) invoice of the customer's own: with 1 invoice it is half and half, with 20 the
  customer does. Nobody paid this late before: today + `UNSEEN_DELAY_DAYS`.
- **Confidence** (0–1): how much of the estimate is the customer's own (n ÷ (n + PRIOR_WEIGHT), n the
  effective number of invoices) times how regular the delays are (1 ÷ (1 + spread ÷ 10 days)).

`PaymentHabits(own, pools, as_of)` holds what was learnt; `.predict(item)` answers for one open invoice,
`.usual_delay(customer, segment)` for an invoice not yet made (the cash forecast's orders). The peers'
delays come as a histogram (`PoolBin`, one SQL aggregate), so a refresh for one customer after a payment
reads its own invoices and one GROUP BY, not everybody's history.
"""

from __future__ import annotations

import datetime
import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

HALF_LIFE_DAYS = 180
LOOKBACK_DAYS = 730
PRIOR_WEIGHT = 1.0  # chosen by bench/forecast_backtest.py: 3 pulled regular customers too far towards their peers
AMOUNT_BANDWIDTH = 1.5  # in natural-log units of the amount
UNSEEN_DELAY_DAYS = 14
OWN_HISTORY_MIN = 3  # settled invoices before a prediction counts as resting on the customer's own habit
PEERS_MIN = 5


@dataclass(frozen=True)
class SettledInvoice:
    customer_id: int
    segment: str  # the payment terms' code
    due_date: datetime.date
    settled_on: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    customer_id: int
    segment: str
    currency: str
    issue_date: datetime.date
    due_date: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class Prediction:
    invoice_id: int
    predicted_date: datetime.date
    expected_days_late: Decimal
    spread_days: Decimal
    confidence: Decimal
    basis: str  # insight.enums.PredictionBasis
    sample_size: int


@dataclass(frozen=True)
class Habit:
    expected_days_late: Decimal
    spread_days: Decimal
    basis: str
    sample_size: int


ZERO = Decimal(0)


@dataclass(frozen=True)
class Estimate:
    mean: float
    spread: float
    n_eff: float  # Kish's effective number of observations
    count: int


def _estimate(delays: list[float], weights: list[float]) -> Estimate | None:
    total = sum(weights)
    if not delays or total <= 0:
        return None
    mean = sum(w * d for w, d in zip(weights, delays, strict=True)) / total
    variance = sum(w * (d - mean) ** 2 for w, d in zip(weights, delays, strict=True)) / total
    return Estimate(mean, math.sqrt(variance), total ** 2 / sum(w * w for w in weights), len(delays))


@dataclass(frozen=True)
class PoolBin:
    """The settled invoices of one payment-terms group that were paid `delay` days after their due date:
    how many, and the sums of their recency weights and squared weights (read by one SQL aggregate)."""

    segment: str
    delay: int
    weight: float
    weight_sq: float
    count: int


class _Pool:
    """A group's delays sorted, with running sums, so the average of the delays ≥ x is a bisection."""

    def __init__(self, bins: list[PoolBin]) -> None:
        merged: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for b in bins:
            acc = merged[b.delay]
            acc[0], acc[1], acc[2] = acc[0] + b.weight, acc[1] + b.weight_sq, acc[2] + b.count
        self.delays = sorted(merged)
        rows = [(d, *merged[d]) for d in self.delays]

        def suffix(values: list[float]) -> list[float]:
            return [*list(accumulate(reversed(values)))[::-1], 0.0]

        self._w = suffix([w for _, w, _, _ in rows])
        self._wd = suffix([w * d for d, w, _, _ in rows])
        self._wdd = suffix([w * d * d for d, w, _, _ in rows])
        self._ww = suffix([ww for _, _, ww, _ in rows])
        self._n = suffix([n for _, _, _, n in rows])

    def at_least(self, delay: float) -> Estimate | None:
        k = bisect_left(self.delays, delay)
        total = self._w[k]
        if total <= 0:
            return None
        mean = self._wd[k] / total
        variance = max(0.0, self._wdd[k] / total - mean * mean)
        return Estimate(mean, math.sqrt(variance), total ** 2 / self._ww[k], int(self._n[k]))


def recency_weight(age_days: int) -> float:
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


class PaymentHabits:
    """What was learnt up to `as_of`: each customer's own settled invoices (`own`, for the customers to be
    predicted) and every payment-terms group's delays (`pools`)."""

    def __init__(self, own: list[SettledInvoice], pools: list[PoolBin], as_of: datetime.date) -> None:
        self.as_of = as_of
        self._own: dict[int, list[tuple[float, float, float]]] = defaultdict(list)  # (delay, weight, log amount)
        for inv in own:
            age = (as_of - inv.settled_on).days
            if 0 <= age <= LOOKBACK_DAYS:
                self._own[inv.customer_id].append(
                    (float((inv.settled_on - inv.due_date).days), recency_weight(age), _log(inv.amount)))
        by_segment: dict[str, list[PoolBin]] = defaultdict(list)
        for b in pools:
            by_segment[b.segment].append(b)
        self._segments = {key: _Pool(bins) for key, bins in by_segment.items()}
        self._company = _Pool(pools)

    def customer_average(self, customer_id: int) -> float | None:
        """The customer's plain average delay (the backtest's second baseline)."""
        own = self._own.get(customer_id)
        return sum(d for d, _, _ in own) / len(own) if own else None

    def _own_estimate(self, item: OpenInvoice, reached: float) -> Estimate | None:
        target = _log(item.amount)
        delays, weights = [], []
        for delay, weight, amount in self._own.get(item.customer_id, ()):
            if delay >= reached:
                delays.append(delay)
                weights.append(weight * math.exp(-((amount - target) ** 2) / (2 * AMOUNT_BANDWIDTH ** 2)))
        return _estimate(delays, weights)

    def _peers(self, segment: str, reached: float) -> tuple[Estimate | None, str]:
        pool = self._segments.get(segment)
        similar = pool.at_least(reached) if pool else None
        if similar is not None and similar.count >= PEERS_MIN:
            return similar, "similar"
        return self._company.at_least(reached), "company"

    def usual_delay(self, customer_id: int, segment: str) -> Habit:
        """The customer's expected delay for an invoice not yet made (any amount, nothing reached yet)."""
        own = self._own.get(customer_id, [])
        mine = _estimate([d for d, _, _ in own], [w for _, w, _ in own])
        peers, basis = self._peers(segment, -math.inf)
        if peers is None:
            return Habit(ZERO, ZERO, "terms", 0)
        mean, spread, _, basis = _blend(mine, peers, basis)
        return Habit(_dec(mean), _dec(spread), basis, mine.count if mine else 0)

    def predict(self, item: OpenInvoice) -> Prediction:
        reached = float((self.as_of - item.due_date).days)  # the delay it has already reached, unpaid
        own, (peers, peer_basis) = self._own_estimate(item, reached), self._peers(item.segment, reached)
        if peers is None:  # nobody paid this late (or at all) before
            # no history at all: the due date; past it: two weeks from the delay reached
            mean = reached + UNSEEN_DELAY_DAYS if reached >= 0 else 0.0
            spread, n, basis = float(UNSEEN_DELAY_DAYS), 0.0, "terms"
        else:
            mean, spread, n, basis = _blend(own, peers, peer_basis)
        predicted = item.due_date + datetime.timedelta(days=round(mean))
        predicted = max(predicted, self.as_of, item.issue_date)
        confidence = n / (n + PRIOR_WEIGHT) / (1 + spread / 10)
        return Prediction(
            item.invoice_id, predicted, _dec((predicted - item.due_date).days), _dec(spread),
            Decimal(confidence).quantize(Decimal("0.001")), basis, own.count if own else 0,
        )


def _blend(own: Estimate | None, peers: Estimate, peer_basis: str) -> tuple[float, float, float, str]:
    """(mean, spread, the customer's effective invoices, basis): its own estimate shrunk towards its peers'."""
    if own is None:
        return peers.mean, peers.spread, 0.0, peer_basis
    n = own.n_eff
    mean = (n * own.mean + PRIOR_WEIGHT * peers.mean) / (n + PRIOR_WEIGHT)
    spread = math.sqrt((n * own.spread ** 2 + PRIOR_WEIGHT * peers.spread ** 2) / (n + PRIOR_WEIGHT))
    return mean, spread, n, "customer" if own.count >= OWN_HISTORY_MIN else peer_basis


def _log(amount: Decimal) -> float:
    return math.log(max(float(amount), 1.0))


def _dec(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"))
