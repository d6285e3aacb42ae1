"""Billing API: invoices (list and filter, read, invoice an order by hand, issue a draft, change a draft's
notes, discard a draft, e-mail, credit, and the PDF / Factur-X / UBL downloads) and credit notes. Thin
views: validate with a serializer, call a service, answer the record as the list and detail read it.

Every write goes through `billing.services`; its domain errors become 4xx bodies of the one error
shape, and a refused write changes nothing (the services are atomic). An issued invoice never changes:
PUT is not allowed, PATCH and DELETE answer 409, corrections are credit notes. Every POST honours
`Idempotency-Key`. Who may do what is the role's model permissions: Finance makes, issues (the custom
`billing.issue_invoice`), sends and credits invoices; roles with `billing.view_*` read them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from fulfillment.api.views import PDFRenderer
from o2c.api.base import O2CReadOnlyViewSet, ServiceWriteMixin, validated
from o2c.errors import PermissionDenied
from o2c.views import pdf_response
from orders.api.views import READ, WRITE, errors

from .. import selectors, services
from ..models import BillingDocument, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ..services.documents import Kind, document_pdf, document_send, document_xml
from ..services.invoices import conflict_nothing_to_invoice
from . import serializers as s

ISSUE_PERMISSION = "billing.issue_invoice"


class XMLRenderer(PDFRenderer):
    """application/xml for the e-invoice downloads; an error answered there is still the JSON error shape."""

    media_type = "application/xml"
    format = "xml"


PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (Factur-X PDF/A-3)."),
    **{(code, "application/json"): answer for code, answer in errors(403, 404, 409).items()},
}


def xml_responses(what: str) -> dict[Any, OpenApiResponse]:
    return {
        (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description=what),
        **{(code, "application/json"): answer for code, answer in errors(403, 404, 409).items()},
    }


DOWNLOAD: dict[str, Any] = {"filter_backends": []}


def xml_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _send(kind: Kind, document: BillingDocument, request: Request) -> None:
    """E-mail an issued document (billing.services.document_send); say why when nothing was sent."""
    resend = validated(s.SendInputSerializer, request.data)["resend"]
    document_send(kind=kind, document_id=document.pk, actor=request.user, resend=resend, refuse=True)


# --- invoices -------------------------------------------------------------------------------------


def _invoice_queryset() -> QuerySet[Invoice]:
    """One invoice as the detail shows it: a fixed number of queries whatever its line count."""
    return Invoice.objects.select_related("customer", "order", "shipment", "issued_by").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("product", "order_line__order")
                 .order_by("position")),
        Prefetch("credit_notes", queryset=CreditNote.objects.order_by("id")),
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[s.InvoiceQuerySerializer], responses={200: s.InvoiceListSerializer, **errors(400, 403)},
        description="Invoices without their lines, newest issue day first (drafts first). Filters: `status`, "
                    "`overdue` (true/false), `customer`, `order` (ids), `issued_from` / `issued_to` (days), "
                    "`amount_min` / `amount_max` (gross total), `search`. A fixed number of queries per page."),
    retrieve=extend_schema(responses={200: s.InvoiceSerializer, **READ},
                           description="An invoice with its lines, tax summary, totals, amount due, credited and "
                                       "paid amounts, due date and discount terms, payment reference, its order, "
                                       "shipment and credit notes, and the download links."),
    create=extend_schema(
        request=s.InvoiceCreateSerializer, responses={201: s.InvoiceSerializer, **errors(400, 403, 404, 409, 422)},
        description="Invoices an order by hand (`invoice_create_for_order`): everything of it shipped and not yet "
                    "invoiced, as a draft, or issued at once with `issue: true` (needs `billing.issue_invoice`). "
                    "409 `nothing_to_invoice` when nothing is left; 409 `order_not_confirmed` for a draft or "
                    "cancelled order."),
    partial_update=extend_schema(
        request=s.InvoiceNotesSerializer, responses={200: s.InvoiceSerializer, **WRITE},
        description="Changes a draft's `notes` (`invoice_update_notes`), nothing else; an issued invoice "
                    "answers 409 `invoice_issued` (correct it with a credit note)."),
    destroy=extend_schema(
        responses={204: None, **errors(403, 404, 409)},
        description="Discards a draft (`invoice_discard`): its goods become invoiceable again. An issued invoice "
                    "is never deleted (409 `invoice_issued`)."),
)
class InvoiceViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Invoices: draft → issued (gap-free number, PDF, e-mail) → partially paid | paid, or cancelled by a
    credit note for all of it. Issued invoices never change (no PUT; PATCH and DELETE only for drafts)."""

    queryset = Invoice.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.InvoiceSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [OrderingFilter]  # the filters are the selector's (InvoiceQuerySerializer)
    ordering_fields = ["id", "number", "issue_date", "due_date", "gross_total", "amount_due", "created_at"]
    action_permissions = {
        "issue": [ISSUE_PERMISSION],
        "discard": ["billing.delete_invoice"],
        "send": [ISSUE_PERMISSION],
        "credit": ["billing.add_creditnote"],
    }

    def get_queryset(self) -> QuerySet[Invoice]:
        if self.action == "list":
            return selectors.invoice_list()
        if self.action in ("pdf", "facturx", "ubl"):
            return Invoice.objects.select_related("customer", "order", "shipment")
        return _invoice_queryset()

    def get_serializer_class(self) -> type[Serializer]:
        return s.InvoiceListSerializer if self.action == "list" else s.InvoiceSerializer

    def list(self, request: Request) -> Response:
        query = validated(s.InvoiceQuerySerializer, request.query_params.dict())
        invoices = self.filter_queryset(selectors.invoice_list(**query))
        page = self.paginate_queryset(invoices)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        data = validated(s.InvoiceCreateSerializer, request.data)
        if data["issue"] and not request.user.has_perm(ISSUE_PERMISSION):
            raise PermissionDenied("Issuing an invoice needs the permission to issue invoices.")
        order = data["order"]
        invoice = services.invoice_create_for_order(order_id=order.pk, actor=request.user, issue=data["issue"])
        if invoice is None:
            raise conflict_nothing_to_invoice(f"order {order.number}")
        return self.respond(invoice, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.get_object()
        data = validated(s.InvoiceNotesSerializer, request.data)
        return self.respond(services.invoice_update_notes(invoice_id=invoice.pk, actor=request.user, **data))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.invoice_discard(invoice_id=self.get_object().pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.InvoiceSerializer, **WRITE},
                   description="Issues a draft (`invoice_issue`): the tax point is today, the gap-free number is "
                               "drawn, due date and discount terms are fixed, the customer owes it; the PDF is "
                               "rendered and e-mailed after commit. An issued invoice answers 409 `invoice_issued`.")
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str) -> Response:
        return self.respond(services.invoice_issue(invoice_id=self.get_object().pk, actor=request.user))

    @extend_schema(request=None, responses={204: None, **errors(403, 404, 409, 422)},
                   description="Discards a draft, like DELETE (`invoice_discard`); an issued invoice answers 409.")
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str) -> Response:
        return self.destroy(request, pk=pk)

    @extend_schema(request=s.SendInputSerializer, responses={200: s.InvoiceSerializer, **WRITE},
                   description="E-mails the issued invoice (PDF and UBL XML) to the customer's billing contacts "
                               "(`document_send`), rendering its PDF first if needed. Sent already: 409 "
                               "`already_sent` unless `resend: true`; a draft: 409 `invoice_not_issued`; no "
                               "contact with an address: 409 `no_recipients`.")
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        _send("invoice", invoice, request)
        return self.respond(invoice)

    @extend_schema(request=s.CreditInputSerializer, responses={201: s.CreditNoteSerializer, **WRITE},
                   description="Credits the issued invoice (`credit_note_create`): chosen `lines` and quantities at "
                               "the invoice's prices, or a gross `amount` (at the invoice's main rate or "
                               "`tax_rate`) — one of the two. The credit note is issued at once and lowers the "
                               "amount due; crediting all of it cancels the invoice. More than is left to credit: "
                               "400 (`over_credit`, or per line under `details.lines`); a draft: 409.")
    @action(detail=True, methods=["post"])
    def credit(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        data = validated(s.CreditInputSerializer, request.data)
        note = services.credit_note_create(
            invoice_id=invoice.pk, actor=request.user, reason=data["reason"], lines=data.get("lines"),
            amount=data.get("amount"), tax_rate=data.get("tax_rate"), note=data["note"],
        )
        fresh = _credit_note_queryset().get(pk=note.pk)
        return Response(s.CreditNoteSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=PDF_RESPONSES,
                   description="The issued invoice's PDF as rendered once after issue (Factur-X PDF/A-3, the CII "
                               "XML inside). 409 `pdf_pending` until it is rendered.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer], **DOWNLOAD)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        invoice = self.get_object()
        return pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")

    @extend_schema(responses=xml_responses("The Factur-X / ZUGFeRD (EN 16931) CII XML."),
                   description="The issued invoice as UN/CEFACT CII XML (Factur-X EN 16931); 409 for a draft.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLRenderer], **DOWNLOAD)
    def facturx(self, request: Request, pk: str) -> HttpResponse:
        invoice = self.get_object()
        return xml_response(document_xml(invoice, "facturx"), f"{invoice.number}-factur-x.xml")

    @extend_schema(responses=xml_responses("The UBL 2.1 Invoice (Peppol BIS Billing 3.0)."),
                   description="The issued invoice as UBL 2.1 (Peppol BIS Billing 3.0); 409 for a draft.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLRenderer], **DOWNLOAD)
    def ubl(self, request: Request, pk: str) -> HttpResponse:
        invoice = self.get_object()
        return xml_response(document_xml(invoice, "ubl"), f"{invoice.number}-ubl.xml")


# --- credit notes ---------------------------------------------------------------------------------


def _credit_note_queryset() -> QuerySet[CreditNote]:
    return CreditNote.objects.select_related("customer", "invoice", "issued_by").prefetch_related(
        Prefetch("lines", queryset=CreditNoteLine.objects.select_related("product").order_by("position")))


@extend_schema_view(
    list=extend_schema(
        parameters=[s.CreditNoteQuerySerializer], responses={200: s.CreditNoteListSerializer, **errors(400, 403)},
        description="Credit notes without their lines, newest first. Filters: `customer`, `invoice` (ids), "
                    "`reason`, `search`. Credit notes are made with `POST /invoices/{id}/credit/`."),
    retrieve=extend_schema(responses={200: s.CreditNoteSerializer, **READ},
                           description="A credit note with its lines and tax summary."),
)
class CreditNoteViewSet(O2CReadOnlyViewSet):
    """Credit notes: issued when made (their own gap-free series), never changed."""

    queryset = CreditNote.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.CreditNoteSerializer
    filter_backends = [OrderingFilter]  # the filters are the selector's (CreditNoteQuerySerializer)
    ordering_fields = ["id", "number", "issue_date", "gross_total"]
    action_permissions = {"send": [ISSUE_PERMISSION]}

    def get_queryset(self) -> QuerySet[CreditNote]:
        if self.action == "list":
            return selectors.credit_note_list()
        if self.action in ("pdf", "facturx", "ubl"):
            return CreditNote.objects.select_related("customer", "invoice")
        return _credit_note_queryset()

    def get_serializer_class(self) -> type[Serializer]:
        return s.CreditNoteListSerializer if self.action == "list" else s.CreditNoteSerializer

    def list(self, request: Request) -> Response:
        query = validated(s.CreditNoteQuerySerializer, request.query_params.dict())
        notes = self.filter_queryset(selectors.credit_note_list(**query))
        page = self.paginate_queryset(notes)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=s.SendInputSerializer, responses={200: s.CreditNoteSerializer, **WRITE},
                   description="E-mails the credit note (PDF) to the customer's billing contacts "
                               "(`document_send`). Sent already: 409 `already_sent` unless `resend: true`.")
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str) -> Response:
        note = self.get_object()
        _send("credit_note", note, request)
        fresh = self.get_queryset().get(pk=note.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(responses=PDF_RESPONSES,
                   description="The credit note's PDF as rendered once (Factur-X PDF/A-3). 409 `pdf_pending` until "
                               "it is rendered.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer], **DOWNLOAD)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        note = self.get_object()
        return pdf_response(document_pdf(note), f"{note.number}.pdf")

    @extend_schema(responses=xml_responses("The Factur-X (EN 16931) CII XML, type 381."),
                   description="The credit note as UN/CEFACT CII XML (Factur-X EN 16931).")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLRenderer], **DOWNLOAD)
    def facturx(self, request: Request, pk: str) -> HttpResponse:
        note = self.get_object()
        return xml_response(document_xml(note, "facturx"), f"{note.number}-factur-x.xml")

    @extend_schema(responses=xml_responses("The UBL 2.1 CreditNote (Peppol BIS Billing 3.0)."),
                   description="The credit note as UBL 2.1 CreditNote (Peppol BIS Billing 3.0).")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLRenderer], **DOWNLOAD)
    def ubl(self, request: Request, pk: str) -> HttpResponse:
        note = self.get_object()
        return xml_response(document_xml(note, "ubl"), f"{note.number}-ubl.xml")
