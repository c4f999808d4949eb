"""No silent demo mode: without platform.toml and without --demo the app and the verbs
grant nothing (no worklist, no role, no pull), and the app's first-run screen asks for
the platform's address and writes platform.toml, refusing one that is not safe."""

import json
import os
import signal
import subprocess
import time

import harness
from conftest import APP, DEMO, cli
from webdriver import WebDriverError


def refused(data, platform, *args):
    result = subprocess.run([str(APP), "--data-dir", str(data), "--platform", str(platform), *args, "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, result.stdout
    return json.loads(result.stderr)


def test_without_a_platform_nothing_is_granted_and_the_first_run_writes_platform_toml(launch, tmp_path, shots):
    data = tmp_path / "data"
    cli(data, "import", str(DEMO))
    platform = tmp_path / "config" / "platform.toml"

    items = refused(data, platform, "items", "--role", "doctor")
    assert items["code"] == "not_permitted" and "not connected" in items["message"], items
    decide = refused(data, platform, "decide", "1", "--role", "doctor", "--decision", "agree")
    assert decide["code"] == "not_permitted", decide

    app = launch(data, ["--platform", str(platform)], ready="[data-testid=first-run]")
    shots(app, "first-run")
    assert app.find_all("tr[data-item]") == [], "no worklist before sign-in"
    assert app.find_all("nav.roles button") == [], "no role before sign-in"
    assert app.find_all(".sources-button") == [], "no pulls before sign-in"

    # Plain http to another machine would send tokens in the clear: refused, nothing written.
    app.type_into("input[name=issuer]", "http://sso.clinic.example/realms/review")
    app.type_into("input[name=api]", "https://review.clinic.example")
    app.click("button[type=submit]")
    app.wait_for("[data-testid=first-run] [role=alert]")
    assert "only https" in app.text("[data-testid=first-run] [role=alert]")
    assert not platform.exists()

    app.type_into("input[name=issuer]", "https://sso.clinic.example/realms/review")
    try:
        app.click("button[type=submit]")
    except WebDriverError:
        pass  # the app starts again, connected: the window that was clicked goes with it
    deadline = time.monotonic() + 20
    while not platform.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    for pid in harness.app_pids(data):
        os.kill(pid, signal.SIGTERM)  # the new process runs outside WebDriver's reach
    written = platform.read_text()
    assert 'issuer = "https://sso.clinic.example/realms/review"' in written, written
    assert 'client_id = "secondread"' in written and 'api = "https://review.clinic.example"' in written

    # The next start is a platform session: signed out, still nothing to review.
    whoami = json.loads(cli(data, "--platform", str(platform), "whoami", "--json"))
    assert whoami["session"]["mode"] == "signed_out" and whoami["session"]["roles"] == [], whoami


def test_a_lost_key_has_its_own_screen_and_forgetting_starts_over(launch, data_dir, shots):
    subprocess.run(["secret-tool", "clear", "service", "secondread", "username", f"store:{data_dir.resolve()}"],
                   check=True)
    app = launch(data_dir, ready="[data-testid=lost-key]")
    screen = app.text("[data-testid=lost-key]")
    assert "not yet synced are lost" in screen and app.find_all("tr[data-item]") == []
    app.click("[data-testid=forget]")
    shots(app, "lost-key")
    try:
        app.click("[data-testid=forget-confirm]")
    except WebDriverError:
        pass  # the app starts again on the empty data dir
    deadline = time.monotonic() + 20
    while (data_dir / "blobs").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    for pid in harness.app_pids(data_dir):
        os.kill(pid, signal.SIGTERM)
    assert json.loads(cli(data_dir, "items", "--json"))["rows"] == [], "a fresh, empty workstation"
    assert json.loads(cli(data_dir, "import", str(DEMO), "--json"))["added"] > 0, "and it works"
