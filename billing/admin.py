"""Admin registrations of billing's models.

Invoices and credit notes are documents written only by the services. An issued one is read-only
here, entirely: no save, no delete (corrections are credit notes, made in the app). A draft invoice's
note may be edited (saved through `invoice_update_notes`, audited) and a draft may be deleted (thrown
away through `invoice_discard`: its goods become invoiceable again). The bulk operations — issue the
drafts, e-mail or re-send the documents, render the PDFs still missing — are admin actions that call
the services one document at a time and report what was refused.
"""

from __future__ import annotations

from typing import Any, Literal

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from o2c.admin import DomainErrorsAsMessages, ReadOnlyAdmin, ReadOnlyInline, run_each, save_through_services
from o2c.errors import DomainError, InvalidTransition
from orders.admin.common import audit_history

from .enums import InvoiceStatus
from .models import BillingDocument, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from .selectors import overdue_q
from .services import document_render_pdf, document_send, invoice_discard, invoice_issue, invoice_update_notes

ISSUE_PERMISSION = "billing.issue_invoice"  # issue invoices and credit notes, and send them


def _app_link(name: str, pk: int, text: str) -> str:
    """A link to the document's page in the app (Finance's pages), if that page exists."""
    try:
        url = reverse(name, args=[pk])
    except NoReverseMatch:
        return "—"
    return format_html('<a href="{}">{}</a>', url, text)


def _taxes(document: BillingDocument) -> str:
    """The stored tax summary, one row per rate."""
    if not document.tax_summary:
        return "—"
    rows = format_html_join("", "<tr><td>{} %</td><td>net {}</td><td>tax {}</td></tr>",
                            ((row["rate"], row["net"], row["tax"]) for row in document.tax_summary))
    return format_html("<table><tbody>{}</tbody></table>", rows)


# ---------------------------------------------------------------------------------------------
# What invoices and credit notes share: the document's file and e-mail, through the services


class DocumentActions(admin.ModelAdmin):
    """E-mail (or re-send) the selected documents and render the PDFs still missing; `kind` names the
    document for `billing.services.documents`."""

    kind: Literal["invoice", "credit_note"] = "invoice"

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ISSUE_PERMISSION)

    def _send(self, request: HttpRequest, document: BillingDocument, *, resend: bool) -> None:
        document_send(kind=self.kind, document_id=document.pk, actor=request.user, resend=resend, refuse=True)

    @admin.action(description="E-mail the selected documents to the customer (those not sent yet)",
                  permissions=["issue"])
    def send(self, request: HttpRequest, queryset: QuerySet[BillingDocument]) -> None:
        run_each(self, request, queryset, "Sent", lambda d: self._send(request, d, resend=False))

    @admin.action(description="Send again: e-mail the selected documents once more", permissions=["issue"])
    def resend(self, request: HttpRequest, queryset: QuerySet[BillingDocument]) -> None:
        run_each(self, request, queryset, "Sent again", lambda d: self._send(request, d, resend=True))

    @admin.action(description="Render the missing PDFs of the selected issued documents", permissions=["issue"])
    def render_pdfs(self, request: HttpRequest, queryset: QuerySet[BillingDocument]) -> None:
        missing = queryset.filter(number__isnull=False, pdf_sha256="")
        if not missing.exists():
            self.message_user(request, "Every selected issued document has its PDF already (a draft has none).",
                              messages.INFO)
            return
        run_each(self, request, missing, "PDF rendered",
                 lambda d: None if document_render_pdf(kind=self.kind, document_id=d.pk)
                 else "its PDF was rendered meanwhile.")

    @admin.display(description="taxes")
    def taxes(self, obj: BillingDocument) -> str:
        return _taxes(obj)

    @admin.display(description="history")
    def history(self, obj: Model) -> str:
        return audit_history(obj)


