"""Helpers for the browser tests: a live server for an app, Chromium through Playwright, and
the checks every page gets (screenshot for review, axe-core, nothing from other hosts, no
blocked script or style)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
BLOCKING = ("serious", "critical")
_axe = Axe()


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 on a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


class Watched:
    """One browser tab and what went wrong in it: console errors (CSP violations among
    them), uncaught script errors, requests to other hosts, dialogs (a script ran)."""

    def __init__(self, context, base: str, name: str):
        self.base, self.name = base, name
        self.problems: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.on("dialog", self._dialog)
        self.shots = 0

    def _console(self, message) -> None:
        # a page answered with 4xx on purpose (a form with errors) logs "Failed to load
        # resource"; failed assets are caught by _response instead
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _response(self, response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def _request(self, request) -> None:
        if not request.url.startswith((self.base, "data:", "blob:")):
            self.problems.append(f"request to another host: {request.url}")

    def _dialog(self, dialog) -> None:
        self.problems.append(f"a dialog opened (a script ran): {dialog.message}")
        dialog.dismiss()

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def check(self, label: str, axe: bool = True) -> None:
        """Screenshot the page for review and fail on serious or critical axe violations
        (axe needs scripts: a tab without them only takes the screenshot)."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png",
                             full_page=True)
        if not axe:
            return
        results = _axe.run(self.page)
        bad = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        assert not bad, f"{label}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes'][:3]]}" for v in bad)

    def assert_clean(self) -> None:
        assert not self.problems, self.problems
