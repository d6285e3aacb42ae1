"""Backtest of the pay-date predictions on the demo's payment history.

The demo company (`manage.py load_demo`, with `DEMO_HISTORY_MONTHS`, default 12, months of dated sales,
invoices and payments of customer-specific habits) is loaded into its own database (`o2c_bench_backtest`).
Then, at each cutoff day (every 14 days from `BACKTEST_FROM` days ago to `BACKTEST_TO` days ago):

- **fit on the past**: `payment_habits(cutoff)` learns only from invoices settled by the cutoff;
- **predict the next months**: every invoice open at the end of the cutoff day (issued by then, not yet
  settled) that was settled within `BACKTEST_HORIZON` days after it gets a predicted pay date;
- compare with the day it was really settled, beside two baselines: **"paid on the due date"** and
  **"the customer's average delay"** (its plain average of days paid after the due date, as of the cutoff;
  the due date without history). Both baselines are moved to the cutoff when they fall before it (the
  invoice was still open then: a date in the past cannot be right), as the model's own dates are.

It prints the mean absolute error in days of each, overall and per customer, and the share of invoices
predicted within ±3 and ±7 days.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c REDIS_URL=redis://127.0.0.1:6379/7 \\
      .venv/bin/python bench/forecast_backtest.py
"""

from __future__ import annotations

import datetime
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from statistics import mean

from _setup import setup_bench_db

FROM_DAYS = int(os.environ.get("BACKTEST_FROM", "240"))
TO_DAYS = int(os.environ.get("BACKTEST_TO", "60"))
HORIZON = int(os.environ.get("BACKTEST_HORIZON", "90"))
STEP = 14


@dataclass
class Case:
    customer: str
    actual: datetime.date
    model: datetime.date
    due_date: datetime.date
    average: datetime.date


def load_demo() -> float:
    from django.core.management import call_command

    from billing.models import Invoice

    started = time.perf_counter()
    if not Invoice.objects.filter(status="paid").exists():
        call_command("load_demo", password="bench-demo", verbosity=0)
    return time.perf_counter() - started


def cases_at(cutoff: datetime.date, settled: dict[int, datetime.date], names: dict[int, str]) -> list[Case]:
    from insight.selectors.predictions import open_invoices, payment_habits

    habits = payment_habits(cutoff)
    found = []
    for item in open_invoices(cutoff):
        actual = settled.get(item.invoice_id)
        if actual is None or not cutoff < actual <= cutoff + datetime.timedelta(days=HORIZON):
            continue
        average = habits.customer_average(item.customer_id)
        by_average = item.due_date + datetime.timedelta(days=round(average or 0))
        found.append(Case(names[item.customer_id], actual, habits.predict(item).predicted_date,
                          max(item.due_date, cutoff), max(by_average, cutoff)))
    return found


def main() -> None:
    setup_bench_db("o2c_bench_backtest")
    from django.utils import timezone
    from rich.console import Console
    from rich.table import Table

    from billing.models import Invoice
    from orders.models import Customer

    console = Console(width=120)
    seconds = load_demo()
    console.print(f"demo loaded in {seconds:.1f} s")
    settled = dict(Invoice.objects.filter(status="paid", settled_on__isnull=False).values_list("pk", "settled_on"))
    names = dict(Customer.objects.values_list("pk", "legal_name"))
    today = timezone.localdate()
    cutoffs = [today - datetime.timedelta(days=d) for d in range(FROM_DAYS, TO_DAYS - 1, -STEP)]
    started = time.perf_counter()
    cases = [case for cutoff in cutoffs for case in cases_at(cutoff, settled, names)]
    elapsed = time.perf_counter() - started
    if not cases:
        console.print("[red]no invoice was open at a cutoff and settled after it: is the demo history loaded?")
        raise SystemExit(1)

    def errors(cases: list[Case], attr: str) -> list[int]:
        return [abs((getattr(c, attr) - c.actual).days) for c in cases]

    table = Table(title=f"Pay-date backtest: {len(cases)} predictions at {len(cutoffs)} cutoffs "
                        f"({cutoffs[0]} … {cutoffs[-1]}, every {STEP} days, horizon {HORIZON} days)")
    for column in ("customer", "n", "MAE model", "MAE due date", "MAE customer average"):
        table.add_column(column, justify="left" if column == "customer" else "right")
    by_customer: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_customer[case.customer].append(case)
    for name, group in sorted(by_customer.items()):
        table.add_row(name[:40], str(len(group)), *(f"{mean(errors(group, a)):.1f}" for a in
                                                    ("model", "due_date", "average")))
    table.add_row("[bold]all", f"[bold]{len(cases)}", *(f"[bold]{mean(errors(cases, a)):.2f}" for a in
                                                        ("model", "due_date", "average")))
    console.print(table)
    for attr, label in (("model", "model"), ("due_date", "due date"), ("average", "customer average")):
        e = errors(cases, attr)
        console.print(f"{label:>17}: MAE {mean(e):6.2f} days · within ±3 days {sum(x <= 3 for x in e) / len(e):6.1%}"
                      f" · within ±7 days {sum(x <= 7 for x in e) / len(e):6.1%}")
    console.print(f"fitting and predicting at {len(cutoffs)} cutoffs took {elapsed:.2f} s")


if __name__ == "__main__":
    main()
