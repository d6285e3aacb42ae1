from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from o2c.audit import timeline
from o2c.models import WebhookEndpoint


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


@pytest.mark.django_db
def test_every_4xx_has_one_error_shape(api: APIClient, sales_user) -> None:
    anonymous = APIClient()
    assert anonymous.get("/api/v1/").status_code == 401
    assert _error(anonymous.get("/api/v1/"))["code"] == "not_authenticated"

    assert _error(api.get("/api/v1/webhooks/999999/"))["code"] == "not_found"
    assert _error(api.get("/api/v1/no-such-thing/"))["code"] == "not_found"

    invalid = api.post("/api/v1/webhooks/", {"name": "", "url": "nope"}, format="json")
    assert invalid.status_code == 400
    assert {"name", "url"} <= set(_error(invalid)["details"])

    malformed = api.post("/api/v1/webhooks/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and _error(malformed)["code"] == "parse_error"

    sales = APIClient()
    sales.force_authenticate(sales_user)
    forbidden = sales.get("/api/v1/webhooks/")
    assert forbidden.status_code == 403 and _error(forbidden)["code"] == "permission_denied"
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_service_validation_reaches_the_api_as_400(api: APIClient) -> None:
    response = api.post("/api/v1/webhooks/", {"name": "X", "url": "https://a.example", "event_types": ["bad"]},
                        format="json")
    assert response.status_code == 400
    assert "event_types" in _error(response)["details"]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_webhook_crud_and_actions_through_the_api(api: APIClient, admin_user) -> None:
    created = api.post("/api/v1/webhooks/", {"name": "ERP", "url": "https://erp.example.com/h"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert len(created.json()["secret"]) == 64
    patched = api.patch(f"/api/v1/webhooks/{pk}/", {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    rotated = api.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != created.json()["secret"]
    ping = api.post(f"/api/v1/webhooks/{pk}/ping/")
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.ping"
    actions = [e.action for e in timeline(WebhookEndpoint.objects.get(pk=pk))]
    assert actions == ["pinged", "secret rotated", "updated", "created"]
    audit = api.get("/api/v1/audit/", {"object_id": pk})
    assert audit.status_code == 200 and audit.json()["count"] == 4


@pytest.mark.django_db
def test_token_from_the_management_command_authenticates(sales_user) -> None:
    out = StringIO()
    call_command("drf_create_token", sales_user.username, stdout=out)
    token = Token.objects.get(user=sales_user)
    assert token.key in out.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/").status_code == 401


@pytest.mark.django_db
def test_list_endpoints_are_paginated(api: APIClient) -> None:
    body = api.get("/api/v1/events/").json()
    assert set(body) == {"count", "next", "previous", "results"}


@pytest.mark.django_db
def test_admin_refuses_a_bad_endpoint_with_a_form_error(admin_user) -> None:
    from django.test import Client

    admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    form = {"name": "X", "url": "https://x.example", "event_types": "nodot", "is_active": "on"}
    response = client.post("/admin/o2c/webhookendpoint/add/", form)
    assert response.status_code == 200
    assert "Not an event type: nodot" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0
    response = client.post("/admin/o2c/webhookendpoint/add/", {**form, "event_types": "invoice.issued"})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert [e.action for e in timeline(endpoint)] == ["created"]


def test_openapi_schema_generates_without_warnings(tmp_path) -> None:
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/products/{id}/availability/" in (tmp_path / "schema.yaml").read_text()
