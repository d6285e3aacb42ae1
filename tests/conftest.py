"""Shared fixtures: role users, an API client, a local webhook receiver, a real Celery worker."""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from o2c.errors import DomainError
from o2c.roles import ADMIN, FINANCE, SALES, WAREHOUSE, setup_roles


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database gets the roles once; tests roll back on top of it."""
    with django_db_blocker.unblock():
        setup_roles()


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, first_name=username.title())
    if role:
        if not Group.objects.filter(name=role).exists():  # a transactional test flushed the groups
            setup_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def _role_user(username: str, role: str, doc: str = "") -> object:
    @pytest.fixture
    def fixture(db) -> User:  # `db`: the database must be ready
        return make_user(username, role)

    fixture.__doc__ = doc or f"A member of the {role} group."
    return fixture


sales_user = _role_user("sam", SALES)
warehouse_user = _role_user("wanda", WAREHOUSE)
finance_user = _role_user("fiona", FINANCE)
admin_user = _role_user("ada", ADMIN, "A member of the Admin group (not a superuser: its permissions must suffice).")


def client_for(user: User) -> Client:
    """A browser client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(admin_user: User) -> User:
    """The Admin-group user allowed into the Django admin (staff, not a superuser)."""
    admin_user.is_staff = True
    admin_user.save()
    return admin_user


@pytest.fixture
def staff_client(staff: User) -> Client:
    return client_for(staff)


def page_queries(client: Client, url: str, marker: str) -> tuple[int, int]:
    """(queries, rows) of one page: rows are the occurrences of `marker` in its HTML."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), len(re.findall(marker, response.content.decode()))


def api_queries(client: APIClient, user: User, call: Callable[[APIClient], object], expect: int) -> int:
    """Queries of one API call as `user` (re-read, so no permission cache is carried over)."""
    client.force_authenticate(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = call(client)
    assert response.status_code == expect, response.json()
    return len(ctx.captured_queries)


def api_client_for(user: User) -> APIClient:
    """An API client authenticated as `user` (as a token would)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(admin_user: User) -> APIClient:
    return api_client_for(admin_user)


@pytest.fixture
def sales_api(sales_user: User) -> APIClient:
    return api_client_for(sales_user)


@pytest.fixture
def warehouse_api(warehouse_user: User) -> APIClient:
    return api_client_for(warehouse_user)


@pytest.fixture
def finance_api(finance_user: User) -> APIClient:
    return api_client_for(finance_user)


@dataclass
class Receiver:
    """A local HTTP server that records what it receives and answers with `status`."""

    url: str
    status: int = 200
    requests: list[dict] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver = holder["r"]
            receiver.requests.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
            self.send_response(receiver.status)
            self.end_headers()
            receiver.received.set()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[None]:
    """A real Celery worker (in-process, solo pool) on the test Redis, against the test database."""
    from celery.contrib.testing.worker import start_worker

    from o2c.celery import app

    app.control.purge()  # messages left by earlier tests name rows that no longer exist
    cache.clear()  # and markers of messages that were purged (e.g. billing's queue kick)
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[DomainError]]:
    """Run the calls at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    refusals: list[DomainError] = []
    crashes: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            result = call()
            with lock:
                results.append(result)
        except DomainError as exc:
            with lock:
                refusals.append(exc)
        except BaseException as exc:  # anything else fails the test below
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert crashes == []
    return results, refusals


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, by poppler's pdftotext (installed with the system packages)."""
    done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True, timeout=60)
    return done.stdout.decode()


def changelist_queries(client: Client, urls: list[str]) -> dict[str, int]:
    """{url: queries the page ran} for admin change lists (or any pages) that must answer 200."""
    found = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        found[url] = len(queries)
    return found
