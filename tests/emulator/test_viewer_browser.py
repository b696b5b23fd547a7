"""The emulator's viewer page in a real browser: headless Chromium driven by selenium.

What a recipient does: open a share link, press Reveal, read the text, download
the files. The links are made by this SDK against the emulator; the page
decrypts them with the browser's WebCrypto, so these tests prove that the page
and the SDK agree on the wire format (both nonce formats), that loading the page
spends no view, and that broken links and wrong passwords are explained.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/install-browser.sh``)
and ``selenium``; without them the tests are skipped with the reason. Nothing is
downloaded at run time: the driver and the browser are given by path, so
selenium-manager is never asked. ``SHAROKEY_TEST_CHROMIUM`` and
``SHAROKEY_TEST_CHROMEDRIVER`` point at other binaries.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

pytest.importorskip("aiohttp", reason="the emulator needs aiohttp (sharokey[aiohttp])")
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
)

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from sharokey import Sharokey  # noqa: E402
from sharokey.crypto import seal  # noqa: E402
from sharokey.emulator import EmulatorHandle, run_emulator  # noqa: E402

pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM = os.environ.get("SHAROKEY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SHAROKEY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1000,900",
)
WAIT_SECONDS = 30  # how long to wait for the page before failing, never a measurement
INSECURE_HOST = "viewer.sharokey.test"  # resolved to loopback by Chromium, yet not a secure origin

# What a person would paste: several lines, HTML that must stay text, non-ASCII.
CONTENT = 'db: postgres://app@db/prod\npassword: <img src=x onerror="alert(1)"> ✓ café\n  indented'
ATTACHMENT_NAME = "deploy-key.bin"
ATTACHMENT = bytes(range(256)) * 40 + b"\x00 end"


# --------------------------------------------------------------------------- browser


def _start_chromium(download_dir: Path, profile_dir: Path, *extra: str) -> Any:
    """A headless Chromium under chromedriver; skips the test when either cannot run."""
    for label, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not os.access(path, os.X_OK):
            pytest.skip(
                f"{label} not found at {path}: install Debian's chromium and chromium-driver "
                "(bash .ci/install-browser.sh)"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as error:
        first_line = (error.msg or str(error)).strip().splitlines()[:1]
        pytest.skip(f"headless Chromium did not start: {' '.join(first_line)}")
    driver.set_page_load_timeout(WAIT_SECONDS)
    return driver


@pytest.fixture(scope="module")
def browser_dirs() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sharokey-viewer-") as root:
        yield Path(root)


@pytest.fixture(scope="module")
def browser(browser_dirs: Path) -> Iterator[Any]:
    """One Chromium for the module (it takes about a second to start)."""
    driver = _start_chromium(browser_dirs / "downloads", browser_dirs / "profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def downloads(browser: Any, tmp_path: Path) -> Path:
    """A fresh, empty download folder for this test."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    browser.get_log("performance")  # drop the network events of earlier tests
    return folder


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=["viewer-browser-token"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def client(emulator: EmulatorHandle) -> Iterator[Any]:
    with Sharokey(emulator.token, api_url=emulator.api_url, attachment_nonces="unique") as sdk:
        yield sdk


@pytest.fixture(scope="module")
def official_format_client(emulator: EmulatorHandle) -> Iterator[Any]:
    with Sharokey(emulator.token, api_url=emulator.api_url, attachment_nonces="shared") as sdk:
        yield sdk


# --------------------------------------------------------------------------- page helpers


def _wait(driver: Any, what: str, condition: Callable[[Any], Any]) -> Any:
    try:
        return WebDriverWait(driver, WAIT_SECONDS).until(condition)
    except WebDriverException as error:
        state = driver.find_element(By.ID, "app").get_attribute("data-state")
        pytest.fail(f"the page never reached {what} (state {state!r}): {error.msg}")


def page_state(driver: Any) -> str:
    return str(driver.find_element(By.ID, "app").get_attribute("data-state"))


def open_link(driver: Any, url: str) -> str:
    """Load a link and wait until the page's script has decided what it can do."""
    driver.get("about:blank")  # a link differing only in its fragment must still load anew
    driver.get(url)
    return str(
        _wait(driver, "a settled state", lambda d: page_state(d) != "loading" and page_state(d))
    )


def attempts(driver: Any) -> int:
    """Clicks on Reveal the page has finished handling (its ``data-attempts``)."""
    return int(driver.find_element(By.ID, "app").get_attribute("data-attempts") or 0)


def press_reveal(driver: Any) -> None:
    """Click Reveal and wait until the page has handled the server's answer."""
    before = attempts(driver)
    driver.find_element(By.ID, "reveal").click()
    _wait(driver, "an answer", lambda d: attempts(d) > before)


def text_of(driver: Any, element_id: str) -> str:
    """The element's exact text (``.text`` would fold white space)."""
    return str(driver.find_element(By.ID, element_id).get_property("textContent"))


def download(driver: Any, folder: Path, link_id: str) -> tuple[str, bytes]:
    """Click a download link as a person would and return the saved file."""
    link = driver.find_element(By.ID, link_id)
    name = str(link.get_attribute("download"))
    link.click()
    target = folder / name

    def finished(_: Any) -> bool:
        partial = [p for p in folder.iterdir() if p.name.endswith(".crdownload")]
        return target.exists() and not partial

    _wait(driver, f"the download of {name}", finished)
    return name, target.read_bytes()


def reveal_requests_sent(driver: Any, slug: str) -> int:
    """Reveal requests the browser sent for ``slug``, from its own network log."""
    count = 0
    for entry in driver.get_log("performance"):
        message = entry.get("message", "")
        if '"Network.requestWillBeSent"' in message and f"/secrets/{slug}/reveal" in message:
            count += 1
    return count


def reveal_hits(emulator: EmulatorHandle, slug: str) -> int:
    return emulator.hits("POST", f"/api/v1/secrets/{slug}/reveal")


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("nonces", ["unique", "shared"])
def test_a_recipient_reveals_text_and_downloads_the_file(
    request: pytest.FixtureRequest,
    browser: Any,
    downloads: Path,
    emulator: EmulatorHandle,
    nonces: str,
) -> None:
    sdk = request.getfixturevalue("client" if nonces == "unique" else "official_format_client")
    created = sdk.create(
        CONTENT,
        hours=1,
        views=2,
        description="<b>Prod</b> database",
        attachments=[(ATTACHMENT_NAME, ATTACHMENT)],
    )

    assert open_link(browser, created.share_url) == "ready"
    assert text_of(browser, "description") == "<b>Prod</b> database"
    assert browser.find_elements(By.CSS_SELECTOR, "#description b") == []
    press_reveal(browser)

    assert page_state(browser) == "revealed", text_of(browser, "error")
    assert text_of(browser, "content") == CONTENT
    assert browser.find_elements(By.CSS_SELECTOR, "#content img") == []
    assert "1 more time" in text_of(browser, "remaining")
    assert "#" not in browser.current_url  # the spent key left the address bar
    name, data = download(browser, downloads, "attachment-0")
    assert name == ATTACHMENT_NAME
    assert data == ATTACHMENT
    assert sdk.get_details(created.slug).current_views == 1


def test_loading_the_page_spends_no_view(
    browser: Any, downloads: Path, emulator: EmulatorHandle, client: Any
) -> None:
    created = client.create("one view only", hours=1, views=1, description="scanner bait")

    assert open_link(browser, created.share_url) == "ready"
    browser.refresh()  # a second fetch, as a chat preview after a link scanner would do
    _wait(browser, "the ready state", lambda d: page_state(d) == "ready")

    assert client.get_details(created.slug).current_views == 0
    assert client.reveal(created.share_url).content == "one view only"
    assert client.get_details(created.slug).current_views == 1
    assert reveal_hits(emulator, created.slug) == 1  # the SDK's, none from the page
    assert reveal_requests_sent(browser, created.slug) == 0


def test_a_wrong_password_is_explained_and_the_right_one_reveals(
    browser: Any, downloads: Path, emulator: EmulatorHandle, client: Any
) -> None:
    created = client.create("behind a password", hours=1, views=1, password="correct horse")

    open_link(browser, created.share_url)
    assert browser.find_element(By.ID, "password").is_displayed()
    browser.find_element(By.ID, "password").send_keys("wrong horse")
    press_reveal(browser)

    assert "password is not right" in text_of(browser, "error")
    assert page_state(browser) == "ready"
    assert client.get_details(created.slug).current_views == 0

    field = browser.find_element(By.ID, "password")
    field.clear()
    field.send_keys("correct horse")
    press_reveal(browser)

    assert page_state(browser) == "revealed"
    assert text_of(browser, "content") == "behind a password"
    assert "last view" in text_of(browser, "remaining")


def test_a_one_time_code_is_asked_for_after_the_first_click(
    browser: Any, downloads: Path, emulator: EmulatorHandle, client: Any
) -> None:
    created = client.create("behind a code", hours=1, views=1, otp_email="alice@example.com")

    open_link(browser, created.share_url)
    assert browser.find_element(By.ID, "otp-hint").is_displayed()
    assert not browser.find_element(By.ID, "otp").is_displayed()
    press_reveal(browser)  # no code yet: this asks the server to send one
    _wait(browser, "the code field", lambda d: d.find_element(By.ID, "otp").is_displayed())

    sent = text_of(browser, "otp-sent")
    assert sent.startswith("A code was sent to ")
    assert "@example.com" in sent
    assert "alice@" not in sent  # the server masks the address; the page shows it as given
    assert client.get_details(created.slug).current_views == 0

    browser.find_element(By.ID, "otp").send_keys(emulator.last_otp(created.slug))
    press_reveal(browser)

    assert page_state(browser) == "revealed"
    assert text_of(browser, "content") == "behind a code"


def test_a_captcha_answer_is_asked_for_and_too_many_wrong_ones_lock_the_secret(
    browser: Any, downloads: Path, emulator: EmulatorHandle, client: Any
) -> None:
    created = client.create("behind a captcha", hours=1, views=1, captcha=True)

    open_link(browser, created.share_url)
    assert browser.find_element(By.ID, "captcha").is_displayed()
    messages = []
    for _ in range(10):  # the emulator locks after a handful of wrong answers
        field = browser.find_element(By.ID, "captcha")
        field.clear()
        field.send_keys("not the answer")
        press_reveal(browser)
        messages.append(text_of(browser, "error"))
        if messages[-1].startswith("Too many"):
            break

    assert "captcha answer is not right" in messages[0]
    assert messages[-1].startswith("Too many wrong answers. Try again in ")
    assert client.get_details(created.slug).current_views == 0


@pytest.mark.parametrize(
    "fragment",
    [None, "", "tooShort", "abcdefghijklmnopqrstuvw!", "abcdefghijklmnopqrstuvwxy"],
    ids=["no-fragment", "empty", "short", "symbol", "25-chars"],
)
def test_an_incomplete_link_is_explained_and_reveals_nothing(
    browser: Any,
    downloads: Path,
    emulator: EmulatorHandle,
    client: Any,
    fragment: Optional[str],
) -> None:
    created = client.create("kept safe", hours=1, views=1)
    base = created.share_url.partition("#")[0]
    url = base if fragment is None else f"{base}#{fragment}"

    assert open_link(browser, url) == "incomplete"
    assert "link is incomplete" in text_of(browser, "notice")
    assert browser.find_element(By.ID, "reveal").get_attribute("disabled") is not None
    # Even a button enabled behind the page's back does not send the request.
    before = attempts(browser)
    browser.execute_script(
        "const b = document.getElementById('reveal'); b.disabled = false; b.click();"
    )
    _wait(browser, "the click handled", lambda d: attempts(d) > before)
    assert page_state(browser) == "incomplete"

    assert reveal_hits(emulator, created.slug) == 0
    assert reveal_requests_sent(browser, created.slug) == 0
    assert client.reveal(created.share_url).content == "kept safe"


def test_a_mistyped_link_spends_nothing_and_the_right_one_reveals(
    browser: Any, downloads: Path, client: Any
) -> None:
    created = client.create("needs the right key", hours=1, views=1)
    base, _, key_b = created.share_url.partition("#")
    wrong = key_b[:-1] + ("A" if key_b[-1] != "A" else "B")

    open_link(browser, f"{base}#{wrong}")
    press_reveal(browser)

    assert page_state(browser) == "mistyped"
    assert "Nothing was spent" in text_of(browser, "error")
    assert text_of(browser, "content") == ""
    assert client.get_details(created.slug).current_views == 0

    assert open_link(browser, created.share_url) == "ready"
    press_reveal(browser)
    assert page_state(browser) == "revealed"
    assert text_of(browser, "content") == "needs the right key"


def test_a_key_the_server_cannot_check_is_still_reported_as_a_damaged_link(
    browser: Any, downloads: Path, client: Any, emulator: EmulatorHandle
) -> None:
    # A secret created without a key check (as the official SDKs do): the view is spent and
    # decryption, in the browser, is what finds the wrong key.
    sealed = seal("needs the right key")
    made = requests.post(
        emulator.api_url + "/secrets",
        json={**sealed.payload, "maximum_views": 2},
        headers={"Authorization": f"Bearer {emulator.token}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    base = made.json()["data"]["access_url"]
    wrong = sealed.key_b[:-1] + ("A" if sealed.key_b[-1] != "A" else "B")

    open_link(browser, f"{base}#{wrong}")
    press_reveal(browser)

    assert page_state(browser) == "damaged"
    assert "link is wrong or damaged" in text_of(browser, "error")
    assert text_of(browser, "content") == ""


def test_a_used_up_secret_says_so_without_a_button(
    browser: Any, downloads: Path, client: Any
) -> None:
    created = client.create("read once", hours=1, views=1)
    client.reveal(created.share_url)

    assert open_link(browser, created.share_url) == "gone"
    assert "does not exist, has expired or was already viewed" in text_of(browser, "notice")
    assert not browser.find_element(By.ID, "reveal").is_displayed()


def test_an_insecure_origin_is_told_to_use_https_or_localhost(
    browser_dirs: Path, emulator: EmulatorHandle, client: Any, tmp_path: Path
) -> None:
    created = client.create("not over plain http", hours=1, views=1)
    # The same server under a name that is not loopback: Chromium gives it no WebCrypto.
    url = created.share_url.replace("127.0.0.1", INSECURE_HOST, 1)
    assert INSECURE_HOST in url
    driver = _start_chromium(
        tmp_path / "downloads",
        tmp_path / "profile",
        f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
    )
    try:
        assert open_link(driver, url) == "insecure"
        assert driver.execute_script("return window.isSecureContext") is False
        assert "open this page over HTTPS or on localhost/127.0.0.1" in text_of(driver, "notice")
        assert driver.find_element(By.ID, "reveal").get_attribute("disabled") is not None
    finally:
        driver.quit()
    assert client.get_details(created.slug).current_views == 0


def test_the_page_loads_nothing_from_elsewhere(browser: Any, downloads: Path, client: Any) -> None:
    created = client.create("self-contained", hours=1, views=1)
    open_link(browser, created.share_url)
    origin = created.share_url.split("/s/", 1)[0]

    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat([...document.querySelectorAll('[src],[href]')]"
        ".map(e => e.src || e.href))"
    )
    assert [u for u in urls if not u.startswith(origin)] == []
