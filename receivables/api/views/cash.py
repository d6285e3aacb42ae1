"""Payments and bank statements, with the reconciliation queue (see the package's docstring)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from o2c.api.base import O2CReadOnlyViewSet, ServiceWriteMixin, validated
from o2c.errors import Conflict
from orders.api.views import READ, WRITE, errors

from ...bankfiles import max_statement_bytes
from ...bankfiles.base import refuse
from ...enums import LineStatus
from ...models import APPLY_CASH, Allocation, BankStatement, BankStatementLine, Payment, Refund
from ...selectors.payments import payment_list
from ...selectors.statements import match_suggestions
from ...services import payments, statements
from ..serializers import cash as s

# --- payments -------------------------------------------------------------------------------------


def _payment_queryset() -> QuerySet[Payment]:
    """One payment as the detail shows it: a fixed number of queries whatever its allocations."""
    return Payment.objects.select_related("customer", "created_by", "statement_line").prefetch_related(
        Prefetch("allocations", queryset=Allocation.objects.select_related("invoice").order_by("id")),
        Prefetch("refunds", queryset=Refund.objects.order_by("id")),
    )




@extend_schema_view(
    list=extend_schema(
        parameters=[s.PaymentQuerySerializer], responses={200: s.PaymentListSerializer, **errors(400, 403)},
        description="Payments without their allocations, newest received first. Filters: `customer` (id), "
                    "`method`, `received_from` / `received_to` (days), `unapplied` (true: with credit left), "
                    "`search`. A fixed number of queries per page."),
    retrieve=extend_schema(responses={200: s.PaymentSerializer, **READ},
                           description="A payment with its allocations (invoice, amount, discount), refunds and the "
                                       "bank statement line it came from."),
    create=extend_schema(
        request=s.PaymentCreateSerializer, responses={201: s.PaymentSerializer, **errors(400, 403, 409, 422)},
        description="Records money received from a customer (`payment_record`) and applies it to the "
                    "`allocations` given; the rest waits unapplied as the customer's credit. A bank transaction "
                    "id already recorded: 409 `duplicate_transaction`; an invoice paid or cancelled meanwhile: "
                    "409 `invoice_not_open`; more than the payment or the invoice: 400 under "
                    "`details.allocations`. Needs `receivables.apply_cash`."),
)
class PaymentViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Payments: recorded, allocated to invoices (their amount due and the customer's balance drop in the
    same transaction), refunded. Never changed or deleted."""

    queryset = Payment.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.PaymentSerializer
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [OrderingFilter]  # the filters are PaymentQuerySerializer's
    ordering_fields = ["id", "number", "received_date", "amount", "unapplied_amount"]
    action_permissions = {"create": [APPLY_CASH], "allocate": [APPLY_CASH], "allocate_oldest": [APPLY_CASH],
                          "refund": [APPLY_CASH]}

    def get_queryset(self) -> QuerySet[Payment]:
        return payment_list() if self.action == "list" else _payment_queryset()

    def get_serializer_class(self) -> type[Serializer]:
        return s.PaymentListSerializer if self.action == "list" else s.PaymentSerializer

    def list(self, request: Request) -> Response:
        query = validated(s.PaymentQuerySerializer, request.query_params.dict())
        rows = self.filter_queryset(payment_list(**query))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        data = validated(s.PaymentCreateSerializer, request.data)
        payment = payments.payment_record(
            customer_id=data["customer"], amount=data["amount"], method=data["method"],
            received_date=data["received_date"], currency=data.get("currency"), reference=data["reference"],
            bank_transaction_id=data["bank_transaction_id"], note=data["note"],
            allocations=data.get("allocations") or None, actor=request.user)
        return self.respond(payment, status.HTTP_201_CREATED)

    @extend_schema(request=s.AllocateInputSerializer, responses={200: s.PaymentSerializer, **WRITE},
                   description="Applies what is left of the payment to invoices of its customer "
                               "(`payment_allocate`): each invoice's amount due and the customer's open balance "
                               "drop at once; an early-payment discount earned by the received day is granted. "
                               "More than is left or than an invoice owes: 400 under `details.allocations`.")
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        data = validated(s.AllocateInputSerializer, request.data)
        payments.payment_allocate(payment_id=payment.pk, allocations=data["allocations"], actor=request.user)
        return self.respond(payment)

    @extend_schema(request=s.AllocateOldestInputSerializer, responses={200: s.PaymentSerializer, **WRITE},
                   description="Applies what is left of the payment to its customer's open invoices (or the "
                               "`invoices` given), oldest due first, until it is used (`payment_allocate_oldest`). "
                               "Nothing left to apply or nothing open: 409 `nothing_to_allocate`.")
    @action(detail=True, methods=["post"], url_path="allocate-oldest")
    def allocate_oldest(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        data = validated(s.AllocateOldestInputSerializer, request.data)
        done = payments.payment_allocate_oldest(payment_id=payment.pk, invoice_ids=data.get("invoices"),
                                                actor=request.user)
        if not done:
            raise Conflict(f"Nothing to allocate: {payment} has {payment.unapplied_amount} {payment.currency} left "
                           "and its customer no open invoice to apply it to.", code="nothing_to_allocate")
        return self.respond(payment)

    @extend_schema(request=s.RefundInputSerializer, responses={200: s.PaymentSerializer, **WRITE},
                   description="Records that (part of) the payment's unapplied credit was paid back to the customer "
                               "(`payment_refund`; the transfer itself is made in the bank). More than is "
                               "unapplied: 409 `over_refund`.")
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        data = validated(s.RefundInputSerializer, request.data)
        payments.payment_refund(payment_id=payment.pk, amount=data["amount"], date=data.get("date"),
                                reference=data["reference"], actor=request.user)
        return self.respond(payment)


# --- bank statements ------------------------------------------------------------------------------


def _statement_queryset() -> QuerySet[BankStatement]:
    return BankStatement.objects.select_related("imported_by").prefetch_related(
        Prefetch("lines", queryset=BankStatementLine.objects.select_related("payment").order_by("position")))


UPLOAD_RESPONSES = {
    201: OpenApiResponse(s.StatementImportSerializer, description="Imported: the statement and the counts."),
    200: OpenApiResponse(s.StatementImportSerializer, description="This file (or this statement) was imported "
                                                                  "before: `created` is false, nothing written."),
    **errors(400, 403, 409, 422),
}


@extend_schema_view(
    list=extend_schema(responses={200: s.BankStatementListSerializer, **errors(400, 403)},
                       description="Imported bank statements, newest first, with their counts."),
    retrieve=extend_schema(responses={200: s.BankStatementSerializer, **READ},
                           description="A statement with its lines and what became of each."),
)
class BankStatementViewSet(O2CReadOnlyViewSet):
    """Bank statements: uploaded (CAMT.053, MT940 or CSV), imported once, each credit matched or queued."""

    queryset = BankStatement.objects.all()
    serializer_class = s.BankStatementSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "imported_at", "to_date"]
    action_permissions = {"upload": [APPLY_CASH]}

    def get_queryset(self) -> QuerySet[BankStatement]:
        return BankStatement.objects.all() if self.action == "list" else _statement_queryset()

    def get_serializer_class(self) -> type[Serializer]:
        return s.BankStatementListSerializer if self.action == "list" else s.BankStatementSerializer

    @extend_schema(request={"multipart/form-data": s.StatementUploadSerializer}, responses=UPLOAD_RESPONSES,
                   description="Imports a statement file (`bank_statement_import`): CAMT.053 (ISO 20022, .001.02 "
                               "and later), MT940 or the statement CSV layout. Every incoming credit is matched "
                               "(invoice number or RF reference in the remittance, else the customer by IBAN or "
                               "name with one open invoice of the amount) and becomes an allocated payment; the "
                               "rest waits in the reconciliation queue; debits and reversals are shown, never "
                               "applied. The same file or statement twice imports nothing twice (200, `created` "
                               "false). A file that is not a statement: 400 `invalid_statement` with the reason, "
                               "nothing imported. Needs `receivables.apply_cash`.")
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        upload = validated(s.StatementUploadSerializer, request.data)["file"]
        limit = max_statement_bytes()
        if upload.size > limit:  # refused before a byte of it is read
            raise refuse(f"The file is {upload.size / 1_048_576:.1f} MB: statements up to "
                         f"{limit / 1_048_576:.0f} MB are accepted.")
        result = statements.bank_statement_import(content=upload.read(), filename=upload.name or "",
                                                  actor=request.user)
        statement = _statement_queryset().get(pk=result.statement.pk)
        lines = list(statement.lines.all())
        body = s.StatementImportSerializer({
            "created": result.created, "lines": len(lines), "auto_matched": result.auto_matched,
            "unmatched": sum(1 for line in lines if line.status == LineStatus.UNMATCHED),
            "duplicates": result.duplicates, "statement": statement,
        }, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(parameters=[s.StatementLineQuerySerializer],
                       responses={200: s.BankStatementLineSerializer, **errors(400, 403)},
                       description="Statement lines, by statement and position. `status=unmatched` is the "
                                   "reconciliation queue."),
    retrieve=extend_schema(responses={200: s.BankStatementLineSerializer, **READ}),
)
class BankStatementLineViewSet(O2CReadOnlyViewSet):
    """The lines of the statements; those `unmatched` wait for Finance to match them by hand."""

    queryset = BankStatementLine.objects.all()
    serializer_class = s.BankStatementLineSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "booking_date", "amount"]
    action_permissions = {"match": [APPLY_CASH], "ignore": [APPLY_CASH], "unignore": [APPLY_CASH]}

    def get_queryset(self) -> QuerySet[BankStatementLine]:
        return BankStatementLine.objects.select_related("statement", "payment").order_by("statement_id", "position")

    def list(self, request: Request) -> Response:
        query = validated(s.StatementLineQuerySerializer, request.query_params.dict())
        rows = self.get_queryset()
        if "status" in query:
            rows = rows.filter(status=query["status"])
        if "statement" in query:
            rows = rows.filter(statement_id=query["statement"])
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _answer(self, line_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=line_id)).data)

    @extend_schema(responses={200: s.SuggestionSerializer(many=True), **READ},
                   description="Open invoices the line may pay, best first, each with its score and reasons "
                               "(`match_suggestions`): the invoice number or RF reference in the remittance, the "
                               "payer's IBAN known for the customer, a similar name, the amount owed.")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def suggestions(self, request: Request, pk: str) -> Response:
        return Response(s.SuggestionSerializer(match_suggestions(self.get_object()), many=True).data)

    @extend_schema(request=s.LineMatchInputSerializer, responses={200: s.BankStatementLineSerializer, **WRITE},
                   description="Matches a queued line by hand (`statement_line_match`): a payment of the line's "
                               "amount for the `customer`, applied to the `allocations` given (left out: the "
                               "customer's credit); the payer's IBAN is remembered for the customer. A line not in "
                               "the queue: 409 `line_not_unmatched`.")
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        data = validated(s.LineMatchInputSerializer, request.data)
        statements.statement_line_match(line_id=line.pk, customer_id=data["customer"],
                                        allocations=data.get("allocations") or None, actor=request.user)
        return self._answer(line.pk)

    @extend_schema(request=s.LineIgnoreInputSerializer, responses={200: s.BankStatementLineSerializer, **WRITE},
                   description="Takes a queued line out of the queue, saying why (`statement_line_ignore`).")
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        data = validated(s.LineIgnoreInputSerializer, request.data)
        statements.statement_line_ignore(line_id=line.pk, note=data["note"], actor=request.user)
        return self._answer(line.pk)

    @extend_schema(request=None, responses={200: s.BankStatementLineSerializer, **WRITE},
                   description="Puts an ignored line back in the queue (`statement_line_unignore`).")
    @action(detail=True, methods=["post"])
    def unignore(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        statements.statement_line_unignore(line_id=line.pk, actor=request.user)
        return self._answer(line.pk)


