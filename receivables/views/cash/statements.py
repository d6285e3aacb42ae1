"""Bank statements: the list with the upload form (CAMT.053, MT940 or the CSV layout), and a statement's page
with its lines — credits matched or waiting in the queue, debits and reversals shown, never applied."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate

from ...bankfiles import max_statement_bytes
from ...cash_forms import StatementUploadForm
from ...enums import LineStatus
from ...models import BankStatement
from ...selectors.statements import statement_summary
from ...services.statements import StatementImport, bank_statement_import
from .common import APPLY_CASH, LINES_PER_PAGE, STATEMENTS_PER_PAGE, VIEW_STATEMENT


def counted(n: int, what: str, plural: str | None = None) -> str:
    return f"{n} {what if n == 1 else (plural or what + 's')}"


def import_message(result: StatementImport) -> str:
    """What an import did, for the person who uploaded the file."""
    statement = result.statement
    if not result.created:
        return (f"{statement.filename} was already imported on {statement.imported_at:%Y-%m-%d} as statement "
                f"{statement.statement_ref}: nothing was imported again.")
    waiting = sum(1 for line in result.lines if line.status == LineStatus.UNMATCHED)
    return (f"{statement.filename} imported: {counted(statement.line_count, 'line')}, "
            f"{counted(statement.credit_count, 'credit')}, {result.auto_matched} auto-matched, "
            f"{counted(result.duplicates, 'duplicate')}; {waiting} wait{'s' if waiting == 1 else ''} in the "
            "reconciliation queue.")


class StatementListView(PermissionRequiredMixin, View):
    """The statements imported, newest first (one query per page), and the upload form."""

    raise_exception = True

    def get_permission_required(self) -> list[str]:
        return [APPLY_CASH if self.request.method == "POST" else VIEW_STATEMENT]

    def _render(self, request: HttpRequest, form: StatementUploadForm | None, status: int = 200) -> HttpResponse:
        statements = (BankStatement.objects.select_related("imported_by")
                      .annotate(waiting=Count("lines", filter=Q(lines__status=LineStatus.UNMATCHED)))
                      .order_by("-imported_at", "-id"))
        return render(request, "receivables/statement_list.html", {
            "page_obj": paginate(request, statements, STATEMENTS_PER_PAGE), "form": form,
            "max_mb": max_statement_bytes() // 1_048_576}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, StatementUploadForm() if request.user.has_perm(APPLY_CASH) else None)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StatementUploadForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            result = call_for_form(form, bank_statement_import, actor=request.user, **form.service_kwargs())
        if result is None:
            return self._render(request, form, status=400)
        if result.created:
            messages.success(request, import_message(result))
        else:
            messages.info(request, import_message(result))
        return redirect("receivables:statement-detail", pk=result.statement.pk)


class StatementDetailView(PermissionRequiredMixin, View):
    """A statement's lines (a fixed number of queries per page) with its counts and history."""

    permission_required = VIEW_STATEMENT
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        statement = get_object_or_404(BankStatement.objects.select_related("imported_by"), pk=pk)
        lines = statement.lines.select_related("payment__customer").order_by("position")
        return render(request, "receivables/statement_detail.html", {
            "statement": statement, "summary": statement_summary(statement),
            "page_obj": paginate(request, lines, LINES_PER_PAGE), "timeline": timeline(statement),
            "can_match": request.user.has_perm(APPLY_CASH)})
