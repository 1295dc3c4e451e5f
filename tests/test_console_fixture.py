"""The console fixtures: a real `roomctl console`, users made by the CLI, both logins."""

from __future__ import annotations

import importlib.util

import pytest

from tests.fixtures.browser import People
from tests.fixtures.console import (
    CSRF_HEADER,
    STAFF,
    SUPERVISOR,
    VIEWER,
    Account,
    ConsoleProcess,
    login_api,
    login_page,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("roomctl.console") is None,
    reason="roomctl console is not in this tree (issue 11's console)",
)


def test_each_account_logs_in_through_the_api_with_its_role(console: ConsoleProcess) -> None:
    for account in (VIEWER, STAFF, SUPERVISOR):
        with console.client() as http:
            session = login_api(http, account)
            assert (session["user"], session["role"]) == (account.name, account.role)
            assert http.headers[CSRF_HEADER] == session["csrf"]
            assert http.get("/api/session").json()["user"] == account.name


def test_a_page_logs_in_through_the_form(console: ConsoleProcess, people: People) -> None:
    staff = people.open("staff")
    login_page(staff.page, console.url, STAFF)
    assert not staff.page.url.endswith("/login")
    assert staff.page.locator("#logout").count() == 1
    staff.assert_clean()
    wrong = people.open("wrong")
    with pytest.raises(pytest.fail.Exception, match="could not log in"):
        login_page(wrong.page, console.url, Account(STAFF.name, "not-it", STAFF.role))
    assert wrong.page.locator("#login-error").count() == 1
