"""The receivables admin: every page renders for the Admin role without N+1; payments, allocations,
refunds, write-offs, statements and reminders are read-only; a payment, a promise to pay and a dispute are
added through their services (audited), an open dispute's note and owner are changed through its service;
the dunning policy and its levels are edited and audited; the bulk operations are actions that call the
services — a refusal is a message and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice
from o2c.models import AuditEvent
from orders.models import Customer
from receivables.demo import camt053
from receivables.enums import DisputeStatus, LineStatus
from receivables.models import (
    Allocation,
    BankStatementLine,
    CustomerBankAccount,
    CustomerStatement,
    Dispute,
    DunningLevel,
    DunningPolicy,
    Payment,
    PolicyCreditHold,
    PromiseToPay,
    Refund,
    Reminder,
    WriteOff,
)
from receivables.services.credit_control import credit_holds_apply
from receivables.services.disputes import dispute_open
from receivables.services.dunning import reminder_run
from receivables.services.payments import invoice_write_off, payment_refund
from receivables.services.statements import bank_statement_import
from tests.billing.factories import billing_customer, issued_invoice, overdue_invoice
from tests.conftest import changelist_queries
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db

ADMIN = "/admin/receivables/"
MODELS = ["payment", "allocation", "refund", "writeoff", "bankstatement", "bankstatementline", "customerbankaccount",
          "dunningpolicy", "reminder", "reminderlog", "promisetopay", "dispute", "policycredithold",
          "customerstatement"]
ADDED_HERE = {"payment", "promisetopay", "dispute", "dunningpolicy", "customerbankaccount"}
TX = 0


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _action(client: Client, model: str, action: str, objects: list[Any], **extra: Any) -> HttpResponse:
    return client.post(f"{ADMIN}{model}/", {"action": action, "_selected_action": [o.pk for o in objects], **extra},
                       follow=True)


def _audits(obj: Any, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name, object_id=str(obj.pk),
                                          action=action))


def _statement(lines: int) -> None:
    global TX
    TX += 1
    entries = [{"amount": Decimal("10.00") + n, "credit": n % 2 == 0, "ref": f"ADM-{TX}-{n}", "name": "Payer",
                "iban": "DE02120300000000202051", "text": "x"} for n in range(lines)]
    content = camt053(account_iban="DE89370400440532013000", statement_id=f"ADM-{TX}", currency="EUR",
                      day=timezone.localdate(), entries=entries)
    bank_statement_import(content=content, filename="a.xml", actor=None)


def _world(n: int) -> None:
    """n of everything receivables keeps."""
    for k in range(n):
        _statement(3)
        customer = billing_customer()
        late = overdue_invoice(70, [(1, "100.00", "standard")], customer=customer)
        small = issued_invoice([(1, "10.00", "standard")], customer=customer)  # 11.90
        payment = payment_of(customer, "200.00", invoices=[(late, "50.00"), (small, "9.00")])
        payment_refund(payment_id=payment.pk, amount="10.00", actor=None)
        invoice_write_off(invoice_id=small.pk, reason="small_balance", actor=None)
        dispute_open(invoice_id=late.pk, reason="price", amount="5.00", actor=None)
        other = overdue_invoice(10, [(1, "20.00", "standard")], customer=customer)
        PromiseToPay.objects.create(invoice=other, promised_date=timezone.localdate() - datetime.timedelta(days=1))
        CustomerStatement.objects.create(customer=customer, as_of=timezone.localdate() - datetime.timedelta(days=k),
                                         open_balance=customer.open_balance)
        CustomerBankAccount.objects.create(customer=customer, iban=f"DE0212030000000{TX:07d}")
    reminder_run(actor=None)
    credit_holds_apply()


# ---------------------------------------------------------------------------------------------
# Every page


def test_every_changelist_and_change_page_renders_for_the_admin_role(staff_client: Client) -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    _world(1)  # a customer statement and a bank account (the demo has none)
    for model in MODELS:
        response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        rows = response.context["cl"].result_list
        assert len(rows) >= 1, model
        page = staff_client.get(f"{ADMIN}{model}/{rows[0].pk}/change/")
        assert page.status_code == 200, model
        assert staff_client.get(f"{ADMIN}{model}/", {"q": "a"}).status_code == 200, model
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == (200 if model in ADDED_HERE else 403), model
    for model, params in [("bankstatementline", {"status__exact": s}) for s in LineStatus.values] + [
            ("bankstatementline", {"direction__exact": "debit"}), ("payment", {"unapplied": "yes"}),
            ("payment", {"unapplied": "no"}), ("payment", {"method__exact": "bank_transfer"}),
            ("dispute", {"status__exact": "open"}), ("reminder", {"sent": "no"}), ("reminder", {"level": "3"}),
            ("writeoff", {"reason__exact": "small_balance"})]:
        assert staff_client.get(f"{ADMIN}{model}/", params).status_code == 200, (model, params)
    queued = staff_client.get(f"{ADMIN}bankstatementline/", {"status__exact": "unmatched"}).context["cl"].result_list
    assert queued and {line.status for line in queued} == {LineStatus.UNMATCHED}

    # a payment: its allocations inline, nothing editable, no save and no delete
    payment = Payment.objects.filter(allocations__isnull=False).first()
    content = staff_client.get(f"{ADMIN}payment/{payment.pk}/change/").content.decode()
    assert payment.number in content and payment.allocations.first().invoice.number in content
    assert 'name="_save"' not in content and 'name="amount"' not in content
    assert f"{ADMIN}payment/{payment.pk}/delete/" not in content
    # the policy is configuration: its fields and its levels are edited here
    policy = DunningPolicy.objects.get(is_default=True)
    content = staff_client.get(f"{ADMIN}dunningpolicy/{policy.pk}/change/").content.decode()
    assert 'name="_save"' in content and 'name="compensation_amount"' in content and 'name="levels-0-fee"' in content
    assert f"{ADMIN}dunningpolicy/{policy.pk}/delete/" not in content  # the default one is not deleted


def test_the_changelists_run_a_fixed_number_of_queries(staff_client: Client) -> None:
    _world(1)
    urls = [f"{ADMIN}{model}/" for model in MODELS]
    before = changelist_queries(staff_client, urls)
    _world(3)
    assert Payment.objects.count() == 4 and Reminder.objects.count() >= 4 and PolicyCreditHold.objects.count() == 4
    assert changelist_queries(staff_client, urls) == before


# ---------------------------------------------------------------------------------------------
# Records: read-only


def test_the_records_cannot_be_changed_or_deleted_in_the_admin(staff_client: Client) -> None:
    _world(1)
    records = [Payment.objects.get(), Allocation.objects.first(), Refund.objects.get(), WriteOff.objects.get(),
               BankStatementLine.objects.first(), Reminder.objects.first(), PolicyCreditHold.objects.get(),
               CustomerStatement.objects.get(), PromiseToPay.objects.get()]
    before = [type(r).objects.filter(pk=r.pk).values().get() for r in records]
    for record in records:
        model = type(record)._meta.model_name
        assert staff_client.post(f"{ADMIN}{model}/{record.pk}/change/", {"amount": "1.00"}).status_code == 403, model
        assert staff_client.post(f"{ADMIN}{model}/{record.pk}/delete/", {"post": "yes"}).status_code == 403, model
    assert [type(r).objects.filter(pk=r.pk).values().get() for r in records] == before


# ---------------------------------------------------------------------------------------------
# Added through the services


def _payment_form(customer: Customer, **fields: Any) -> dict[str, Any]:
    return {"customer": customer.pk, "amount": "300.00", "currency": "", "method": "bank_transfer",
            "received_date": str(timezone.localdate()), "reference": "Transfer", "bank_transaction_id": "",
            "note": "", "allocate_oldest": "on", **fields}


def test_a_payment_is_added_through_the_service_and_allocated_oldest_first(staff_client: Client, staff: User) -> None:
    customer = billing_customer()
    newer = overdue_invoice(5, [(1, "100.00", "standard")], customer=customer)  # 119.00
    older = overdue_invoice(20, [(1, "200.00", "standard")], customer=customer)  # 238.00
    response = staff_client.post(f"{ADMIN}payment/add/", _payment_form(customer))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    payment = Payment.objects.get()
    assert payment.number.startswith("PAY-") and payment.created_by == staff and payment.currency == "EUR"
    assert (payment.allocated_amount, payment.unapplied_amount) == (Decimal("300.00"), 0)
    assert list(payment.allocations.order_by("id").values_list("invoice_id", "amount")) == [
        (older.pk, Decimal("238.00")), (newer.pk, Decimal("62.00"))]
    assert Customer.objects.get(pk=customer.pk).open_balance == Decimal("57.00")
    assert _audits(payment, "received")[0].actor == staff

    kept = staff_client.post(f"{ADMIN}payment/add/", _payment_form(customer, amount="10.00", allocate_oldest=""))
    assert kept.status_code == 302
    credit = Payment.objects.latest("pk")
    assert (credit.amount, credit.unapplied_amount, credit.allocations.count()) == (Decimal("10.00"),
                                                                                   Decimal("10.00"), 0)
    response = _action(staff_client, "payment", "allocate_oldest", [credit, payment])
    shown = _messages(response)
    assert "Allocated: 1 done." in shown and any(payment.number in m and "nothing to allocate" in m for m in shown)
    assert Invoice.objects.get(pk=newer.pk).amount_due == Decimal("47.00")


def test_a_payment_the_service_refuses_saves_nothing(staff_client: Client) -> None:
    customer = billing_customer()
    payment_of(customer, "1.00", bank_transaction_id="TAKEN")
    tomorrow = str(timezone.localdate() + datetime.timedelta(days=1))
    for fields, shown in (({"received_date": tomorrow}, "future"), ({"currency": "USD"}, "pays in EUR"),
                          ({"method": "credit_note"}, None), ({"amount": "-1"}, None),
                          ({"bank_transaction_id": "TAKEN"}, None)):
        response = staff_client.post(f"{ADMIN}payment/add/", _payment_form(customer, **fields), follow=True)
        assert response.status_code == 200, fields
        if shown:
            assert any("Nothing was saved" in m and shown in m for m in _messages(response)), fields
        else:
            assert response.context["adminform"].form.errors, fields
    assert Payment.objects.count() == 1


def test_a_dispute_is_opened_changed_and_rejected_or_resolved_through_the_services(
    staff_client: Client, staff: User,
) -> None:
    invoice = overdue_invoice(10, [(1, "100.00", "standard")])
    response = staff_client.post(f"{ADMIN}dispute/add/", {"invoice": invoice.pk, "reason": "damaged", "amount": "20.00",
                                                          "note": "Dented", "owner": ""})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    dispute = Dispute.objects.get()
    assert (dispute.customer_id, dispute.opened_by, dispute.status) == (invoice.customer_id, staff, "open")
    assert _audits(dispute, "opened")
    again = staff_client.post(f"{ADMIN}dispute/add/", {"invoice": invoice.pk, "reason": "price", "amount": "1.00"},
                              follow=True)
    assert any("open dispute already" in m for m in _messages(again)) and Dispute.objects.count() == 1

    content = staff_client.get(f"{ADMIN}dispute/{dispute.pk}/change/").content.decode()
    assert 'name="note"' in content and 'name="owner"' in content and 'name="amount"' not in content
    response = staff_client.post(f"{ADMIN}dispute/{dispute.pk}/change/", {"note": "Dented, photos", "owner": staff.pk,
                                                                          "amount": "1.00"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.note, dispute.owner, dispute.amount) == ("Dented, photos", staff, Decimal("20.00"))
    [event] = _audits(dispute, "updated")
    assert event.data == {"note": ["Dented", "Dented, photos"], "owner": [None, staff.username]}

    asked = _action(staff_client, "dispute", "reject", [dispute])
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields  # the reason page
    done = _action(staff_client, "dispute", "reject", [dispute], apply="1", reason="Damage after delivery")
    assert "Rejected: 1 done." in _messages(done)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution_note, dispute.resolved_by) == (DisputeStatus.REJECTED,
                                                                              "Damage after delivery", staff)
    content = staff_client.get(f"{ADMIN}dispute/{dispute.pk}/change/").content.decode()
    assert 'name="note"' not in content and 'name="_save"' not in content  # closed: nothing changes any more
    assert staff_client.post(f"{ADMIN}dispute/{dispute.pk}/change/", {"note": "x"}).status_code == 403

    second = dispute_open(invoice_id=invoice.pk, reason="price", amount="19.00", actor=None)
    done = _action(staff_client, "dispute", "resolve", [second, dispute], apply="1", reason="")
    shown = _messages(done)
    assert "Resolved: 1 done." in shown and any("rejected already" in m for m in shown)
    second.refresh_from_db()
    assert second.status == DisputeStatus.RESOLVED and second.credit_note.gross_total == Decimal("19.00")
    assert Invoice.objects.get(pk=invoice.pk).amount_due == Decimal("100.00")


def test_a_promise_to_pay_is_added_through_the_service(staff_client: Client, staff: User) -> None:
    invoice = overdue_invoice(10)
    day = str(timezone.localdate() + datetime.timedelta(days=5))
    response = staff_client.post(f"{ADMIN}promisetopay/add/", {"invoice": invoice.pk, "promised_date": day,
                                                               "amount": "", "note": "Friday"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    promise = PromiseToPay.objects.get()
    assert (str(promise.promised_date), promise.created_by, promise.note) == (day, staff, "Friday")
    assert _audits(invoice, "promise_to_pay")[0].actor == staff
    past = staff_client.post(f"{ADMIN}promisetopay/add/", {"invoice": invoice.pk, "note": "",
                                                           "promised_date": "2020-01-01"}, follow=True)
    assert any("Nothing was saved" in m for m in _messages(past)) and PromiseToPay.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Configuration, and the bulk operations


def test_the_dunning_policy_and_its_levels_are_edited_and_audited(staff_client: Client, staff: User) -> None:
    policy = DunningPolicy.objects.get(is_default=True)
    levels = list(policy.levels.order_by("level"))
    form: dict[str, Any] = {"name": policy.name, "is_default": "on", "reference_rate": "2.40",
                            "interest_points": "8.00", "compensation_amount": "40.00", "credit_hold_days": "45",
                            "write_off_limit": "5.00", "levels-TOTAL_FORMS": str(len(levels) + 1),
                            "levels-INITIAL_FORMS": str(len(levels)), "levels-MIN_NUM_FORMS": "0",
                            "levels-MAX_NUM_FORMS": "1000"}
    for n, level in enumerate(levels):
        form.update({f"levels-{n}-id": level.pk, f"levels-{n}-policy": policy.pk, f"levels-{n}-level": level.level,
                     f"levels-{n}-days_after_due": level.days_after_due, f"levels-{n}-subject": level.subject,
                     f"levels-{n}-body": level.body, f"levels-{n}-fee": str(level.fee)})
        if level.show_interest:
            form[f"levels-{n}-show_interest"] = "on"
    n = len(levels)
    form.update({f"levels-{n}-policy": policy.pk, f"levels-{n}-level": "4", f"levels-{n}-days_after_due": "60",
                 f"levels-{n}-subject": "Final notice", f"levels-{n}-body": "Pay now.", f"levels-{n}-fee": "15.00",
                 f"levels-{n}-show_interest": "on"})
    response = staff_client.post(f"{ADMIN}dunningpolicy/{policy.pk}/change/", form)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert (policy.reference_rate, policy.credit_hold_days) == (Decimal("2.40"), 45)
    assert DunningLevel.objects.get(policy=policy, level=4).fee == Decimal("15.00")
    [changed] = _audits(policy, "updated")
    assert changed.actor == staff and set(changed.data) == {"reference_rate", "credit_hold_days"}
    [added] = _audits(policy, "levels_changed")
    assert added.data == {"added": ["level 4 (60 days)"]}


def test_reminders_are_run_and_sent_by_actions(staff_client: Client) -> None:
    overdue_invoice(10)
    policy = DunningPolicy.objects.get(is_default=True)
    response = _action(staff_client, "dunningpolicy", "run_reminders", [policy])
    assert "1 reminder(s) written" in _messages(response)[0]
    reminder = Reminder.objects.get()
    response = _action(staff_client, "dunningpolicy", "run_reminders", [policy])
    assert "No reminder is due today" in _messages(response)[0] and Reminder.objects.count() == 1

    response = _action(staff_client, "reminder", "send", [reminder])
    assert "Sent: 1 done." in _messages(response)
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0].endswith(".pdf")
    reminder.refresh_from_db()
    assert reminder.sent_at is not None and reminder.pdf
    response = _action(staff_client, "reminder", "send", [reminder])
    assert "Sent" not in " ".join(_messages(response)) and len(mail.outbox) == 1  # once


def test_queued_statement_lines_are_ignored_with_a_reason_and_put_back(staff_client: Client, staff: User) -> None:
    _statement(3)  # two credits waiting, one debit
    waiting = list(BankStatementLine.objects.filter(status=LineStatus.UNMATCHED))
    debit = BankStatementLine.objects.get(status=LineStatus.SHOWN)
    assert len(waiting) == 2
    asked = _action(staff_client, "bankstatementline", "ignore", [*waiting, debit])
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields
    done = _action(staff_client, "bankstatementline", "ignore", [*waiting, debit], apply="1",
                   reason="Transfer between our own accounts")
    assert "Ignored: 2 done." in _messages(done)
    assert BankStatementLine.objects.filter(status=LineStatus.IGNORED).count() == 2
    assert BankStatementLine.objects.get(pk=debit.pk).status == LineStatus.SHOWN
    assert _audits(waiting[0], "ignored")[0].actor == staff
    back = _action(staff_client, "bankstatementline", "unignore", [waiting[0], debit])
    shown = _messages(back)
    assert "Back in the queue: 1 done." in shown and len(shown) == 2
    assert BankStatementLine.objects.get(pk=waiting[0].pk).status == LineStatus.UNMATCHED


def test_a_customer_bank_account_is_entered_and_audited(staff_client: Client, staff: User) -> None:
    customer = billing_customer()
    response = staff_client.post(f"{ADMIN}customerbankaccount/add/", {
        "customer": customer.pk, "iban": "de02 1203 0000 0000 2020 51", "name": "Alpha GmbH"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    account = CustomerBankAccount.objects.get()
    assert (account.iban, account.customer, account.created_by) == ("DE02120300000000202051", customer, staff)
    assert _audits(account, "created")[0].actor == staff
    bad = staff_client.post(f"{ADMIN}customerbankaccount/add/", {"customer": customer.pk, "iban": "DE00 1234",
                                                                  "name": ""})
    assert bad.status_code == 200 and "iban" in bad.context["adminform"].form.errors
    assert CustomerBankAccount.objects.count() == 1


def test_invoices_paid_in_the_admin_release_the_policys_credit_hold(staff_client: Client) -> None:
    customer = billing_customer()
    late = overdue_invoice(70, [(1, "100.00", "standard")], customer=customer)
    assert credit_holds_apply()[0] == [customer.pk]
    response = staff_client.post(f"{ADMIN}payment/add/", _payment_form(customer, amount="119.00"))
    assert response.status_code == 302
    assert Invoice.objects.get(pk=late.pk).status == InvoiceStatus.PAID
    assert not Customer.objects.get(pk=customer.pk).credit_hold and not PolicyCreditHold.objects.exists()
