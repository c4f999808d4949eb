"""Starts what the end-to-end tests need: Xvfb, WebKitWebDriver and the real app."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from webdriver import Session  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "target" / "debug" / "secondread"
DEMO = ROOT / "target" / "demo-data"
SHOTS = ROOT / "target" / "e2e-screenshots"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def cli(data_dir, *args):
    """Runs a headless verb of the same binary."""
    result = subprocess.run([str(APP), "--data-dir", str(data_dir), *args], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"secondread {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def display():
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("Xvfb did not start")
        time.sleep(0.1)
    yield f":{number}"
    xvfb.terminate()
    xvfb.wait(timeout=10)


@pytest.fixture(scope="session")
def webdriver_url(display):
    port = free_port()
    env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true")
    driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    yield f"http://127.0.0.1:{port}"
    driver.terminate()
    driver.wait(timeout=10)


@pytest.fixture
def data_dir(tmp_path):
    """A data dir with the demo data imported, as `make run` prepares it."""
    path = tmp_path / "data"
    cli(path, "import", str(DEMO))
    return path


@pytest.fixture
def launch(webdriver_url, request):
    """Starts the app on a data dir; returns a WebDriver session. Each is closed at the end."""
    sessions = []

    def start(data_dir):
        session = Session(webdriver_url, str(APP), ["--data-dir", str(data_dir)])
        sessions.append(session)
        session.wait_for("tr[data-item]")
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