class MissingPdfFilter(admin.SimpleListFilter):
    title = "PDF"
    parameter_name = "pdf"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("missing", "Not rendered yet"), ("rendered", "Rendered")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "missing":
            return queryset.filter(number__isnull=False, pdf_sha256="")
        if self.value() == "rendered":
            return queryset.exclude(pdf_sha256="")
        return queryset


class EmailedFilter(admin.SimpleListFilter):
    title = "e-mailed"
    parameter_name = "emailed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("no", "Not sent yet"), ("yes", "Sent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(number__isnull=False, emailed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(emailed_at__isnull=False)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_q())
        if self.value() == "no":
            return queryset.exclude(overdue_q())
        return queryset


LINE_FIELDS = ["position", "sku", "description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate",
               "net_amount", "tax_amount"]


class DocumentLineInline(ReadOnlyInline):
    verbose_name_plural = "lines"

    @admin.display(description="SKU")
    def sku(self, obj: InvoiceLine | CreditNoteLine) -> str:
        return obj.product.sku if obj.product else "—"


# ---------------------------------------------------------------------------------------------
# Invoices: read-only once issued; a draft's note is edited, a draft discarded, through the services


class InvoiceLineInline(DocumentLineInline):
    model = InvoiceLine
    fields = readonly_fields = [*LINE_FIELDS, "credited_quantity", "shipped_with"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InvoiceLine]:
        return super().get_queryset(request).select_related("product", "shipment_line__shipment")

    @admin.display(description="shipment")
    def shipped_with(self, obj: InvoiceLine) -> str:
        return obj.shipment_line.shipment.number if obj.shipment_line else "—"


class CreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = readonly_fields = ["number", "issue_date", "reason", "gross_total", "applied_amount", "customer_credit"]
    show_change_link = True
    verbose_name_plural = "credit notes"


class InvoiceAdminForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3, "cols": 80, "maxlength": 2000})}


def _invoices_are_made_in_the_app(**fields: Any) -> Model:
    raise InvalidTransition("Invoices are made from shipments and orders, not in the admin.", code="not_here")


INVOICE_FIELDS = [
    "number", "status", "origin", "customer", "customer_reference", "order", "shipment", "period_start", "period_end",
    "app_page", "customer_name", "customer_address", "customer_country", "customer_vat_id", "language",
    "tax_treatment", "currency", "net_total", "tax_total", "gross_total", "taxes", "credited_amount", "paid_amount",
    "amount_due", "issue_date", "payment_term_code", "payment_term_text", "due_date", "discount_percent",
    "discount_date", "discount_amount", "payment_reference", "notes", "pdf", "pdf_sha256", "pdf_rendered_at",
    "emailed_at", "emailed_to", "source_key", "issued_at", "issued_by", "created_by", "created_at", "updated_at",
    "history",
]


