"""Starting and stopping the real pieces on this machine: Xvfb, WebKitWebDriver, the CLI."""

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def start_xvfb(size="1280x800x24"):
    """Returns (process, display) for a private X server."""
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            xvfb.kill()
            raise TimeoutError("Xvfb did not start")
        time.sleep(0.1)
    return xvfb, f":{number}"


def start_webdriver(display):
    """Returns (process, url) for WebKitWebDriver on a free loopback port."""
    port = free_port()
    env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true")
    driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return driver, f"http://127.0.0.1:{port}"


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def cli(app, data_dir, *args):
    """Runs a headless verb of the app binary; returns its stdout."""
    result = subprocess.run([str(app), "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"secondread {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def app_pids(data_dir):
    """The app process started on this data dir."""
    found = subprocess.run(["pgrep", "-f", f"secondread --data-dir {data_dir}"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def start_moto():
    """Returns (process, endpoint URL) for an S3 server (moto) on a free loopback port."""
    port = free_port()
    moto = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, timeout=60)
    return moto, f"http://127.0.0.1:{port}"
