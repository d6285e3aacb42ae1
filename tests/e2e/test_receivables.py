"""Finance uploads a bank statement in a real browser: one credit names its invoice and is matched at import,
the other waits in the reconciliation queue; Finance opens it, chooses the customer, pays the invoice in full
from the open-invoices table (htmx + the running total), submits, and sees the invoice paid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from billing.enums import InvoiceStatus
from billing.models import Invoice
from receivables.enums import LineStatus, MatchRule
from receivables.models import BankStatement, BankStatementLine
from tests.billing.factories import billing_customer, issued_invoice
from tests.e2e.conftest import login
from tests.receivables.statement_files import statement_csv


def test_finance_uploads_a_statement_and_matches_the_line_left_in_the_queue(page: Page, live_server,
                                                                            finance_user: User, tmp_path: Path) -> None:
    named = issued_invoice([(1, "100.00", "standard")], customer=billing_customer(legal_name="Nordwind GmbH"))
    werft = billing_customer(legal_name="Kieler Werft AG")
    wanted = issued_invoice([(2, "100.00", "standard")], customer=werft)  # 238.00
    other = issued_invoice([(1, "10.00", "standard")], customer=werft)  # 11.90, stays open
    assert (named.gross_total, wanted.gross_total) == (Decimal("119.00"), Decimal("238.00"))
    statement = tmp_path / "march.csv"
    statement.write_bytes(statement_csv(amount_1=named.gross_total, name_1="Nordwind GmbH", remittance_1=named.number,
                                        amount_2=wanted.gross_total, name_2="KW Buchhaltung",
                                        remittance_2="Lieferung Maerz"))
    base = live_server.url
    login(page, base, finance_user.username, "pw-" + finance_user.username)

    # upload: 4 lines, 2 credits, the one naming its invoice matched at once
    page.get_by_test_id("sidebar").get_by_role("link", name="Bank statements").click()
    expect(page.get_by_role("heading", name="Bank statements")).to_be_visible()
    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_test_id("upload-form").get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert").first).to_contain_text("4 lines, 2 credits, 1 auto-matched, 0 duplicates")
    expect(page.get_by_test_id("statement-summary").get_by_test_id("auto-matched")).to_contain_text("1 auto-matched")
    lines = page.get_by_test_id("statement-lines").get_by_test_id("statement-line")
    expect(lines).to_have_count(4)
    expect(lines.nth(0).get_by_test_id("line-status")).to_have_text("Matched")
    expect(lines.nth(2).get_by_test_id("line-status")).to_have_text("Shown, not applied")
    assert Invoice.objects.get(pk=named.pk).status == InvoiceStatus.PAID
    page.screenshot(path="var/e2e-statement.png", full_page=True)

    # the queue: one line left; open it
    page.get_by_test_id("open-queue").click()
    expect(page.get_by_test_id("queue-title")).to_have_text("Reconciliation queue")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("238.00 EUR")
    expect(rows.first.get_by_test_id("top-suggestion")).to_contain_text(wanted.number)  # loaded by htmx
    page.screenshot(path="var/e2e-queue.png", full_page=True)
    rows.first.get_by_test_id("open-line").click()
    expect(page.get_by_test_id("line-title")).to_have_text("Received 238.00 EUR")
    expect(page.get_by_test_id("suggestion").first).to_contain_text(wanted.number)

    # by hand: the customer, then "Pay in full" on its invoice; what is left unapplied follows
    page.locator("#id_customer-ts-control").click()
    page.keyboard.type("Kieler")
    expect(page.get_by_test_id("customer-option").first).to_contain_text(werft.number)
    page.keyboard.press("Enter")
    invoices = page.get_by_test_id("open-invoices")
    row = invoices.locator(f'[data-testid=open-invoice][data-number="{wanted.number}"]')
    expect(row).to_be_visible()
    expect(invoices.get_by_test_id("open-invoice")).to_have_count(2)
    expect(invoices.get_by_test_id("left-unapplied")).to_have_text("238.00 EUR")
    row.get_by_test_id("pay-in-full").click()
    expect(row.get_by_label(f"Amount to apply to {wanted.number}")).to_have_value("238.00")
    expect(invoices.get_by_test_id("left-unapplied")).to_have_text("0.00 EUR")
    page.mouse.move(0, 0)  # no button caught half-way through its hover transition in the picture
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/queue_line.png", full_page=True)
    page.get_by_test_id("match-submit").click()

    # the payment page: matched, applied in full; the invoice is paid
    expect(page.get_by_test_id("payment-title")).to_contain_text("Payment PAY-")
    expect(page.get_by_role("alert").first).to_contain_text(f"applied to {wanted.number}")
    expect(page.get_by_test_id("unapplied-amount")).to_have_text("0.00 EUR")
    page.screenshot(path="var/e2e-payment.png", full_page=True)
    line = BankStatementLine.objects.get(statement=BankStatement.objects.get(), position=2)
    assert (line.status, line.match_rule, line.matched_by) == (LineStatus.MATCHED, MatchRule.MANUAL, finance_user)
    page.get_by_test_id("allocations").get_by_role("link", name=wanted.number).click()
    expect(page.get_by_test_id("invoice-title")).to_have_text(f"Invoice {wanted.number}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    expect(page.get_by_test_id("balance").get_by_test_id("amount-due")).to_have_text("0.00 EUR")
    assert Invoice.objects.get(pk=wanted.pk).amount_due == 0
    assert Invoice.objects.get(pk=other.pk).status == InvoiceStatus.ISSUED


def test_finance_records_a_payment_and_applies_it_from_the_open_invoices(page: Page, live_server,
                                                                        finance_user: User) -> None:
    customer = billing_customer(legal_name="Nordwind Maschinenbau GmbH")
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    second = issued_invoice([(2, "100.00", "standard")], customer=customer)  # 238.00
    login(page, live_server.url, finance_user.username, "pw-" + finance_user.username)

    page.get_by_test_id("sidebar").get_by_role("link", name="Payments").click()
    page.get_by_test_id("record-payment").click()
    expect(page.get_by_role("heading", name="Record a payment")).to_be_visible()
    expect(page.get_by_test_id("choose-customer")).to_be_visible()
    page.locator("#id_customer-ts-control").click()
    page.keyboard.type("Nordwind")
    expect(page.get_by_test_id("customer-option").first).to_contain_text(customer.number)
    page.keyboard.press("Enter")
    invoices = page.get_by_test_id("open-invoices")
    expect(invoices.get_by_test_id("open-invoice")).to_have_count(2)  # loaded by htmx

    form = page.get_by_test_id("payment-form")
    form.get_by_label("Amount received").fill("300.00")
    form.get_by_label("Reference").fill("Wire 2026-118")
    expect(invoices.get_by_test_id("left-unapplied")).to_have_text("300.00 EUR")
    invoices.locator(f'[data-testid=open-invoice][data-number="{first.number}"]').get_by_test_id("pay-in-full").click()
    form.get_by_label(f"Amount to apply to {second.number}").fill("100")
    expect(invoices.get_by_test_id("applied-total")).to_have_text("219.00 EUR")
    expect(invoices.get_by_test_id("left-unapplied")).to_have_text("81.00 EUR")
    form.get_by_label(f"Amount to apply to {second.number}").fill("200")  # more than the payment: said at once
    expect(invoices.get_by_test_id("left-unapplied")).to_have_text("over by 19.00 EUR")
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    page.screenshot(path="var/e2e-payment-create.png", full_page=True)

    form.get_by_role("button", name="Record payment").click()  # the service refuses: nothing written
    expect(page.get_by_test_id("form-errors")).to_contain_text("the allocations ask for 319.00")
    expect(page.get_by_label(f"Amount to apply to {second.number}")).to_have_value("200")
    page.get_by_label(f"Amount to apply to {second.number}").fill("100")
    page.get_by_test_id("payment-form").get_by_role("button", name="Record payment").click()

    expect(page.get_by_test_id("payment-title")).to_contain_text("Payment PAY-")
    expect(page.get_by_test_id("unapplied-amount")).to_have_text("81.00 EUR")
    expect(page.get_by_test_id("allocations").get_by_test_id("allocation")).to_have_count(2)
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.PAID
    assert Invoice.objects.get(pk=second.pk).amount_due == Decimal("138.00")
