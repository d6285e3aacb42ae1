"""The aging, ledger and KPIs, reminders, disputes and the invoice actions (see the package's docstring)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from billing.models import Invoice
from o2c.api.base import O2CGenericViewSet, O2CReadOnlyViewSet, ServiceWriteMixin, validated
from orders.api.views import READ, WRITE, errors
from orders.models import Customer

from ...models import Dispute, Reminder, ReminderLog
from ...selectors.aging import aging_invoices, aging_report
from ...selectors.dunning import reminder_list, reminder_preview
from ...selectors.kpis import dso_trend, receivables_kpis
from ...selectors.ledger import customer_credit, customer_ledger
from ...services import disputes, dunning, payments
from ..serializers import collections as s

REPORTS = ["billing.view_invoice", "receivables.view_payment"]  # aging and KPIs: who reads invoices and payments
DRILL_DOWN_LIMIT = 1000


# --- aging, ledger, KPIs --------------------------------------------------------------------------


AGING_RESPONSE = PolymorphicProxySerializer(
    component_name="AgingOrDrillDown", serializers=[s.AgingSerializer, s.AgingInvoicesSerializer],
    resource_type_field_name=None, many=False)


@extend_schema_view(list=extend_schema(
    parameters=[s.AgingQuerySerializer], responses={200: AGING_RESPONSE, **errors(400, 403)},
    description="The AR aging as of a day (`aging_report`): per customer and currency, and the company's totals "
                "per currency, in buckets of days past due (current, 1–30, 31–60, 61–90, 90+). With "
                f"`invoices=true` the drill-down instead (`aging_invoices`): the open invoices behind it, of one "
                f"`bucket` if given, the most overdue first (at most {DRILL_DOWN_LIMIT}). A past `as_of` is rebuilt "
                "from the documents' dates."))
class AgingViewSet(O2CGenericViewSet):
    queryset = Invoice.objects.none()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"list": REPORTS}

    def list(self, request: Request) -> Response:
        query = validated(s.AgingQuerySerializer, request.query_params.dict())
        as_of = query.get("as_of") or timezone.localdate()
        if query["invoices"]:
            items = aging_invoices(as_of, bucket=query.get("bucket"), customer_id=query.get("customer"),
                                   limit=DRILL_DOWN_LIMIT)
            return Response(s.AgingInvoicesSerializer({"as_of": as_of, "bucket": query.get("bucket"),
                                                       "invoices": items}).data)
        return Response(s.AgingSerializer(aging_report(as_of, customer_id=query.get("customer"))).data)


@extend_schema_view(list=extend_schema(
    parameters=[s.KpisQuerySerializer], responses={200: s.KpisSerializer, **errors(400, 403)},
    description="The receivables KPIs as of a day in one currency (`receivables_kpis`): open and overdue AR, "
                "DSO (sales method, 90 days), overdue %, CEI (30 days), average days to pay and late, unapplied "
                "credit, open disputes; and the DSO at each of the last `months` month ends (`dso_trend`)."))
class KpisViewSet(O2CGenericViewSet):
    queryset = Invoice.objects.none()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"list": REPORTS}

    def list(self, request: Request) -> Response:
        query = validated(s.KpisQuerySerializer, request.query_params.dict())
        as_of = query.get("as_of") or timezone.localdate()
        currency = query["currency"].upper() if query.get("currency") else None
        kpis = receivables_kpis(as_of, currency=currency)
        trend = dso_trend(as_of, months=query["months"], currency=kpis.currency)
        return Response(s.KpisSerializer({**vars(kpis), "dso_trend": trend}).data)


class ReceivablesCustomerViewSet(O2CGenericViewSet):
    """A customer's account as receivables sees it (`/receivables/customers/{id}/…`)."""

    queryset = Customer.objects.all()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"ledger": ["orders.view_customer", *REPORTS]}

    @extend_schema(parameters=[s.LedgerQuerySerializer], responses={200: s.LedgerSerializer, **errors(400, 403, 404)},
                   description="The customer's ledger (`customer_ledger`): invoices, credit notes, payments, "
                               "discounts, write-offs and refunds by day, with the running balance (what it owes "
                               "less its credit); from `since` after a balance brought forward, up to `until`. "
                               "With its open balance and its unapplied credit.")
    @action(detail=True, methods=["get"])
    def ledger(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        query = validated(s.LedgerQuerySerializer, request.query_params.dict())
        entries = customer_ledger(customer, since=query.get("since"), until=query.get("until"))
        return Response(s.LedgerSerializer({
            "customer": customer, "credit": customer_credit(customer), "since": query.get("since"),
            "until": query.get("until"), "entries": entries}).data)


# --- reminders ------------------------------------------------------------------------------------


def _reminder_queryset() -> QuerySet[Reminder]:
    return Reminder.objects.select_related("customer").prefetch_related(
        Prefetch("logs", queryset=ReminderLog.objects.select_related("invoice").order_by("invoice__due_date", "id")))


@extend_schema_view(
    list=extend_schema(parameters=[s.ReminderQuerySerializer],
                       responses={200: s.ReminderListSerializer, **errors(400, 403)},
                       description="Reminders sent (the history), newest first. Filters: `customer`, `level`, "
                                   "`date` (the run date) or `date_from` / `date_to`."),
    retrieve=extend_schema(responses={200: s.ReminderSerializer, **READ},
                           description="A reminder with the invoices it reminded (amount due, days overdue, "
                                       "interest and compensation of each)."),
)
class ReminderViewSet(O2CReadOnlyViewSet):
    """Reminders (dunning): one e-mail per customer, level, currency and day, listing its invoices."""

    queryset = Reminder.objects.all()
    serializer_class = s.ReminderSerializer
    filter_backends: list = []
    action_permissions = {"preview": ["receivables.view_reminder"], "run": ["receivables.add_reminder"]}

    def get_queryset(self) -> QuerySet[Reminder]:
        return reminder_list() if self.action == "list" else _reminder_queryset()

    def get_serializer_class(self) -> type[Serializer]:
        return s.ReminderListSerializer if self.action == "list" else s.ReminderSerializer

    def list(self, request: Request) -> Response:
        query = validated(s.ReminderQuerySerializer, request.query_params.dict())
        rows = reminder_list(customer_id=query.get("customer"), run_date=query.get("date"))
        if "level" in query:
            rows = rows.filter(level=query["level"])
        if "date_from" in query:
            rows = rows.filter(run_date__gte=query["date_from"])
        if "date_to" in query:
            rows = rows.filter(run_date__lte=query["date_to"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[s.PreviewQuerySerializer], responses={200: s.ReminderPreviewSerializer,
                                                                     **errors(400, 403, 409)},
                   description="What the reminder run of `date` (default tomorrow) would send (`reminder_preview`), "
                               "nothing written: per customer, level and currency, its invoices with interest, "
                               "compensation and the level's fee. No default dunning policy: 409 `no_policy`.")
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def preview(self, request: Request) -> Response:
        query = validated(s.PreviewQuerySerializer, request.query_params.dict())
        day = query.get("date") or timezone.localdate() + datetime.timedelta(days=1)
        planned = reminder_preview(day, customer_id=query.get("customer"))
        return Response(s.ReminderPreviewSerializer({"date": day, "reminders": planned}).data)

    @extend_schema(request=None, responses={200: s.ReminderRunSerializer, **errors(403, 409, 422)},
                   description="Runs today's reminders now (`reminder_run`), as the daily beat task does: each "
                               "customer gets one reminder per level listing its invoices at that level, e-mailed "
                               "with its PDF after commit. A second run the same day sends nothing (`sent` 0).")
    @action(detail=False, methods=["post"])
    def run(self, request: Request) -> Response:
        today = timezone.localdate()
        written = dunning.reminder_run(today=today, actor=request.user)
        fresh = list(reminder_list().filter(pk__in=[r.pk for r in written]))
        return Response(s.ReminderRunSerializer({"date": today, "sent": len(fresh), "reminders": fresh}).data)


# --- disputes -------------------------------------------------------------------------------------


def _dispute_queryset() -> QuerySet[Dispute]:
    return Dispute.objects.select_related("invoice", "customer", "owner", "credit_note", "opened_by", "resolved_by")


@extend_schema_view(
    list=extend_schema(parameters=[s.DisputeQuerySerializer], responses={200: s.DisputeSerializer,
                                                                         **errors(400, 403)},
                       description="Disputes, newest first. Filters: `status`, `reason`, `customer`, `invoice`, "
                                   "`owner`."),
    retrieve=extend_schema(responses={200: s.DisputeSerializer, **READ}),
    create=extend_schema(request=s.DisputeCreateSerializer, responses={201: s.DisputeSerializer,
                                                                       **errors(400, 403, 404, 409, 422)},
                         description="Opens a dispute on an open invoice (`dispute_open`): its reminders pause until "
                                     "it is resolved or rejected. One open dispute per invoice (409 `dispute_open`); "
                                     "a paid or cancelled invoice: 409 `invoice_not_open`."),
    partial_update=extend_schema(request=s.DisputeUpdateSerializer, responses={200: s.DisputeSerializer, **WRITE},
                                 description="Changes an open dispute's `note` or `owner` (`dispute_update`, audited), "
                                             "nothing else; a resolved or rejected one: 409 `dispute_closed`."),
)
class DisputeViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Disputes: open → resolved (by a credit note, through billing) | rejected (reminders resume)."""

    queryset = Dispute.objects.all()
    serializer_class = s.DisputeSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "opened_at", "amount"]
    action_permissions = {"resolve": ["receivables.change_dispute", "billing.add_creditnote"],
                          "reject": ["receivables.change_dispute"]}

    def get_queryset(self) -> QuerySet[Dispute]:
        return _dispute_queryset()

    def list(self, request: Request) -> Response:
        query = validated(s.DisputeQuerySerializer, request.query_params.dict())
        rows = _dispute_queryset()
        for name in ("status", "reason"):
            if name in query:
                rows = rows.filter(**{name: query[name]})
        for name in ("customer", "invoice", "owner"):
            if name in query:
                rows = rows.filter(**{f"{name}_id": query[name]})
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        data = validated(s.DisputeCreateSerializer, request.data)
        dispute = disputes.dispute_open(invoice_id=data["invoice"], reason=data["reason"], amount=data["amount"],
                                        note=data["note"], owner_id=data.get("owner"), actor=request.user)
        return self.respond(dispute, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        dispute = self.get_object()
        data = validated(s.DisputeUpdateSerializer, request.data)
        disputes.dispute_update(dispute_id=dispute.pk, note=data.get("note"), owner_id=data.get("owner", disputes.KEEP),
                                actor=request.user)
        return self.respond(dispute)

    @extend_schema(request=s.DisputeResolveSerializer, responses={200: s.DisputeSerializer, **WRITE},
                   description="Resolves the dispute in the customer's favour (`dispute_resolve`): billing issues a "
                               "credit note for `amount` (default the disputed amount), which lowers the invoice's "
                               "amount due. Needs `billing.add_creditnote` too.")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        data = validated(s.DisputeResolveSerializer, request.data)
        disputes.dispute_resolve(dispute_id=dispute.pk, note=data["note"], amount=data.get("amount"),
                                 actor=request.user)
        return self.respond(dispute)

    @extend_schema(request=s.DisputeRejectSerializer, responses={200: s.DisputeSerializer, **WRITE},
                   description="Rejects the dispute, saying why (`dispute_reject`): the invoice stands and its "
                               "reminders resume.")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        data = validated(s.DisputeRejectSerializer, request.data)
        disputes.dispute_reject(dispute_id=dispute.pk, note=data["note"], actor=request.user)
        return self.respond(dispute)


# --- the receivables actions on an invoice ---------------------------------------------------------


class ReceivablesInvoiceViewSet(O2CGenericViewSet):
    """What receivables does to an invoice (`/receivables/invoices/{id}/…`); the invoice itself is
    `/invoices/{id}/`."""

    queryset = Invoice.objects.all()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"write_off": ["receivables.add_writeoff"], "promise": ["receivables.add_promisetopay"],
                          "remind": ["receivables.add_reminder"]}

    @extend_schema(request=s.WriteOffInputSerializer, responses={201: s.WriteOffSerializer, **WRITE},
                   description="Writes off the invoice's residual balance, with a reason (`invoice_write_off`, "
                               "audited): only up to the dunning policy's limit (409 `over_write_off_limit` — credit "
                               "it instead). The invoice is paid.")
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        data = validated(s.WriteOffInputSerializer, request.data)
        done = payments.invoice_write_off(invoice_id=invoice.pk, reason=data["reason"], note=data["note"],
                                          actor=request.user)
        return Response(s.WriteOffSerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PromiseInputSerializer, responses={201: s.PromiseToPaySerializer, **WRITE},
                   description="Records the customer's promise to pay by a day (`promise_to_pay_record`): no "
                               "reminders for the invoice until then.")
    @action(detail=True, methods=["post"])
    def promise(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        data = validated(s.PromiseInputSerializer, request.data)
        done = payments.promise_to_pay_record(invoice_id=invoice.pk, promised_date=data["promised_date"],
                                              amount=data.get("amount"), note=data["note"], actor=request.user)
        return Response(s.PromiseToPaySerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RemindInputSerializer, responses={201: s.ReminderSerializer, **WRITE},
                   description="Sends a reminder for the overdue invoice by hand (`reminder_send_manual`), at the "
                               "next level not yet sent or at `level`; e-mailed with its PDF after commit. A "
                               "disputed, paid or not yet overdue invoice: 409.")
    @action(detail=True, methods=["post"])
    def remind(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        data = validated(s.RemindInputSerializer, request.data)
        reminder = dunning.reminder_send_manual(invoice_id=invoice.pk, level=data.get("level"), actor=request.user)
        return Response(s.ReminderSerializer(_reminder_queryset().get(pk=reminder.pk)).data,
                        status=status.HTTP_201_CREATED)
