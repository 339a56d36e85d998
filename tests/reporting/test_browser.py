"""Every HTML page genoclass writes, opened in real headless Chromium.

Each page must load offline (no request leaves file:/data:), log no console error or
uncaught exception, and show only images that decoded (naturalWidth > 0). A full-page
screenshot of each goes to ``test-artifacts/screenshots/`` in the repository (or the folder
named by ``GENOCLASS_SCREENSHOTS``) for CI to keep. The browser is driven over the Chrome
DevTools Protocol on a pipe (``--remote-debugging-pipe``), so no client library is needed.
The tests skip, saying so, where no Chromium is installed (Debian: ``apt-get install
chromium``).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from genoclass.cli import main
from genoclass.data.synthetic_expression import planted_marker_expression

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
SCREENSHOTS = Path(
    os.environ.get("GENOCLASS_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)
#: schemes a self-contained page may load (the page itself and its embedded images)
LOCAL_SCHEMES = ("file:", "data:", "about:")
EXECUTABLE = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)

# skip before any fixture builds the pages
pytestmark = pytest.mark.skipif(
    EXECUTABLE is None,
    reason="no Chromium found (looked for " + ", ".join(BROWSERS) + "); install it with "
    "`apt-get install chromium` to check the HTML pages in a real browser",
)


class Chromium:
    """Headless Chromium with a fresh profile, spoken to over the DevTools pipe (commands on
    the browser's fd 3, NUL-terminated JSON replies and events on its fd 4)."""

    def __init__(self, executable: str, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="genoclass-chromium-")
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        # bash (dash cannot redirect fds above 9) sets the child's fds 3 and 4; our ends
        # stay above 4 so they cannot clash with those
        keep = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in (to_browser, from_browser)]
        os.close(to_browser)
        os.close(from_browser)
        script = f'exec "$0" "$@" 3<&{keep[0]} 4>&{keep[1]}'
        args = [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.process = subprocess.Popen(
            [shutil.which("bash") or "/bin/bash", "-c", script, *args],
            pass_fds=keep,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in keep:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result (events arriving meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self.wait_for(lambda m: m.get("id") == self._next_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_for(self, matches: Any) -> dict:
        """Read messages until one ``matches``; the others are appended to ``events``."""
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if matches(message):
                return message
            self.events.append(message)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        """Close the browser and remove its profile."""
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


def open_page(browser: Chromium, path: Path, screenshot: Path) -> dict[str, Any]:
    """Load ``path`` in a new tab with the network switched off and return what happened:
    the URLs requested, console errors and uncaught exceptions, and every image's alt text
    and natural width; a full-page PNG screenshot is written to ``screenshot``."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    attached = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
    session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    offline = {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0}
    browser.send("Network.emulateNetworkConditions", offline, session=session)
    viewport = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.send("Emulation.setDeviceMetricsOverride", viewport, session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    browser.wait_for(lambda m: m.get("method") == "Page.loadEventFired")
    images = browser.send(
        "Runtime.evaluate",
        {
            "expression": "JSON.stringify(Array.from(document.images, "
            "i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth})))",
            "returnByValue": True,
        },
        session=session,
    )["result"]["value"]
    size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 20000)}
    shot = browser.send(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}},
        session=session,
    )
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    events = list(browser.events)
    browser.send("Target.closeTarget", {"targetId": target})
    return {
        "requests": [
            e["params"]["request"]["url"]
            for e in events
            if e.get("method") == "Network.requestWillBeSent"
        ],
        "errors": _errors(events),
        "images": json.loads(images),
    }


def _errors(events: list[dict]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            found.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(params["entry"].get("text", ""))
    return found


@pytest.fixture(scope="module")
def browser() -> Any:
    """A headless Chromium for this module's tests."""
    chromium = Chromium(str(EXECUTABLE))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def expression_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A planted-marker expression matrix with a label column (3 classes, 15 samples each)."""
    folder = tmp_path_factory.mktemp("browser_expr")
    matrix, labels, _ = planted_marker_expression(15, 60, 3, ["A", "B", "C"], seed=4)
    matrix.assign(label=labels).to_csv(folder / "matrix.csv")
    (folder / "space.yaml").write_text(
        "model: logistic_regression\nparams:\n  C: [0.01, 1.0]\n  max_iter: [50, 500]\n"
    )
    return folder


def _cli(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


@pytest.fixture(scope="module")
def pages(tiny_demo_explained: Path, expression_data: Path, tmp_path_factory) -> dict:
    """One page of every kind, from tiny runs: the neural run and its explain page (the
    shared demo-like run), a random-forest run and its explain page, a comparison, a tuning
    study and a cross-validation (classical models, so they take seconds)."""
    run = tiny_demo_explained.parent
    out = tmp_path_factory.mktemp("browser_pages")
    matrix = str(expression_data / "matrix.csv")
    forest = out / "forest"
    _cli("train", "--data", matrix, "--model", "random_forest", "--param", "n_estimators=20",
         "--out", str(forest))  # fmt: skip
    _cli("explain", "--model", str(forest), "--data", matrix)
    _cli("compare", "--data", matrix, "--models", "logistic_regression,svm", "--seeds", "2",
         "--out", str(out / "compare"))  # fmt: skip
    _cli("tune", "--data", matrix, "--space", str(expression_data / "space.yaml"),
         "--val-size", "0.3", "--out", str(out / "tune"))  # fmt: skip
    _cli("train", "--data", matrix, "--model", "logistic_regression", "--cv", "2",
         "--out", str(out / "cv"))  # fmt: skip
    return {
        "run_neural": run / "report.html",
        "explain_sequences": tiny_demo_explained / "explain.html",
        "run_random_forest": forest / "report.html",
        "explain_expression": forest / "explain" / "explain.html",
        "compare": out / "compare" / "comparison.html",
        "tune": out / "tune" / "tune_report.html",
        "cv": out / "cv" / "cv_report.html",
    }


PAGE_NAMES = [
    "run_neural",
    "explain_sequences",
    "run_random_forest",
    "explain_expression",
    "compare",
    "tune",
    "cv",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_renders_offline_without_errors(browser: Chromium, pages: dict, name: str) -> None:
    screenshot = SCREENSHOTS / f"{name}.png"
    start = time.perf_counter()
    seen = open_page(browser, pages[name], screenshot)
    remote = [u for u in seen["requests"] if not u.startswith(LOCAL_SCHEMES)]
    assert remote == [], f"{name} requested {remote}"
    assert seen["errors"] == [], f"{name} logged {seen['errors']}"
    assert seen["images"], f"{name} shows no image"
    broken = [i["alt"] for i in seen["images"] if not (i["complete"] and i["width"] > 0)]
    assert broken == [], f"{name}: images that did not decode: {broken}"
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert time.perf_counter() - start < 15


def test_a_broken_image_and_a_remote_request_are_caught(browser: Chromium, tmp_path) -> None:
    """The checks above can fail: a page with an undecodable image, a remote image and a
    console error is reported as such (and nothing leaves the machine: the tab is offline)."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img alt="broken" src="data:image/png;base64,AAAA">'
        '<img alt="remote" src="http://192.0.2.1/x.png">'
        "<script>console.error('boom')</script></body></html>"
    )
    seen = open_page(browser, page, tmp_path / "bad.png")
    assert "http://192.0.2.1/x.png" in seen["requests"]
    assert any("boom" in e for e in seen["errors"])
    assert {i["alt"] for i in seen["images"] if i["width"] == 0} == {"broken", "remote"}
