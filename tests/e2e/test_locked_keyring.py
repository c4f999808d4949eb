"""A desktop whose keyring is locked (its login keyring never unlocked): SecondRead says
so and what to do, in a second, and writes nothing of the data it was given."""

import json
import os
import subprocess

from conftest import APP, DEMO


def test_a_locked_keyring_is_a_clear_error_and_nothing_is_stored(tmp_path):
    home = tmp_path / "keyring-home"
    home.mkdir()
    data = tmp_path / "data"
    # A private D-Bus session whose gnome-keyring was started but never unlocked; no
    # display, so that no unlock prompt can open and wait.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_DATA_HOME"] = str(home)
    script = ('gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; '
              f'exec "{APP}" --demo --data-dir "{data}" --json import "{DEMO}"')
    result = subprocess.run(["dbus-run-session", "--", "sh", "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if line.startswith("{")]
    error = json.loads(line)
    assert error["code"] == "keyring", error
    assert "cannot be reached or is locked" in error["message"]
    assert "unlock your desktop keyring" in error["message"]
    assert not (data / "catalogue.sqlite3").exists(), "no store opened without its key"
    assert not (data / "blobs").exists(), "nothing of the import was written"
