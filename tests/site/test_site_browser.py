"""The built site in a real browser: Debian's chromium, headless, driven by Playwright."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.site_builds import ROOT
from support.site_builds import Build

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "test-artifacts"
"""Screenshots kept after the run (build/ is git-ignored), to look at what the test saw."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served_site(site_build: Build) -> Iterator[str]:
    """The repository's built site, served by ``python -m http.server`` on 127.0.0.1."""
    assert site_build.returncode == 0, site_build.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site_build.site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium to run the browser test")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def test_search_open_a_layer_page_see_its_output_and_plot_and_filter_the_catalog(
    served_site: str, browser: object, tmp_path: Path
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served_site}/")

    # Material's search: type a third-party layer's name, follow the first result.
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # The index loads in a web worker; Material says so in the results' header.
    page.locator(".md-search-result__meta", has_text="Type to start searching").wait_for(
        timeout=20_000
    )
    page.locator("input.md-search__input").press_sequentially("Gated", delay=50)
    result = page.locator(".md-search-result__item a").first
    result.wait_for(state="visible", timeout=20_000)
    result.click()
    page.wait_for_url("**/layers/acme/Gated/**", timeout=20_000)
    assert page.locator("h1").first.inner_text().rstrip("¶") == "Gated"

    # The executed example's real output is on the page.
    output = page.locator("pre", has_text="output shape: (4, 3)")
    assert output.count() >= 1
    assert page.get_by_text("acme docstring example: (2, 3)").count() >= 1

    # The response plot loads (it is lazy: bring it into view first).
    plot = page.locator('img[src$="Gated.png"]')
    plot.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=plot.element_handle(), timeout=20_000
    )
    assert plot.evaluate("img => img.naturalWidth") > 0
    screenshot = tmp_path / "gated.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot of the layer page: {screenshot}")

    # The catalog's filter: by plugin, then by tag.
    page.goto(f"{served_site}/layers/")
    rows = page.locator("article table tbody tr")
    total = rows.count()
    assert total >= 10
    page.select_option('select[data-lr-filter="plugin"]', "acme")
    visible = [row.inner_text() for row in rows.all() if row.is_visible()]
    assert len(visible) == 2 and all("acme" in row for row in visible)
    assert page.locator(".lr-count").inner_text() == f"2 of {total} layers"
    page.select_option('select[data-lr-filter="plugin"]', "")
    page.select_option('select[data-lr-filter="tag"]', "gating")
    visible = [row.inner_text() for row in rows.all() if row.is_visible()]
    assert len(visible) == 1 and "Gated" in visible[0]
    page.screenshot(path=str(tmp_path / "catalog.png"), full_page=True)
    # The conformance filter shows the rows whose summary has the chosen status.
    page.select_option('select[data-lr-filter="tag"]', "")
    unchecked = page.locator('article tbody [data-lr-status="unchecked"]').count()
    page.select_option('select[data-lr-filter="status"]', "unchecked")
    assert page.locator(".lr-count").inner_text() == f"{unchecked} of {total} layers"
    assert page.locator('select[data-lr-filter="backend"]').count() == 1

    # A tag link preselects the filter.
    page.goto(f"{served_site}/layers/?tag=time-series")
    page.wait_for_function("document.querySelector('.lr-count').textContent.length > 0")
    assert page.locator(".lr-count").inner_text().startswith("1 of")
    assert errors == []


def test_a_layer_page_opens_with_a_headed_table_and_a_3d_input_shows_its_captioned_plot(
    served_site: str, browser: object
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Time2Vec's example input is (4, 16, 1): batch, steps, features.
    page.goto(f"{served_site}/layers/periodic/Time2Vec/")
    assert page.locator("h1").first.inner_text().rstrip("¶") == "Time2Vec"

    # The metadata table, the page's first: a header of real words, no blank row above Name.
    table = page.locator("article table").first
    headers = [cell.inner_text().strip() for cell in table.locator("thead th").all()]
    assert headers == ["Field", "Value"]
    first_row = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert first_row == ["Name", "periodic>Time2Vec"]

    # The response plot, swept at step 0, loads, and its caption says what it shows.
    figure = page.locator("article figure", has=page.locator('img[src$="Time2Vec.png"]'))
    plot = figure.locator("img")
    plot.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=plot.element_handle(), timeout=20_000
    )
    assert plot.evaluate("img => img.naturalWidth") > 0
    caption = figure.locator("figcaption").inner_text()
    assert caption.startswith("Each output unit at step 0")
    assert "as input feature 0 at step 0 sweeps from -3 to 3" in caption
    assert page.get_by_text("No response plot").count() == 0

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "layer-page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot of the Time2Vec page: {screenshot}")
    assert errors == []
