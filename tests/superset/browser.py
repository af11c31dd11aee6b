"""Drive Superset's UI in Debian's headless Chromium through playwright (never `playwright install`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: the first chart queries warm a cold Superset worker on a loaded 2-core machine. These are
# waits for a state to appear, never assertions on how long it took.
UI_TIMEOUT_MS = 180_000


@contextmanager
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("[data-test=username-input]", username)
    page.fill("[data-test=password-input]", password)
    page.click("[data-test=login-button]")
    page.wait_for_url(lambda current: "/login" not in current)


def chart(page: Page, name: str) -> str:
    """The CSS selector of a chart of the open dashboard, by its title."""
    return f'[data-test-chart-name="{name}"]'


def read_table(page: Page, chart_name: str) -> list[dict[str, str]]:
    """The rows of a table chart as ``{column header: cell text}``."""
    holder = chart(page, chart_name)
    page.wait_for_selector(f"{holder} table tbody tr")
    headers = [text.strip() for text in page.locator(f"{holder} table thead th").all_inner_texts()]
    rows = []
    for row in page.locator(f"{holder} table tbody tr").all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def choose_filter_value(page: Page, filter_name: str, value: str) -> None:
    """Pick ``value`` in a select filter of the filter bar and apply the filters."""
    # the filter's title carries its id (`filter-name-<id>`); its select carries `data-test=<id>`
    title = page.locator("[data-test=filter-control-name]", has_text=filter_name)
    filter_id = (title.get_attribute("id") or "").removeprefix("filter-name-")
    page.locator(f'[data-test="{filter_id}"] .ant-select-selector').click()
    page.keyboard.type(value)
    page.locator(f'.ant-select-item-option[title="{value}"]').click()
    page.keyboard.press("Escape")
    page.click("[data-test=filter-bar__apply-button]")
