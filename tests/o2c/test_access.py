"""Every URL needs a login (but login, static and the API schema); roles see only their pages."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {"/accounts/login/", "/admin/login/", "/api/schema/"}


def _all_paths(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every route in the resolver, with sample values filled in for its parameters."""
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            paths.extend(_all_paths(entry, pattern))
        elif isinstance(entry, URLPattern):
            path = re.sub(r"<(?:int:)?[a-z_]*pk>|<int:[a-z_]+>|\(\?P<pk>[^)]*\)", "1", pattern)
            path = re.sub(r"<(?:slug|str|path):[a-z_]+>|\(\?P<[a-z_]+>[^)]*\)", "x", path)
            path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "")
            path = re.sub(r"\.\(\?P<format>[a-z0-9]+\)/?", "", path).replace("(?P<format>[a-z0-9]+)", "json")
            paths.append("/" + path.replace(".*", "anything"))
    return sorted(set(paths))


@pytest.mark.django_db
def test_every_url_but_the_public_ones_needs_a_login() -> None:
    client = Client()
    paths = _all_paths()
    assert len(paths) > 40  # the sweep really walked the resolver (admin, API, pages)
    checked = 0
    for path in paths:
        if path in PUBLIC or path.startswith("/static/"):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"] or "/admin/login/" in response["Location"], path
            else:
                assert response.status_code in (401, 403, 404, 405), (method, path, response.status_code)
                assert response.status_code != 404 or path.startswith("/api/"), (method, path)
            checked += 1
    assert checked > 80


@pytest.mark.django_db
def test_public_pages_answer_without_a_login() -> None:
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content


@pytest.mark.parametrize(
    ("role_fixture", "allowed", "forbidden"),
    [
        ("sales_user", ["/", "/orders/"], ["/inventory/", "/billing/", "/webhooks/", "/events/", "/activity/"]),
        ("warehouse_user", ["/", "/inventory/", "/fulfillment/"], ["/orders/", "/billing/", "/webhooks/"]),
        ("finance_user", ["/", "/billing/", "/receivables/", "/activity/"], ["/orders/", "/webhooks/", "/events/"]),
        ("admin_user", ["/", "/webhooks/", "/webhooks/new/", "/events/", "/activity/", "/api/docs/"], []),
    ],
)
@pytest.mark.django_db
def test_roles_reach_their_pages_only(role_fixture: str, allowed: list[str], forbidden: list[str], request) -> None:
    user: User = request.getfixturevalue(role_fixture)
    client = Client()
    client.force_login(user)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in forbidden:
        assert client.get(path).status_code == 403, path


@pytest.mark.django_db
def test_password_change_and_logout(sales_user: User) -> None:
    client = Client()
    assert client.login(username="sam", password="pw-sam")
    bad = client.post("/accounts/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200 and "incorrectly" in bad.content.decode()
    done = client.post("/accounts/password/", {"old_password": "pw-sam", "new_password1": "Blue-Tiger-2026",
                                                "new_password2": "Blue-Tiger-2026"})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/done/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert Client().login(username="sam", password="Blue-Tiger-2026")
