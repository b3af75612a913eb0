"""Screenshot of the access report page for docs/: `python -m tools.report_screenshot cdk.out docs/access-report-page.png`.

Renders the page (`python -m constructs_iam.report --format html`) and photographs it in Debian's
chromium through Playwright, the same browser the page's tests use.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from constructs_iam import report


def main(cdk_out: str, png: str, width: int = 1400, height: int = 1800) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "access.html"
        data = report.report(report.read_assembly(cdk_out), source=cdk_out)
        page_path.write_text(report.to_html(data))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_path.as_uri())
            page.screenshot(path=png)
            browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
