"""Every list page and list endpoint of the kernel runs a fixed number of queries (no N+1).

Each case is measured with a few rows and with many; the two counts must be equal.
(Inventory's lists are measured beside their tests: tests/inventory/test_api.py and test_views.py.)
"""

from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from o2c.audit import audit_record
from o2c.events import event_dispatch, publish
from o2c.models import WebhookDelivery, WebhookEndpoint
from o2c.webhooks import webhook_endpoint_create


def _grow(admin_user, n: int) -> None:
    """n more endpoints, events, deliveries (each with an attempt row) and audit entries."""
    for i in range(n):
        endpoint = webhook_endpoint_create(name=f"E{i}", url=f"https://e{i}.example/h", event_types=[],
                                           actor=admin_user)
        with transaction.atomic():
            event = publish("perf.tick", {"i": i})
        event_dispatch(event_id=str(event.pk))
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        if delivery is not None:
            delivery.attempt_log.create(number=1, started_at=delivery.created_at, duration_ms=1, response_code=500,
                                        succeeded=False)
        audit_record(obj=endpoint, action="checked", actor=admin_user)


def _count(fetch: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return len(queries.captured_queries)


API_LISTS = ["/api/v1/webhooks/", "/api/v1/webhook-deliveries/", "/api/v1/events/", "/api/v1/audit/"]
PAGES = ["/webhooks/", "/webhooks/{endpoint}/", "/events/", "/activity/", "/"]


@pytest.mark.django_db
def test_kernel_lists_run_a_fixed_number_of_queries(admin_user) -> None:
    api = APIClient()
    api.force_authenticate(admin_user)
    browser = Client()
    browser.force_login(admin_user)

    def measure() -> dict[str, int]:
        first_endpoint = WebhookEndpoint.objects.order_by("pk").first()
        counts = {url: _count(lambda url=url: api.get(url)) for url in API_LISTS}
        for page in PAGES:
            url = page.format(endpoint=first_endpoint.pk)
            counts[page] = _count(lambda url=url: browser.get(url))
        return counts

    _grow(admin_user, 2)
    measure()  # warm up: the user's permissions are cached after the first request
    few = measure()
    _grow(admin_user, 25)
    many = measure()
    print("\nqueries per list (2 rows → 27 rows):", {k: f"{few[k]}→{many[k]}" for k in few})
    assert many == few
