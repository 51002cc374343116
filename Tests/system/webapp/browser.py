"""Headless Chromium driven by Selenium, shut off from every network but loopback.

``Browser`` wraps one WebDriver session with what the web-app tests need: open a page of the app,
fill and submit its forms by their ``name`` attributes, wait for text, read localStorage, and read
what the page asked the network for (Chrome's performance log) and printed on its console.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 15.0
#: No traffic but loopback. Chromium still tries a few of its own services (update and time checks,
#: account lookups, the distribution's start page) whatever the flags: those go to a proxy that is
#: not there (loopback bypasses proxies) and no host name but 127.0.0.1 resolves.
CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # the tests run as root
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--window-size=1100,720",
    "--lang=en-US",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
)


class MissingBrowser(RuntimeError):
    """Chromium or its driver is not installed (Debian packages chromium and chromium-driver)."""


@dataclass
class NetworkAnswer:
    """One answer the page received: method, path (with query) and status."""

    method: str
    path: str
    status: int


class Browser:
    """One headless Chromium session on a fresh profile; ``quit()`` ends it."""

    def __init__(self, base_url: str) -> None:
        for path in (CHROMIUM, CHROMEDRIVER):
            if not Path(path).exists():
                raise MissingBrowser(f"{path} is missing: apt-get install chromium chromium-driver")
        self.base_url = base_url.rstrip("/")
        self.profile = Path(tempfile.mkdtemp(prefix="sys-webapp-profile-"))
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in CHROMIUM_ARGUMENTS:
            options.add_argument(argument)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self._requests: dict[str, tuple[str, str]] = {}
        self.answers: list[NetworkAnswer] = []
        self.console: list[dict] = []

    def quit(self) -> None:
        """Ends the browser and deletes its profile."""
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---------------------------------------------------------------- pages

    def open(self, route: str = "") -> None:
        """Loads the app at ``/`` (``#/ROUTE`` when given), as a person typing the address would."""
        self.driver.get(self.base_url + "/" + (f"#/{route}" if route else ""))

    def go(self, route: str) -> None:
        """Follows the app's own navigation link to ROUTE (``home``, ``user``, ``admin``, ...)."""
        self.wait_visible(f'[data-link="{route}"]').click()

    def view(self) -> str:
        """The name of the page (data-view section) now shown."""
        shown = [s.get_attribute("data-view") for s in self.driver.find_elements(By.CSS_SELECTOR, "[data-view]")
                 if s.is_displayed()]
        return shown[0] if len(shown) == 1 else f"<{len(shown)} views shown: {shown}>"

    def wait_view(self, name: str) -> WebElement:
        """Waits until page NAME is the one shown; returns its section."""
        self.wait_visible(f'[data-view="{name}"]')
        return self.driver.find_element(By.CSS_SELECTOR, f'[data-view="{name}"]')

    def fill(self, form: str, **fields: str) -> None:
        """Types FIELDS into the inputs of form ``data-form=FORM``, found by their ``name`` attributes."""
        element = self.wait_visible(f'form[data-form="{form}"]')
        for name, value in fields.items():
            box = element.find_element(By.NAME, name)
            box.clear()
            box.send_keys(value)

    def submit(self, form: str) -> None:
        """Clicks the submit button of form ``data-form=FORM``."""
        self.driver.find_element(By.CSS_SELECTOR, f'form[data-form="{form}"] button[type="submit"]').click()

    def text(self, selector: str) -> str:
        """The visible text of the first element matching SELECTOR."""
        return self.driver.find_element(By.CSS_SELECTOR, selector).text

    def displayed(self, selector: str) -> bool:
        """True when an element matching SELECTOR exists and is shown."""
        return any(element.is_displayed() for element in self.driver.find_elements(By.CSS_SELECTOR, selector))

    def wait_visible(self, selector: str, timeout: float = WAIT_SECONDS) -> WebElement:
        """The first element matching SELECTOR once it is shown."""
        return WebDriverWait(self.driver, timeout).until(
            conditions.visibility_of_element_located((By.CSS_SELECTOR, selector)),
            f"{selector} not shown within {timeout}s (page shows {self.view()})",
        )

    def wait_text(self, selector: str, text: str, timeout: float = WAIT_SECONDS) -> str:
        """Waits until the element matching SELECTOR shows exactly TEXT; returns it."""
        try:
            WebDriverWait(self.driver, timeout).until(
                lambda driver: driver.find_element(By.CSS_SELECTOR, selector).text.strip() == text
            )
        except TimeoutException:
            found = self.driver.find_elements(By.CSS_SELECTOR, selector)
            shown = found[0].text.strip() if found else None
            raise AssertionError(f"{selector} shows {shown!r}, not {text!r}, after {timeout}s (page {self.view()})") from None
        return text

    def wait_until(self, predicate, message: str, timeout: float = WAIT_SECONDS) -> None:  # noqa: ANN001
        """Waits until PREDICATE() is true; AssertionError with MESSAGE otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{message} (after {timeout}s, page {self.view()})")
            time.sleep(0.1)

    # ---------------------------------------------------------------- state

    def stored_user(self) -> dict | None:
        """localStorage["user"] parsed (what the tutorial's clients keep), or None."""
        text = self.driver.execute_script('return window.localStorage.getItem("user");')
        return json.loads(text) if text else None

    def network(self) -> list[NetworkAnswer]:
        """Every answer to the page's own requests so far (fetches and documents), in order."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                request = params["request"]
                self._requests[params["requestId"]] = (request["method"], request["url"])
            elif message.get("method") == "Network.responseReceived":
                method, url = self._requests.get(params["requestId"], ("?", params["response"]["url"]))
                if not url.startswith(("http:", "https:", "ws:", "wss:")):
                    continue  # the browser's own chrome:// pages and data: URLs
                path = url[len(self.base_url):] if url.startswith(self.base_url + "/") else url
                self.answers.append(NetworkAnswer(method, path, int(params["response"]["status"])))
        return list(self.answers)

    def foreign_requests(self) -> list[str]:
        """URLs the page asked for that are not on the app's own origin (there must be none)."""
        self.network()
        prefix = self.base_url + "/"
        return sorted({url for _, url in self._requests.values()
                       if url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(prefix)})

    def page_errors(self) -> list[str]:
        """Console entries that mean the page broke: script errors and Content-Security-Policy violations."""
        return [entry["message"] for entry in self.console_log()
                if entry.get("source") == "javascript" or "Content Security Policy" in entry.get("message", "")]

    def console_log(self) -> list[dict]:
        """Everything the page printed on its console so far (errors, CSP reports, failed loads)."""
        self.console.extend(self.driver.get_log("browser"))
        return list(self.console)

    def save_evidence(self, folder: Path) -> list[Path]:
        """Writes a screenshot, the console log and the network answers into FOLDER; returns the files."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        screenshot = folder / "screenshot.png"
        if self.driver.save_screenshot(str(screenshot)):
            written.append(screenshot)
        console = folder / "console.log"
        console.write_text("".join(f"{e.get('level')} {e.get('source', '')} {e.get('message')}\n"
                                   for e in self.console_log()))
        written.append(console)
        network = folder / "network.log"
        network.write_text("".join(f"{a.method} {a.path} -> {a.status}\n" for a in self.network()))
        written.append(network)
        page = folder / "page.html"
        page.write_text(self.driver.page_source)
        written.append(page)
        return written
