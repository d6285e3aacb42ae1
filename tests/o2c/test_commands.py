import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("load_demo", password="demo-pass-1", stdout=out)
    call_command("load_demo", password="demo-pass-1", stdout=StringIO())
    assert User.objects.filter(username__in=["sales", "warehouse", "finance", "admin"]).count() == 4
    assert User.objects.count() == 4
    assert "demo-pass-1" in out.getvalue()
    for username, role in [("sales", "Sales"), ("warehouse", "Warehouse"), ("finance", "Finance")]:
        user = authenticate(username=username, password="demo-pass-1")
        assert user is not None and list(user.groups.values_list("name", flat=True)) == [role]
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_setup_periodic_tasks_registers_every_job_once() -> None:
    call_command("setup_periodic_tasks", stdout=StringIO())
    call_command("setup_periodic_tasks", stdout=StringIO())
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks == {"Outbox and webhook sweep": "o2c.outbox_sweep",
                     "Purge old idempotency keys": "o2c.idempotency_purge",
                     "Replenishment: raise requests below reorder point": "inventory.replenishment_run",
                     "Quotes: expire past their validity": "orders.quotes_expire",
                     "Billing: invoice what is due (sweep, consolidated periods)": "billing.invoicing_sweep",
                     "Billing: invoice queued shipments (backstop)": "billing.invoice_queued",
                     "Receivables: credit holds by the policy": "receivables.credit_holds",
                     "Receivables: late-payment reminders": "receivables.reminder_run",
                     "Receivables: monthly customer statements": "receivables.statements_monthly",
                     "Insight: predictions, KPI snapshot, cash forecast": "insight.nightly"}


@pytest.mark.django_db
def test_roles_get_their_permissions() -> None:
    sales, finance, admin = (Group.objects.get(name=n) for n in ("Sales", "Finance", "Admin"))
    assert finance.permissions.filter(codename="view_auditevent").exists()
    assert not sales.permissions.filter(codename="view_auditevent").exists()
    assert admin.permissions.filter(codename="add_webhookendpoint").exists()


def test_production_settings_pass_check_deploy() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DJANGO_SETTINGS_MODULE": "o2c.settings.production",
           "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-value-42", "ALLOWED_HOSTS": "o2c.example.com"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_suite_runs_on_the_test_settings() -> None:
    """`make test` starts pytest through `o2c.embedded`: the settings are the suite's own, not the
    development default that importing the project package sets."""
    from django.conf import settings

    assert settings.SETTINGS_MODULE == "o2c.settings.test"
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
