"""`make docs` builds the dbt docs site and serves it on localhost; headless Chromium (Debian's, driven by
playwright) opens it, goes to a gold model and follows its "Depends On" lists back to the bronze sources."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
from warehouse_builds import REPO_ROOT

GOLD_MODEL = "model.medallion.fct_opportunity_pipeline_by_account"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def docs_url(tmp_path_factory) -> Iterator[str]:
    """`make docs` with no warehouse (the site from the project alone), its site under a directory of its own."""
    work = tmp_path_factory.mktemp("docs")
    port = free_port()
    log = (work / "make_docs.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "docs", f"DOCS_PORT={port}", f"DOCS_TARGET={work / 'site'}",
         f"DOCS_WAREHOUSE={work / 'no_warehouse.duckdb'}"],
        cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env=os.environ | {"MEDALLION_TARGET": "local"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert process.poll() is None, (work / "make_docs.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "make docs did not serve the site"
            time.sleep(1)
        assert (work / "site" / "index.html").exists() and (work / "site" / "manifest.json").exists()
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is needed: apt-get install chromium (Debian's, not a download)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless=new"])
        try:
            yield browser
        finally:
            browser.close()


def depends_on(page, url: str, node_path: str) -> list[str]:
    """The links of a node page's "Depends On" list (#!/model/..., #!/source/...)."""
    page.goto(f"{url}#!/{node_path}")
    page.wait_for_selector("#depends_on", state="attached", timeout=60_000)
    section = page.locator("section.section", has=page.locator("#depends_on"))
    section.locator("a[href^='#!/']").first.wait_for(timeout=60_000)
    return [a.get_attribute("href").removeprefix("#!/") for a in section.locator("a[href^='#!/']").all()]


def test_the_docs_site_traces_a_gold_model_back_to_its_bronze_sources(docs_url, browser):
    page = browser.new_page()
    page.goto(docs_url)
    page.wait_for_selector("text=fct_opportunity_pipeline_by_account", state="attached", timeout=60_000)

    # the gold model's page: its description states the grain
    page.goto(f"{docs_url}#!/model/{GOLD_MODEL}")
    page.wait_for_selector("text=One row per live account", timeout=60_000)

    # walk the lineage upstream through every "Depends On" list, as a reader clicking through would
    seen, frontier, sources = set(), [f"model/{GOLD_MODEL}"], set()
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for parent in depends_on(page, docs_url, node):
            if parent.startswith("source/"):
                sources.add(parent.removeprefix("source/source.medallion."))
            elif parent.startswith("model/"):
                frontier.append(parent)
    models = {node.removeprefix("model/model.medallion.") for node in seen}
    assert {"int_salesforce__opportunities", "int_salesforce__accounts", "stg_salesforce__opportunities",
            "stg_salesforce__accounts"} <= models, models
    assert {"salesforce.opportunity", "salesforce.account"} <= sources, sources

    # a source's page is the bronze table: its sample SQL reads bronze.salesforce__opportunity
    page.goto(f"{docs_url}#!/source/source.medallion.salesforce.opportunity")
    page.wait_for_selector(".app-details >> text=Sample SQL", timeout=60_000)
    assert "bronze.salesforce__opportunity" in page.locator(".app-details").first.inner_text()
    page.close()
