"""Starts what the end-to-end tests need: Xvfb, WebKitWebDriver and the real app."""

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "documents"))
sys.path.insert(0, str(Path(__file__).parents[1] / "stack"))
import harness
import stack as platform
from webdriver import Session

APP = harness.ROOT / "target" / "debug" / "secondread"
DEMO = harness.DEMO
DOCUMENTS = harness.ROOT / "target" / "documents"
SHOTS = harness.ROOT / "target" / "e2e-screenshots"

# The app's "system browser" under test: an HTTP client that signs in as the user
# named in BROWSER_LOGIN (tests/stack/browser.py). Set before WebKitWebDriver starts,
# whose environment the app inherits.
BROWSER_LOGIN = harness.ROOT / "target" / "e2e-browser-login.json"
os.environ["BROWSER"] = f"{sys.executable} {harness.ROOT / 'tests' / 'stack' / 'browser.py'}"
os.environ["SR_TEST_BROWSER_LOGIN"] = str(BROWSER_LOGIN)
# Tests that name no platform run the demo session, as `make run` does; a test that
# names a platform file (even one not yet written) gets that platform instead.
os.environ["SECONDREAD_DEMO"] = "1"


def cli(data_dir, *args):
    return harness.cli(APP, data_dir, *args)


@pytest.fixture(scope="module")
def stack():
    """The platform side (PostgreSQL, the realm, the review API), one per test module."""
    with platform.Stack() as running:
        yield running


@pytest.fixture
def s3():
    """A real S3 server with an empty bucket, for this test alone."""
    with harness.S3Bucket() as bucket:
        yield bucket


@pytest.fixture
def plaintext_store(monkeypatch):
    """The app keeps a new data dir unencrypted (its test-only switch), for the tests
    that read the catalogue's tables themselves to see inside the queue or a result."""
    monkeypatch.setenv("SECONDREAD_UNENCRYPTED_FOR_TESTS", "1")


@pytest.fixture(scope="session")
def webdriver_url():
    xvfb, display = harness.start_xvfb()
    driver, url = harness.start_webdriver(display)
    yield url
    harness.stop(driver)
    harness.stop(xvfb)


@pytest.fixture
def data_dir(tmp_path):
    """A data dir with the demo data imported, as `make run` prepares it."""
    path = tmp_path / "data"
    cli(path, "import", str(DEMO))
    return path


@pytest.fixture
def launch(webdriver_url):
    """Starts the app on a data dir; returns a WebDriver session. Each is closed at the end."""
    sessions = []

    def start(data_dir, args=(), ready="tr[data-item]"):
        session = Session(webdriver_url, str(APP), ["--data-dir", str(data_dir), *args])
        sessions.append(session)
        session.wait_for(ready)
        return session

    yield start
    for session in sessions:
        session.quit()


@pytest.fixture
def shots(request):
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(session, name):
        session.screenshot(SHOTS / f"{request.node.name}-{name}.png")

    return save


def pytest_sessionstart(session):
    if not APP.exists() or not DEMO.exists():
        raise pytest.UsageError("build first: make build demo-data")
    shutil.rmtree(SHOTS, ignore_errors=True)
