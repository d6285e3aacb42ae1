"""Finance's overview of receivables: the home page (KPIs, the aging chart and the DSO trend), the aging
report as of any day with its drill-down and exports, and the collector worklist."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from o2c.money import default_currency, quantize_money
from o2c.roles import FINANCE
from o2c.views import RoleWorkspaceView, paginate, query_without_page

from ...enums import AgingBucket
from ...forms import AgingForm, WorklistForm
from ...selectors.aging import AgingItem, AgingReport, AgingRow, aging_invoices, aging_report
from ...selectors.kpis import DSO_DAYS, collector_worklist, dso_trend, receivables_kpis
from ...selectors.statements import reconciliation_queue
from .common import (
    AGING_ROWS_PER_PAGE,
    COLLECT,
    DRILL_DOWN_LIMIT,
    DRILL_DOWN_PER_PAGE,
    VIEW_ACCOUNT,
    WORKLIST_LIMIT,
    WORKLIST_PER_PAGE,
)

BUCKETS = [(bucket.value, bucket.label) for bucket in AgingBucket]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def in_cents(rows: Iterable[AgingRow]) -> None:
    """Show every bucket with its cents (an empty bucket sums to a bare 0)."""
    for row in rows:
        row.buckets = {bucket: quantize_money(amount) for bucket, amount in row.buckets.items()}


# --- home -----------------------------------------------------------------------------------------


def chart_data(report: AgingReport, trend: Sequence[Any], currency: str) -> dict[str, Any]:
    """What the two charts draw, as strings (amounts stay exact; the chart turns them into numbers)."""
    total = report.totals.get(currency)
    in_cents([total] if total else [])
    return {
        "currency": currency,
        "aging": {"labels": [label for _, label in BUCKETS],
                  "buckets": [value for value, _ in BUCKETS],
                  "values": [str(amount) for amount in total.cells()] if total else ["0"] * len(BUCKETS)},
        "dso": {"labels": [f"{point.date:%Y-%m}" for point in trend],
                "values": [None if point.dso is None else str(point.dso) for point in trend]},
    }


class HomeView(RoleWorkspaceView):
    """Receivables at a glance for Finance: KPIs in the company currency, the aging by bucket, the DSO of
    the last 12 months, what waits (bank lines to match, disputes), and the team's recent activity."""

    title = "Receivables"
    role = FINANCE
    app_labels = ["receivables"]
    intro = "Payments and allocation, bank statements, aging, reminders, disputes and credit holds."
    template_name = "receivables/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today, currency = timezone.localdate(), default_currency()
        report = aging_report(today)
        trend = dso_trend(today, currency=currency)
        return {
            **super().get_context_data(**kwargs), "today": today, "currency": currency,
            "kpis": receivables_kpis(today, currency=currency), "dso_days": DSO_DAYS,
            "unmatched_lines": reconciliation_queue().count(),
            "aging_total": report.totals.get(currency), "other_currencies": [
                report.totals[c] for c in report.currencies if c != currency],
            "charts": chart_data(report, trend, currency), "buckets": BUCKETS,
        }


# --- aging ----------------------------------------------------------------------------------------


def _report_rows(report: AgingReport) -> Iterable[list[Any]]:
    in_cents([*report.rows, *report.totals.values()])
    yield ["Customer number", "Customer", "Currency", "Invoices", *[label for _, label in BUCKETS], "Total"]
    for row in report.rows:
        yield [row.customer_number, row.customer_name, row.currency, row.invoices, *row.cells(), row.total]
    for currency in report.currencies:
        total = report.totals[currency]
        yield ["", "Company total", currency, total.invoices, *total.cells(), total.total]


def _item_rows(items: Iterable[AgingItem]) -> Iterable[list[Any]]:
    labels = dict(BUCKETS)
    yield ["Invoice", "Customer number", "Customer", "Currency", "Issued", "Due", "Days overdue", "Bucket",
           "Gross", "Outstanding"]
    for item in items:
        yield [item.number, item.customer_number, item.customer_name, item.currency, item.issue_date,
               item.due_date, max(item.days_overdue, 0), labels[item.bucket], item.gross_total, item.outstanding]