@admin.register(Invoice)
class InvoiceAdmin(DocumentActions, DomainErrorsAsMessages):
    """An issued invoice is frozen (the services and the database refuse any change); a draft's note
    is the one thing edited here."""

    kind = "invoice"
    form = InvoiceAdminForm
    list_display = ["document", "customer", "status", "issue_date", "due_date", "gross", "amount_due", "origin"]
    list_select_related = ["customer"]
    list_filter = ["status", "origin", OverdueFilter, MissingPdfFilter, EmailedFilter, "currency", "issue_date",
                   "due_date"]
    search_fields = ["number", "customer__number", "customer__legal_name", "customer_name", "customer_reference"]
    date_hierarchy = "issue_date"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "status", "origin", "customer", "customer_reference", "order", "shipment",
                           "period_start", "period_end", "app_page"]}),
        ("Customer, as invoiced", {"fields": ["customer_name", "customer_address", "customer_country",
                                              "customer_vat_id", "language", "tax_treatment"]}),
        ("Amounts", {"fields": ["currency", "net_total", "tax_total", "gross_total", "taxes", "credited_amount",
                                "paid_amount", "amount_due"]}),
        ("Terms", {"fields": ["issue_date", "payment_term_code", "payment_term_text", "due_date", "discount_percent",
                              "discount_date", "discount_amount", "payment_reference"]}),
        ("Note printed on the invoice", {"fields": ["notes"]}),
        ("Document", {"fields": ["pdf", "pdf_sha256", "pdf_rendered_at", "emailed_at", "emailed_to"]}),
        ("Record", {"fields": ["source_key", "issued_at", "issued_by", "created_by", "created_at", "updated_at",
                               "history"]}),
    ]
    inlines = [InvoiceLineInline, CreditNoteInline]
    actions = ["issue", "send", "resend", "render_pdfs", "discard"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).select_related("customer", "order", "shipment", "issued_by",
                                                            "created_by")

    @staticmethod
    def _is_draft(obj: Invoice | None) -> bool:
        return obj is not None and obj.status == InvoiceStatus.DRAFT

    # -- what may be done: nothing by hand but a draft's note and throwing a draft away

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return (obj is None or self._is_draft(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return (obj is None or self._is_draft(obj)) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> list[str]:
        if self._is_draft(obj) and self.has_change_permission(request, obj):
            return [name for name in INVOICE_FIELDS if name != "notes"]
        return INVOICE_FIELDS

    def get_inlines(self, request: HttpRequest, obj: Invoice | None) -> list[type[admin.options.InlineModelAdmin]]:
        return [InvoiceLineInline] if self._is_draft(obj) else [InvoiceLineInline, CreditNoteInline]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are discarded through the service ("discard")
        return actions

    def save_model(self, request: HttpRequest, obj: Invoice, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj, form, change, request.user, fields=("notes",), create=_invoices_are_made_in_the_app,
            update=lambda pk, actor, notes: invoice_update_notes(invoice_id=pk, notes=notes, actor=actor),
        )

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[list, dict, set, list]:
        # a draft's lines go with it, through the service: no permission on the lines is needed
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Invoice) -> None:
        invoice_discard(invoice_id=obj.pk, actor=request.user)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
                    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as err:  # issued meanwhile: the transaction was rolled back
            self.message_user(request, f"Nothing was deleted: {err.message}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[object_id]))

    # -- columns and read-only fields

    @admin.display(description="number", ordering="number")
    def document(self, obj: Invoice) -> str:
        return str(obj)

    @admin.display(description="gross", ordering="gross_total")
    def gross(self, obj: Invoice) -> str:
        return f"{obj.gross_total} {obj.currency}"

    @admin.display(description="in the app")
    def app_page(self, obj: Invoice) -> str:
        return _app_link("billing:invoice-detail", obj.pk, f"Invoice {obj}: PDF, e-invoice, credit notes")

    # -- actions

    @admin.action(description="Issue the selected drafts (number drawn; PDF and e-mail follow)", permissions=["issue"])
    def issue(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        run_each(self, request, queryset, "Issued", lambda i: invoice_issue(invoice_id=i.pk, actor=request.user))

    @admin.action(description="Discard the selected drafts (their goods can be invoiced again)",
                  permissions=["delete"])
    def discard(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        run_each(self, request, queryset, "Discarded", lambda i: invoice_discard(invoice_id=i.pk, actor=request.user))


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "position", "product", "description", "quantity", "net_amount", "tax_rate",
                    "credited_quantity", "status"]
    list_select_related = ["invoice", "product"]
    list_filter = ["invoice__status", "tax_category", "tax_rate"]
    search_fields = ["invoice__number", "product__sku", "description", "order_line__order__number"]
    fields = readonly_fields = ["invoice", "position", "product", "description", "quantity", "unit", "unit_price",
                                "discount_percent", "tax_category", "tax_rate", "net_amount", "tax_amount",
                                "credited_quantity", "order_line", "shipment_line"]
    show_full_result_count = False

    @admin.display(description="status", ordering="invoice__status")
    def status(self, obj: InvoiceLine) -> str:
        return obj.invoice.get_status_display()


# ---------------------------------------------------------------------------------------------
# Credit notes: issued when made (in the app or from a return), read-only here


class CreditNoteLineInline(DocumentLineInline):
    model = CreditNoteLine
    fields = readonly_fields = [*LINE_FIELDS, "credits"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditNoteLine]:
        return super().get_queryset(request).select_related("product", "invoice_line")

    @admin.display(description="credits invoice line")
    def credits(self, obj: CreditNoteLine) -> str:
        return str(obj.invoice_line.position) if obj.invoice_line else "an amount"


CREDIT_NOTE_FIELDS = [
    "number", "invoice", "customer", "reason", "origin", "notes", "app_page", "customer_name", "customer_address",
    "customer_country", "customer_vat_id", "language", "tax_treatment", "currency", "net_total", "tax_total",
    "gross_total", "taxes", "applied_amount", "customer_credit", "issue_date", "pdf", "pdf_sha256", "pdf_rendered_at",
    "emailed_at", "emailed_to", "source_key", "issued_at", "issued_by", "created_by", "created_at", "updated_at",
    "history",
]


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentActions, ReadOnlyAdmin):
    """Credit notes are made in the app (Finance) or from a received return; never changed."""

    kind = "credit_note"
    list_display = ["number", "invoice", "customer", "reason", "origin", "issue_date", "gross", "applied_amount",
                    "customer_credit"]
    list_select_related = ["invoice", "customer"]
    list_filter = ["reason", "origin", MissingPdfFilter, EmailedFilter, "currency", "issue_date"]
    search_fields = ["number", "invoice__number", "customer__number", "customer__legal_name", "customer_name"]
    date_hierarchy = "issue_date"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "invoice", "customer", "reason", "origin", "notes", "app_page"]}),
        ("Customer, as credited", {"fields": ["customer_name", "customer_address", "customer_country",
                                              "customer_vat_id", "language", "tax_treatment"]}),
        ("Amounts", {"fields": ["currency", "net_total", "tax_total", "gross_total", "taxes", "applied_amount",
                                "customer_credit", "issue_date"]}),
        ("Document", {"fields": ["pdf", "pdf_sha256", "pdf_rendered_at", "emailed_at", "emailed_to"]}),
        ("Record", {"fields": ["source_key", "issued_at", "issued_by", "created_by", "created_at", "updated_at",
                               "history"]}),
    ]
    readonly_fields = CREDIT_NOTE_FIELDS
    inlines = [CreditNoteLineInline]
    actions = ["send", "resend", "render_pdfs"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditNote]:
        return super().get_queryset(request).select_related("invoice", "customer", "issued_by", "created_by")

    @admin.display(description="gross", ordering="gross_total")
    def gross(self, obj: CreditNote) -> str:
        return f"{obj.gross_total} {obj.currency}"

    @admin.display(description="in the app")
    def app_page(self, obj: CreditNote) -> str:
        return _app_link("billing:credit-note-detail", obj.pk, f"Credit note {obj.number}: PDF and e-invoice")


@admin.register(CreditNoteLine)
class CreditNoteLineAdmin(ReadOnlyAdmin):
    list_display = ["credit_note", "position", "product", "description", "quantity", "net_amount", "tax_rate",
                    "invoice"]
    list_select_related = ["credit_note__invoice", "product"]
    list_filter = ["credit_note__reason", "tax_category", "tax_rate"]
    search_fields = ["credit_note__number", "credit_note__invoice__number", "product__sku", "description"]
    fields = readonly_fields = ["credit_note", "position", "product", "description", "quantity", "unit",
                                "unit_price", "discount_percent", "tax_category", "tax_rate", "net_amount",
                                "tax_amount", "invoice_line"]
    show_full_result_count = False

    @admin.display(description="invoice", ordering="credit_note__invoice__number")
    def invoice(self, obj: CreditNoteLine) -> str:
        return str(obj.credit_note.invoice)
