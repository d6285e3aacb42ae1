"""Finance's browser pages of billing: access per role (Sales reads, Finance acts), invoicing an order's
shipped goods and issuing the draft, crediting an invoice through the form (a refusal shows its message
and writes nothing), the documents and the e-mail, the filters, and a fixed number of queries per page
(real PostgreSQL)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.enums import InvoiceStatus
from billing.models import CreditNote, Invoice
from billing.services import credit_note_create, document_render_pdf, invoice_create_for_shipment
from o2c.models import AuditEvent, OutboxEvent
from tests.billing.factories import (
    billing_customer,
    draft_invoice,
    issued_invoice,
    overdue_invoice,
    priced_order,
    shipped_order,
)
from tests.conftest import client_for, page_queries
from tests.fulfillment.factories import shipped_shipment
from tests.orders.factories import PaymentTermFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _url(name: str, obj: Invoice | CreditNote) -> str:
    return reverse(f"billing:{name}", args=[obj.pk])


def _refresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def _rows(page: str) -> list[str]:
    return re.findall(r'data-testid="invoice-row" data-number="([^"]*)"', page)


# --- access per role ------------------------------------------------------------------------------


def test_pages_render_for_finance_with_their_content(finance_user) -> None:
    skonto = PaymentTermFactory(code="2-10-30", name="2 % within 10 days, 30 days net", net_days=30,
                                discount_percent=Decimal("2.00"), discount_days=10)
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")],
                             customer=billing_customer(payment_term=skonto), customer_reference="PO-4711")
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="11.90",
                              note="Late delivery")
    client = client_for(finance_user)
    pages = {
        reverse("billing:home"): "Drafts to check",
        reverse("billing:invoice-list"): invoice.number,
        _url("invoice-detail", invoice): invoice.payment_reference,
        _url("credit-note-create", invoice): "Issue credit note",
        reverse("billing:credit-note-list"): note.number,
        _url("credit-note-detail", note): "Late delivery",
        reverse("orders:order-detail", args=[invoice.order_id]): invoice.number,
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url

    invoice.refresh_from_db()
    page = client.get(_url("invoice-detail", invoice)).content.decode()
    assert f"Invoice {invoice.number}" in page and ">Issued<" in page
    assert invoice.customer_name in page and "PO-4711" in page and invoice.shipment.number in page
    assert invoice.order.number in page
    assert f"Early-payment discount: 2 % ({invoice.discount_amount} {invoice.currency}) if paid by " \
           f"{invoice.discount_date:%Y-%m-%d}" in page
    assert f"{invoice.due_date:%Y-%m-%d}" in page and "2 % within 10 days, 30 days net" in page
    assert "Tax 19 % on 300.00" in page and "Tax 7 % on 20.00" in page
    assert 'data-testid="gross-total">378.40' in page
    assert 'data-testid="credited-amount">− 11.90' in page and 'data-testid="amount-due">366.50' in page
    assert note.number in page and "Create credit note" in page
    assert "PDF is being prepared" in page and "Send by e-mail" in page
    assert "billing-" in page  # the recipient: the customer's billing contact
    assert 'data-testid="timeline"' in page and "issued" in page and "credited" in page

    credit = client.get(_url("credit-note-detail", note)).content.decode()
    assert invoice.number in credit and "11.90" in credit and "Goodwill" in credit


def test_sales_reads_every_page_and_is_refused_every_action(sales_user) -> None:
    issued = issued_invoice()
    draft = draft_invoice()
    note = credit_note_create(invoice_id=issued.pk, actor=None, reason="price", amount="10.00")
    client = client_for(sales_user)
    for url in (reverse("billing:invoice-list"), _url("invoice-detail", issued), _url("invoice-detail", draft),
                reverse("billing:credit-note-list"), _url("credit-note-detail", note)):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("billing:home")).status_code == 403  # Finance's workspace

    for page in (client.get(_url("invoice-detail", issued)).content.decode(),
                 client.get(_url("invoice-detail", draft)).content.decode()):
        for action in ("Issue invoice", "Discard draft", "Save note", "Send by e-mail", "Create credit note"):
            assert action not in page, action
    assert "Draft invoice" in client.get(_url("invoice-detail", draft)).content.decode()

    for name, invoice, data in (("invoice-issue", draft, {}), ("invoice-discard", draft, {}),
                                ("invoice-notes", draft, {"notes": "x"}), ("invoice-send", issued, {}),
                                ("credit-note-create", issued, {"mode": "amount", "amount": "1", "reason": "price"})):
        assert client.post(_url(name, invoice), data).status_code == 403, name
    assert client.get(_url("credit-note-create", issued)).status_code == 403
    assert client.post(_url("credit-note-send", note)).status_code == 403
    assert client.post(reverse("billing:order-invoice", args=[draft.order_id])).status_code == 403
    assert _refresh(draft).status == InvoiceStatus.DRAFT and CreditNote.objects.count() == 1

    order_page = client.get(reverse("orders:order-detail", args=[issued.order_id])).content.decode()
    assert 'data-testid="order-billing"' in order_page and issued.number in order_page and note.number in order_page
    assert "Invoice shipped goods" not in order_page


# --- invoice an order's shipped goods, then issue the draft ---------------------------------------


def test_finance_invoices_shipped_goods_from_the_order_page_and_issues_the_draft(finance_user) -> None:
    order, _ = shipped_order([(2, "50.00", "standard")])
    client = client_for(finance_user)
    order_url = reverse("orders:order-detail", args=[order.pk])
    page = client.get(order_url).content.decode()
    assert "Nothing invoiced yet." in page and reverse("billing:order-invoice", args=[order.pk]) in page

    made = client.post(reverse("billing:order-invoice", args=[order.pk]))
    draft = Invoice.objects.get(order=order)
    assert made.status_code == 302 and made["Location"] == _url("invoice-detail", draft)
    assert draft.status == InvoiceStatus.DRAFT and draft.number is None and draft.gross_total == Decimal("119.00")
    assert "Check it, then issue it." in messages_of(made)[0]
    page = client.get(order_url).content.decode()
    assert f"Draft {draft.pk}" in page and "Invoice shipped goods" not in page  # nothing left to invoice
    again = client.post(reverse("billing:order-invoice", args=[order.pk]))
    assert again["Location"] == order_url and "Nothing of order" in messages_of(again)[0]
    assert Invoice.objects.count() == 1

    page = client.get(_url("invoice-detail", draft)).content.decode()
    assert "Draft invoice" in page and "Issue invoice" in page and "A draft has no PDF" in page
    assert "Factur-X XML" not in page  # a draft has no documents
    noted = client.post(_url("invoice-notes", draft), {"notes": "  Project Nordlicht "})
    assert noted.status_code == 302 and _refresh(draft).notes == "Project Nordlicht"
    too_long = client.post(_url("invoice-notes", draft), {"notes": "x" * 2001})
    assert too_long.status_code == 400 and "at most 2000 characters" in too_long.content.decode()

    issued = client.post(_url("invoice-issue", draft), follow=True)
    invoice = _refresh(draft)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number and invoice.amount_due == Decimal("119.00")
    page = issued.content.decode()
    assert f"Invoice {invoice.number} issued: 119.00" in page and f"Invoice {invoice.number}</h1>" in page
    assert "PDF is being prepared" in page and "Project Nordlicht" in page and "Issue invoice" not in page
    assert OutboxEvent.objects.filter(type="invoice.issued", payload__invoice=invoice.pk).count() == 1

    events = AuditEvent.objects.count()
    twice = client.post(_url("invoice-issue", invoice))
    assert twice.status_code == 400 and "cannot be issued again; correct it with a credit note" in \
        twice.content.decode()
    frozen = client.post(_url("invoice-notes", invoice), {"notes": "changed"})
    assert frozen.status_code == 400 and "cannot be changed" in frozen.content.decode()
    gone = client.post(_url("invoice-discard", invoice))
    assert gone.status_code == 400 and "cannot be discarded" in gone.content.decode()
    assert AuditEvent.objects.count() == events and _refresh(invoice).notes == "Project Nordlicht"


def test_discarding_a_draft_makes_its_goods_invoiceable_again(finance_user) -> None:
    draft = draft_invoice()
    client = client_for(finance_user)
    discarded = client.post(_url("invoice-discard", draft))
    order_url = reverse("orders:order-detail", args=[draft.order_id])
    assert discarded["Location"] == order_url and "Draft discarded" in messages_of(discarded)[0]
    assert not Invoice.objects.exists()
    page = client.get(order_url).content.decode()
    assert "Invoice shipped goods" in page and "Nothing invoiced yet." in page


# --- credit notes ---------------------------------------------------------------------------------


def test_credit_chosen_lines_lowers_the_amount_due(finance_user) -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    first, second = invoice.lines.order_by("position")
    client = client_for(finance_user)
    url = _url("credit-note-create", invoice)
    form = client.get(url).content.decode()
    assert f'name="qty_{first.pk}"' in form and 'max="3"' in form and "at most 3" in form
    assert f'name="qty_{second.pk}"' in form and "at most 2" in form and "378.40" in form

    done = client.post(url, {"mode": "lines", f"qty_{first.pk}": "1", f"qty_{second.pk}": "", "reason": "price",
                             "note": "Scratched housing", "amount": "junk"})  # the amount is not the chosen way
    note = CreditNote.objects.get()
    assert done.status_code == 302 and done["Location"] == _url("invoice-detail", invoice)
    assert f"Credit note {note.number} issued for 119.00" in messages_of(done)[0]
    assert "amount due now 259.40" in messages_of(done)[0]
    assert (note.gross_total, note.notes, note.reason) == (Decimal("119.00"), "Scratched housing", "price")
    assert _refresh(invoice).amount_due == Decimal("259.40")
    page = client.get(_url("invoice-detail", invoice)).content.decode()
    assert 'data-testid="amount-due">259.40' in page and "1 credited" in page and note.number in page
    assert "at most 2" in client.get(url).content.decode()  # what is left of line 1


def test_credit_an_amount_at_one_of_the_invoice_rates(finance_user) -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    client = client_for(finance_user)
    url = _url("credit-note-create", invoice)
    form = client.get(url).content.decode()
    assert re.search(r'<option value="19.00" selected>19 %</option>', form) and "7 %" in form

    done = client.post(url, {"mode": "amount", "amount": "10.70", "tax_rate": "7.00", "reason": "goodwill",
                             "qty_0": "x"})
    assert done.status_code == 302
    note = CreditNote.objects.get()
    assert (note.net_total, note.tax_total) == (Decimal("10.00"), Decimal("0.70"))
    assert _refresh(invoice).amount_due == Decimal("367.70")


def test_bad_credit_input_shows_the_error_on_the_form_and_writes_nothing(finance_user) -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    first, _ = invoice.lines.order_by("position")
    client = client_for(finance_user)
    url = _url("credit-note-create", invoice)
    audit, events = AuditEvent.objects.count(), OutboxEvent.objects.count()
    cases = [
        ({"mode": "lines", f"qty_{first.pk}": "4", "reason": "price"}, "At most 3 can still be credited."),
        ({"mode": "lines", f"qty_{first.pk}": "", "reason": "price"}, "Choose at least one line, or give an amount."),
        ({"mode": "lines", f"qty_{first.pk}": "abc", "reason": "price"}, "Enter a number."),
        ({"mode": "lines", f"qty_{first.pk}": "-1", "reason": "price"}, "greater than or equal to 0"),
        ({"mode": "lines", f"qty_{first.pk}": "1", "reason": ""}, "Choose a reason."),
        ({"mode": "lines", f"qty_{first.pk}": "1", "reason": "bribe"}, "Select a valid choice."),
        ({"mode": "amount", "amount": "378.41", "reason": "price"}, "At most 378.40"),
        ({"mode": "amount", "amount": "12,50", "reason": "price"}, "Enter a number."),
        ({"mode": "amount", "amount": "", "reason": "price"}, "Enter the amount to credit."),
        ({"mode": "amount", "amount": "10", "tax_rate": "16.00", "reason": "price"}, "Select a valid choice."),
        ({"mode": "", "reason": "price"}, "Choose what to credit"),
    ]
    for data, error in cases:
        response = client.post(url, data)
        page = response.content.decode()
        assert response.status_code == 400, data
        assert error in page, (data, error)
        assert 'data-testid="credit-note-form"' in page, data
    typed = client.post(url, {"mode": "lines", f"qty_{first.pk}": "4", "reason": "price", "note": "kept"})
    assert 'value="4"' in typed.content.decode() and "kept</textarea>" in typed.content.decode()  # as typed
    assert not CreditNote.objects.exists() and _refresh(invoice).amount_due == Decimal("378.40")
    assert AuditEvent.objects.count() == audit and OutboxEvent.objects.count() == events

    # credited in full: the form is not offered, and a post is refused by the service
    credit_note_create(invoice_id=invoice.pk, actor=None, reason="cancellation", amount="378.40")
    refused = client.get(url)
    assert refused.status_code == 302 and "credited in full already" in messages_of(refused)[0]
    posted = client.post(url, {"mode": "amount", "amount": "1", "reason": "price"})
    assert posted.status_code == 400
    assert CreditNote.objects.count() == 1


def test_a_draft_cannot_be_credited(finance_user) -> None:
    draft = draft_invoice()
    client = client_for(finance_user)
    response = client.get(_url("credit-note-create", draft))
    assert response.status_code == 302 and "change or discard it instead" in messages_of(response)[0]
    posted = client.post(_url("credit-note-create", draft), {"mode": "amount", "amount": "1", "reason": "price"})
    assert posted.status_code == 400 and "is a draft" in posted.content.decode()
    assert not CreditNote.objects.exists()


# --- documents and e-mail -------------------------------------------------------------------------


def test_pdf_is_prepared_then_shown_and_downloaded_with_the_e_invoices(finance_user, sales_user) -> None:
    invoice = issued_invoice()
    client = client_for(finance_user)
    detail = _url("invoice-detail", invoice)
    pending = client.get(_url("invoice-pdf", invoice))
    assert pending["Location"] == detail and "being prepared" in messages_of(pending)[0]
    preview = client.get(_url("invoice-preview", invoice)).content.decode()
    assert "PDF is being prepared" in preview and 'hx-trigger="every 5s"' in preview

    assert document_render_pdf(kind="invoice", document_id=invoice.pk) is True
    page = client.get(detail).content.decode()
    assert f'data="{_url("invoice-pdf", invoice)}?inline=1"' in page and "Download PDF" in page
    assert "hx-trigger" not in client.get(_url("invoice-preview", invoice)).content.decode()
    for user in (finance_user, sales_user):
        reader = client_for(user)
        pdf = reader.get(_url("invoice-pdf", invoice))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")
        assert f"{invoice.number}.pdf" in pdf["Content-Disposition"]
        assert reader.get(_url("invoice-pdf", invoice) + "?inline=1")["Content-Disposition"].startswith("inline")
        for name, root in (("invoice-facturx", b"CrossIndustryInvoice"), ("invoice-ubl", b"Invoice")):
            xml = reader.get(_url(name, invoice))
            assert xml.status_code == 200 and xml["Content-Type"] == "application/xml", name
            assert root in xml.content and invoice.number.encode() in xml.content, name
            assert xml["Content-Disposition"].startswith("attachment"), name

    draft = draft_invoice()
    for name in ("invoice-pdf", "invoice-ubl", "invoice-facturx"):
        refused = client.get(_url(name, draft))
        assert refused.status_code == 302 and "A draft has no documents yet" in messages_of(refused)[0]


def test_e_mail_an_invoice_and_a_credit_note_and_send_again(finance_user, mailoutbox) -> None:
    invoice = issued_invoice()
    client = client_for(finance_user)
    sent = client.post(_url("invoice-send", invoice))
    invoice = _refresh(invoice)
    assert sent.status_code == 302 and invoice.emailed_at is not None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [invoice.emailed_to]
    assert f"e-mailed to {invoice.emailed_to}" in messages_of(sent)[0]
    page = client.get(_url("invoice-detail", invoice)).content.decode()
    assert "Resend by e-mail" in page and 'data-testid="emailed"' in page

    twice = client.post(_url("invoice-send", invoice))  # not asked to resend: nothing goes out
    assert twice.status_code == 400 and "was sent already" in twice.content.decode()
    again = client.post(_url("invoice-send", invoice), {"resend": "on"})
    assert again.status_code == 302 and len(mailoutbox) == 2

    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="5.00")
    pending = client.get(_url("credit-note-pdf", note))
    assert pending.status_code == 302 and "being prepared" in messages_of(pending)[-1]
    credited = client.post(_url("credit-note-send", note))
    assert credited.status_code == 302 and len(mailoutbox) == 3 and note.number in mailoutbox[2].subject
    pdf = client.get(_url("credit-note-pdf", note))  # sending rendered it
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ubl = client.get(_url("credit-note-ubl", note))
    assert ubl.status_code == 200 and b"CreditNote" in ubl.content
    assert "Resend by e-mail" in client.get(_url("credit-note-detail", note)).content.decode()


def test_without_an_e_mail_address_nothing_is_sent_and_the_page_says_why(finance_user, mailoutbox) -> None:
    customer = billing_customer()
    customer.contacts.all().delete()
    invoice = issued_invoice(customer=customer)
    client = client_for(finance_user)
    page = client.get(_url("invoice-detail", invoice)).content.decode()
    assert "The customer has no contact with an e-mail address." in page
    refused = client.post(_url("invoice-send", invoice))
    assert refused.status_code == 400 and "Add a billing contact on the customer." in refused.content.decode()
    assert mailoutbox == [] and _refresh(invoice).emailed_at is None


# --- the list: filters, overdue -------------------------------------------------------------------


def test_invoice_list_filters_and_shows_what_is_overdue(finance_user) -> None:
    late = overdue_invoice(days=12)
    fresh = issued_invoice([(1, "1000.00", "standard")])
    draft = draft_invoice()
    client = client_for(finance_user)
    url = reverse("billing:invoice-list")
    page = client.get(url).content.decode()
    assert sorted(_rows(page)) == sorted([late.number, fresh.number, ""])
    assert f'data-number="{late.number}" data-overdue="12"' in page and "12 days overdue" in page
    assert f"Draft {draft.pk}" in page

    def listed(query: str) -> list[str]:
        response = client.get(url + query)
        assert response.status_code == 200, query
        return sorted(_rows(response.content.decode()))

    assert listed("?overdue=yes") == [late.number]
    assert listed("?overdue=no") == sorted([fresh.number, ""])
    assert listed("?status=draft") == [""]
    assert listed(f"?customer={late.customer_id}") == [late.number]
    assert listed("?amount_min=1000") == [fresh.number]
    assert listed("?amount_max=200&status=issued") == [late.number]
    assert listed(f"?issued_from={fresh.issue_date:%Y-%m-%d}") == [fresh.number]
    assert listed(f"?issued_to={late.issue_date:%Y-%m-%d}") == [late.number]
    assert listed(f"?q={fresh.number}") == [fresh.number]
    assert listed(f"?q={late.customer_name[:6]}&overdue=yes") == [late.number]
    assert len(listed("?amount_min=abc&issued_from=soon&status=lost&customer=x&overdue=maybe")) == 3  # ignored

    detail = client.get(_url("invoice-detail", late)).content.decode()
    assert "12 days overdue" in detail and 'border-danger' in detail
    home = client.get(reverse("billing:home")).content.decode()
    assert "1 overdue" in home and "1 draft" in home


# --- a fixed number of queries ------------------------------------------------------------------


def test_list_and_invoice_pages_keep_a_fixed_number_of_queries(finance_user, capsys) -> None:
    client = client_for(finance_user)
    customer = billing_customer()
    made: list[Invoice] = []

    def grow(count: int) -> None:
        """Per round: an issued invoice (every other one with a credit note), an overdue one, a draft."""
        while len(made) < count:
            invoice = issued_invoice([(1, "10.00", "standard"), (1, "5.00", "reduced")], customer=customer)
            if len(made) % 2:
                credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="1.00")
            overdue_invoice(days=len(made) + 1, customer=customer)
            draft_invoice(customer=customer)
            made.append(invoice)

    row = r'data-testid="invoice-row"'
    pages = [
        (reverse("billing:invoice-list"), row),
        (reverse("billing:invoice-list") + f"?customer={customer.pk}&overdue=no&amount_min=1&q=INV", row),
        (reverse("billing:invoice-list") + "?status=draft", row),
        (reverse("billing:credit-note-list"), r'data-testid="credit-note-row"'),
        (reverse("billing:home"), r"<tr>"),
    ]
    measured: dict[str, list[tuple[int, int]]] = {}
    for rounds in (3, 8):
        grow(rounds)
        for url, marker in pages:
            measured.setdefault(url, []).append(page_queries(client, url, marker))

    # one invoice page with 1 line and no credit note, another with 8 lines, 3 credit notes and an order each
    small = issued_invoice([(1, "10.00", "standard")])
    big = issued_invoice([(n + 1, "10.00", "standard" if n % 2 else "reduced") for n in range(8)])
    big_lines = list(big.lines.order_by("position"))
    for line in big_lines[:3]:
        credit_note_create(invoice_id=big.pk, actor=None, reason="price",
                           lines=[{"invoice_line": line.pk, "quantity": "1"}])
    for name, marker in (("invoice-detail", r'data-testid="line"'), ("credit-note-create", r'data-testid="line"')):
        measured[name] = [page_queries(client, _url(name, invoice), marker) for invoice in (small, big)]
    # the order page's panel: one invoice, or an order shipped and invoiced in 3 parts, each credited
    order = priced_order([(1, "10.00", "standard"), (1, "10.00", "reduced"), (2, "10.00", "standard")])
    for line in order.lines.order_by("position"):
        shipment = shipped_shipment(order, lines=[{"order_line": line.pk, "quantity": str(line.quantity)}])
        part = invoice_create_for_shipment(shipment_id=shipment.pk)
        assert part is not None
        credit_note_create(invoice_id=part.pk, actor=None, reason="price", amount="1.00")
    measured["order page"] = [page_queries(client, reverse("orders:order-detail", args=[pk]),
                                           r'data-testid="order-(?:invoice|credit-note)"')
                              for pk in (small.order_id, order.pk)]
    with capsys.disabled():
        print("\nbilling pages (queries, rows), few → many:", measured)
    for url, ((queries_few, rows_few), (queries_many, rows_many)) in measured.items():
        assert queries_few == queries_many, url
        assert rows_few < rows_many, url
    assert measured[reverse("billing:invoice-list")][1][1] == 24
    assert measured["invoice-detail"][1][1] == 8
    assert measured["order page"][1][1] == 6