def _csv(rows: Iterable[list[Any]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([f"{value:%Y-%m-%d}" if isinstance(value, datetime.date) else value for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx(rows: Iterable[list[Any]], filename: str, title: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for index, row in enumerate(rows):
        sheet.append(row)
        if index == 0:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            elif not isinstance(cell.value, (str, int)) and cell.value is not None:
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _drill_down(as_of: datetime.date, bucket: str, customer_id: int | None) -> list[AgingItem]:
    items = aging_invoices(as_of, bucket=bucket if bucket in AgingBucket.values else None, customer_id=customer_id,
                           limit=DRILL_DOWN_LIMIT)
    if bucket == "overdue":
        items = [item for item in items if item.bucket != AgingBucket.CURRENT]
    return items


def _totals(items: Iterable[AgingItem]) -> list[tuple[str, Decimal, int]]:
    """(currency, outstanding, invoices) of the drill-down, per currency."""
    sums: dict[str, list[Any]] = {}
    for item in items:
        entry = sums.setdefault(item.currency, [Decimal(0), 0])
        entry[0] += item.outstanding
        entry[1] += 1
    return [(currency, total, count) for currency, (total, count) in sorted(sums.items())]


class AgingView(PermissionRequiredMixin, View):
    """The aging as of a day (`?as_of=`, default today): per customer and currency the five buckets and
    the total, the company's totals per currency. Each amount opens the invoices behind it (`?bucket=`
    and/or `?customer=`); `?format=csv` / `xlsx` downloads what the page shows. A bad day is a form error."""

    permission_required = VIEW_ACCOUNT
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        form = AgingForm(request.GET, today=today)
        if not form.is_valid():
            return render(request, "receivables/aging.html", {
                "form": form, "as_of": today, "today": today, "buckets": BUCKETS, "report": None}, status=400)
        data = form.cleaned_data
        as_of, bucket, customer, fmt = data["as_of"], data["bucket"], data["customer"], data["format"]
        name = f"aging-{as_of:%Y-%m-%d}"
        if form.drill_down:
            items = _drill_down(as_of, bucket, customer.pk if customer else None)
            name += "".join(f"-{part}" for part in (customer.number if customer else "", bucket) if part)
            if fmt == "csv":
                return _csv(_item_rows(items), f"{name}-invoices")
            if fmt == "xlsx":
                return _xlsx(_item_rows(items), f"{name}-invoices", "Invoices")
            return render(request, "receivables/aging_invoices.html", {
                "form": form, "as_of": as_of, "today": today, "bucket": bucket, "customer": customer,
                "buckets": BUCKETS,
                "bucket_label": dict(BUCKETS).get(bucket, "Overdue" if bucket == "overdue" else ""),
                "page_obj": paginate(request, items, DRILL_DOWN_PER_PAGE), "limited": len(items) >= DRILL_DOWN_LIMIT,
                "limit": DRILL_DOWN_LIMIT, "page_base": query_without_page(request),
                "totals": _totals(items)})
        report = aging_report(as_of)
        if fmt == "csv":
            return _csv(_report_rows(report), name)
        if fmt == "xlsx":
            return _xlsx(_report_rows(report), name, f"Aging {as_of:%Y-%m-%d}")
        page_obj = paginate(request, report.rows, AGING_ROWS_PER_PAGE)
        totals = [report.totals[c] for c in report.currencies]
        in_cents([*page_obj, *totals])
        for row in [*page_obj, *totals]:
            row.pairs = list(zip(AgingBucket.values, row.cells(), strict=True))  # (bucket, amount) to link
        return render(request, "receivables/aging.html", {
            "form": form, "as_of": as_of, "today": today, "buckets": BUCKETS, "report": report, "totals": totals,
            "page_obj": page_obj, "page_base": query_without_page(request)})


# --- worklist -------------------------------------------------------------------------------------


class WorklistView(PermissionRequiredMixin, View):
    """Customers with overdue invoices, the most urgent first: Σ overdue amount × days overdue."""

    permission_required = COLLECT
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        form = WorklistForm(request.GET)
        as_of = (form.cleaned_data.get("as_of") if form.is_valid() else None) or today
        rows = collector_worklist(as_of, limit=WORKLIST_LIMIT)
        return render(request, "receivables/worklist.html", {
            "form": form, "as_of": as_of, "today": today, "limit": WORKLIST_LIMIT,
            "limited": len(rows) >= WORKLIST_LIMIT, "page_obj": paginate(request, rows, WORKLIST_PER_PAGE),
            "page_base": query_without_page(request)}, status=200 if form.is_valid() else 400)
