import hashlib

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from o2c.models import IdempotencyRecord, WebhookEndpoint
from tests.conftest import make_user

URL = "/api/v1/webhooks/"
BODY = {"name": "ERP", "url": "https://erp.example.com/hooks", "event_types": ["invoice.issued"]}


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response(api: APIClient) -> None:
    first = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422_and_changes_nothing(api: APIClient) -> None:
    api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post(URL, {**BODY, "name": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["ERP"]


@pytest.mark.django_db
def test_keys_belong_to_their_user(api: APIClient, admin_user: User) -> None:
    other = make_user("otto", "Admin")
    other_client = APIClient()
    other_client.force_authenticate(other)
    api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = other_client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert WebhookEndpoint.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_is_replayed_as_refused(api: APIClient) -> None:
    bad = {**BODY, "url": "not a url"}
    first = api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    second = api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_a_retry_while_the_first_is_running_is_409(api: APIClient, admin_user: User) -> None:
    IdempotencyRecord.objects.create(
        user=admin_user, key="k-4", method="POST", path=URL,
        request_hash=hashlib.sha256(b"POST " + URL.encode() + b"\n" + b'{"name":"ERP"}').hexdigest(),
    )
    response = api.post(URL, {"name": "ERP"}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"


@pytest.mark.django_db
def test_posts_without_a_key_are_not_recorded(api: APIClient) -> None:
    assert api.post(URL, BODY, format="json").status_code == 201
    assert IdempotencyRecord.objects.count() == 0
