import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login

NAVIGATION = {
    "sales_user": {"Overview", "Sales"},
    "warehouse_user": {"Overview", "Warehouse"},
    "finance_user": {"Overview", "Finance"},
    "admin_user": {"Overview", "Administration"},
}


@pytest.mark.parametrize("role_fixture", list(NAVIGATION))
def test_each_role_logs_in_and_sees_its_navigation(role_fixture: str, page: Page, live_server, request) -> None:
    user: User = request.getfixturevalue(role_fixture)
    login(page, live_server.url, user.username, "pw-" + user.username)

    titles = page.locator("[data-testid=nav-section] > div:first-child").all_inner_texts()
    assert {t.strip().title() for t in titles} == {s.title() for s in NAVIGATION[role_fixture]}
    expect(page.get_by_test_id("current-user")).to_contain_text(user.first_name)

    # every link in the navigation opens a page that works for this role
    hrefs = page.locator("[data-testid=sidebar] a.nav-link").evaluate_all("links => links.map(a => a.href)")
    for href in hrefs:
        response = page.goto(href)
        assert response is not None and response.status == 200, href


def test_wrong_password_shows_an_error_and_stays_logged_out(page: Page, live_server, sales_user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", sales_user.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_admin_creates_a_webhook_in_the_browser_and_sees_its_history(
    page: Page, live_server, admin_user
) -> None:
    login(page, live_server.url, admin_user.username, "pw-" + admin_user.username)
    page.goto(f"{live_server.url}/webhooks/new/")
    page.fill("#id_name", "Warehouse robot")
    page.fill("#id_url", "not a url")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("full http:// or https:// URL")

    page.fill("#id_url", "https://robot.example.com/hook")
    page.fill("#id_event_types", "shipment.shipped")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Warehouse robot")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("created")
    expect(page.get_by_test_id("timeline")).to_contain_text(admin_user.username)
    page.screenshot(path="var/e2e-webhook.png", full_page=True)
