"""The billing admin: every page renders for the Admin role without N+1; an issued invoice or credit
note cannot be changed or deleted here; a draft's note is saved through the audited service and a draft
is discarded through its service; issuing, e-mailing and rendering PDFs are actions that call the
services — a refusal is a message and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

from billing.enums import CreditReason, InvoiceOrigin, InvoiceStatus
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services import credit_note_create
from o2c.models import AuditEvent
from orders.models import SalesOrderLine
from tests.conftest import changelist_queries

from .factories import draft_invoice, issued_invoice, overdue_invoice

pytestmark = pytest.mark.django_db

ADMIN = "/admin/billing/"
MODELS = ["invoice", "invoiceline", "creditnote", "creditnoteline"]


def _audits(obj: Any, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name,
                                          object_id=str(obj.pk), action=action))


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _action(client: Client, model: str, action: str, objects: list[Any]) -> HttpResponse:
    return client.post(f"{ADMIN}{model}/", {"action": action, "_selected_action": [o.pk for o in objects]},
                       follow=True)


def _row(invoice: Invoice) -> dict[str, Any]:
    return Invoice.objects.filter(pk=invoice.pk).values().get()


def _credited() -> tuple[Invoice, CreditNote]:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    line = invoice.lines.get(position=1)
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason=CreditReason.DAMAGED,
                              lines=[{"invoice_line": line.pk, "quantity": 1}], note="Scratched")
    return invoice, note


def _world(n: int) -> None:
    """n issued invoices with a credit note each, and n drafts."""
    for _ in range(n):
        _credited()
        draft_invoice()


# ---------------------------------------------------------------------------------------------
# Every page


def test_every_changelist_and_change_page_renders_for_the_admin_role(staff_client: Client) -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    for model in MODELS:
        response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        rows = response.context["cl"].result_list
        assert len(rows) >= 1, model
        page = staff_client.get(f"{ADMIN}{model}/{rows[0].pk}/change/")
        assert page.status_code == 200, model
        assert staff_client.get(f"{ADMIN}{model}/", {"q": "a"}).status_code == 200, model
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 403, model  # made by the services only
    for params in [*({"status__exact": s} for s in InvoiceStatus.values), *({"origin__exact": o} for o in
                                                                             InvoiceOrigin.values),
                   {"overdue": "yes"}, {"overdue": "no"}, {"pdf": "missing"}, {"pdf": "rendered"}, {"emailed": "no"},
                   {"emailed": "yes"}, {"q": "RH-2025-118"}]:
        assert staff_client.get(f"{ADMIN}invoice/", params).status_code == 200, params
    found = staff_client.get(f"{ADMIN}invoice/", {"q": "RH-2025-118"}).context["cl"].result_list
    assert [i.customer_reference for i in found] == ["RH-2025-118"]  # by the customer's PO reference

    # an issued invoice: its lines, credit notes and history, nothing editable, no save and no delete
    invoice = Invoice.objects.filter(credit_notes__isnull=False, status=InvoiceStatus.ISSUED).first()
    content = staff_client.get(f"{ADMIN}invoice/{invoice.pk}/change/").content.decode()
    assert invoice.number in content and invoice.customer_name in content
    for line in invoice.lines.select_related("product"):
        assert line.product.sku in content
    assert invoice.credit_notes.get().number in content and "issued" in content
    assert 'name="_save"' not in content and 'name="notes"' not in content
    assert f"{ADMIN}invoice/{invoice.pk}/delete/" not in content
    note = invoice.credit_notes.get()
    content = staff_client.get(f"{ADMIN}creditnote/{note.pk}/change/").content.decode()
    assert note.number in content and invoice.number in content and 'name="_save"' not in content

    # a draft: its note is the one field to edit
    draft = Invoice.objects.get(status=InvoiceStatus.DRAFT)
    content = staff_client.get(f"{ADMIN}invoice/{draft.pk}/change/").content.decode()
    assert 'name="notes"' in content and 'name="_save"' in content and 'name="gross_total"' not in content
    assert f"{ADMIN}invoice/{draft.pk}/delete/" in content


def test_the_changelists_run_a_fixed_number_of_queries(staff_client: Client) -> None:
    _world(1)

    before = changelist_queries(staff_client, [f"{ADMIN}{model}/" for model in MODELS])
    _world(3)
    assert changelist_queries(staff_client, [f"{ADMIN}{model}/" for model in MODELS]) == before


def test_the_overdue_filter(staff_client: Client) -> None:
    late, current = overdue_invoice(days=3), issued_invoice()
    listed = staff_client.get(f"{ADMIN}invoice/", {"overdue": "yes"}).context["cl"].result_list
    assert list(listed) == [late]
    listed = staff_client.get(f"{ADMIN}invoice/", {"overdue": "no"}).context["cl"].result_list
    assert current in listed and late not in listed


# ---------------------------------------------------------------------------------------------
# Issued documents: frozen here too


def test_an_issued_invoice_cannot_be_changed_or_deleted_in_the_admin(staff_client: Client) -> None:
    invoice, note = _credited()
    line = invoice.lines.get(position=1)
    before, lines = _row(invoice), list(InvoiceLine.objects.filter(invoice=invoice).values())
    notes_before = list(CreditNote.objects.values()), list(CreditNoteLine.objects.values())

    response = staff_client.post(f"{ADMIN}invoice/{invoice.pk}/change/", {
        "notes": "changed by hand", "status": "draft", "gross_total": "1.00", "amount_due": "0.00",
        "customer_name": "Someone Else", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": line.pk,
        "lines-0-invoice": invoice.pk, "lines-0-quantity": "99", "lines-0-unit_price": "0.01",
        "credit_notes-TOTAL_FORMS": "0", "credit_notes-INITIAL_FORMS": "0",
    })
    assert response.status_code == 403  # refused, not a 500
    response = staff_client.post(f"{ADMIN}invoice/{invoice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = staff_client.post(f"{ADMIN}invoice/", {"action": "delete_selected", "_selected_action": [invoice.pk],
                                                      "post": "yes"}, follow=True)
    assert response.status_code == 200  # no bulk delete: drafts are discarded through the service
    response = _action(staff_client, "invoice", "discard", [invoice])
    [message] = _messages(response)
    assert invoice.number in message and "credit note" in message
    response = staff_client.post(f"{ADMIN}creditnote/{note.pk}/change/", {"notes": "x", "reason": "other"})
    assert response.status_code == 403
    assert staff_client.post(f"{ADMIN}creditnote/{note.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.post(f"{ADMIN}invoiceline/{line.pk}/change/", {"quantity": "99"}).status_code == 403

    assert _row(invoice) == before
    assert list(InvoiceLine.objects.filter(invoice=invoice).values()) == lines
    assert (list(CreditNote.objects.values()), list(CreditNoteLine.objects.values())) == notes_before


def test_issue_action_issues_the_drafts_and_refuses_the_rest(staff_client: Client, staff: User) -> None:
    draft = draft_invoice([(2, "80.00", "standard")])
    issued = issued_invoice()
    before = _row(issued)

    response = _action(staff_client, "invoice", "issue", [draft, issued])
    shown = _messages(response)
    assert "Issued: 1 done." in shown
    assert any(issued.number in m and "issued" in m for m in shown)
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED and draft.number and draft.issued_by == staff
    assert draft.gross_total == Decimal("190.40") and draft.amount_due == draft.gross_total
    assert _audits(draft, "issued")[0].actor == staff
    assert _row(issued) == before


# ---------------------------------------------------------------------------------------------
# Drafts: the note through the service, discarded through the service


def test_a_drafts_note_is_saved_through_the_service_and_audited(staff_client: Client, staff: User) -> None:
    draft = draft_invoice()
    gross = draft.gross_total
    response = staff_client.post(f"{ADMIN}invoice/{draft.pk}/change/", {
        "notes": "  Deliver the invoice with the freight papers.  ", "gross_total": "1.00", "status": "issued",
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.notes == "Deliver the invoice with the freight papers."  # stored as the service stores it
    assert (draft.status, draft.gross_total, draft.number) == (InvoiceStatus.DRAFT, gross, None)
    [event] = _audits(draft, "updated")
    assert event.actor == staff and event.data == {"notes": ["", "Deliver the invoice with the freight papers."]}

    # saved unchanged: nothing to audit
    staff_client.post(f"{ADMIN}invoice/{draft.pk}/change/", {
        "notes": "Deliver the invoice with the freight papers.", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"})
    assert len(_audits(draft, "updated")) == 1


def test_a_draft_is_deleted_by_discarding_it(staff_client: Client, staff: User) -> None:
    draft = draft_invoice([(2, "80.00", "standard")])
    order_line = SalesOrderLine.objects.get(invoice_lines__invoice=draft)
    order = order_line.order
    assert order_line.invoiced_quantity == 2

    assert staff_client.get(f"{ADMIN}invoice/{draft.pk}/delete/").status_code == 200
    response = staff_client.post(f"{ADMIN}invoice/{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Invoice.objects.filter(pk=draft.pk).exists() and not InvoiceLine.objects.filter(invoice_id=draft.pk)
    order_line.refresh_from_db()
    assert order_line.invoiced_quantity == 0  # the goods can be invoiced again
    assert _audits(order, "invoice_draft_discarded")[0].actor == staff

    other = draft_invoice()
    response = _action(staff_client, "invoice", "discard", [other])
    assert "Discarded: 1 done." in _messages(response) and not Invoice.objects.filter(pk=other.pk).exists()


# ---------------------------------------------------------------------------------------------
# The document: PDF and e-mail, through the services


def test_pdfs_are_rendered_and_documents_sent_by_actions(staff_client: Client, staff: User) -> None:
    invoice, note = _credited()  # no worker here: no PDF yet, nothing sent
    draft = draft_invoice()
    assert not invoice.pdf_sha256 and not note.pdf_sha256

    response = _action(staff_client, "invoice", "render_pdfs", [invoice, draft])
    assert "PDF rendered: 1 done." in _messages(response)
    invoice.refresh_from_db()
    assert len(invoice.pdf_sha256) == 64 and invoice.number in invoice.pdf.name
    response = _action(staff_client, "invoice", "render_pdfs", [invoice, draft])
    assert _messages(response) == ["Every selected issued document has its PDF already (a draft has none)."]

    response = _action(staff_client, "invoice", "send", [invoice, draft])
    shown = _messages(response)
    assert "Sent: 1 done." in shown and any(str(draft) in m and "issue it first" in m for m in shown)
    assert len(mail.outbox) == 1 and invoice.number in mail.outbox[0].subject
    response = _action(staff_client, "invoice", "send", [invoice])
    [message] = _messages(response)
    assert "sent already" in message and len(mail.outbox) == 1
    response = _action(staff_client, "invoice", "resend", [invoice])
    assert "Sent again: 1 done." in _messages(response) and len(mail.outbox) == 2
    assert _audits(invoice, "resent")[0].actor == staff

    response = _action(staff_client, "creditnote", "send", [note])  # renders its PDF on the way
    assert "Sent: 1 done." in _messages(response) and note.number in mail.outbox[-1].subject
    note.refresh_from_db()
    assert note.pdf_sha256 and note.emailed_at is not None
