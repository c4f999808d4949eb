"""The platform session in the real app (WebKitGTK under Xvfb): sign in through the
system browser (BROWSER is tests/stack/browser.py, an HTTP client filling the realm's
login form), decide, watch the status bar sync; a conflict shown with the other
reviewer's decision and kept; a refusal shown with its reason; sign out."""

import json
import subprocess

from conftest import APP, BROWSER_LOGIN, cli, platform
from test_review import CANVAS, PAINTED
from test_sync_cli import as_json, decide, imaging_items, login, run, sync


def browser_signs_in_as(username):
    BROWSER_LOGIN.write_text(json.dumps({"username": username, "password": platform.password_of(username)}))


def open_first(app):
    app.keys("Enter")
    app.wait_for(CANVAS)
    app.wait_until(lambda: app.script(PAINTED) > 50, "the first frame painted")


def test_sign_in_review_and_sync_in_the_app(stack, launch, data_dir, tmp_path, shots):
    settings = stack.platform_toml(tmp_path / "platform.toml")
    app = launch(data_dir, ["--platform", str(settings)], ready="[data-testid=sign-in]")
    assert app.find_all("button[data-role]") == []
    assert "Sign in to see your worklists" in app.text("[data-testid=session-message]")
    shots(app, "signed-out")

    browser_signs_in_as("dana")
    app.click("[data-testid=sign-in]")
    app.wait_until(lambda: "Dana Doctor" in (app.text("[data-testid=who]") or ""), "Dana's name in the header",
                   timeout=60)
    assert "doctor" in app.text("[data-testid=who]")
    assert [b.lower() for b in app.texts("button[data-role]")] == ["doctor"]
    app.wait_for("tr[data-item]")
    assert app.text("[data-testid=pending]") == "0 pending"
    shots(app, "signed-in")

    open_first(app)
    app.keys("1")
    # The decision wakes the background sync: it reaches the API without a click.
    app.wait_until(lambda: app.text("[data-testid=synced]") == "1 synced", "the decision synced", timeout=60)
    assert app.text("[data-testid=pending]") == "0 pending"
    assert "never" not in app.text("[data-testid=last-sync]")
    shots(app, "synced")
    decided = json.loads(cli(data_dir, "--platform", str(settings), "verdicts", "--json"))
    mine = [v for v in decided if v["reviewer"]["username"] == "dana"]
    assert len(mine) == 1 and stack.verdicts_stored(f"uuid = '{mine[0]['uuid']}'") == 1

    # Offline: the API goes away, decisions wait, the bar says why; back, they go.
    app.wait_until(lambda: app.text(".position").startswith("2 /"), "auto-advance")
    app.wait_until(lambda: app.script(PAINTED) > 50, "the second item painted")
    stack.api.stop()
    try:
        app.keys("1")
        app.wait_until(lambda: app.text("[data-testid=pending]") == "1 pending", "the decision waiting")
        app.click("[data-testid=sync-now]")
        app.wait_until(lambda: app.find_all("[data-testid=offline]"), "the offline notice", timeout=90)
        shots(app, "offline")
    finally:
        stack.api.start()
    app.click("[data-testid=sync-now]")
    app.wait_until(lambda: app.text("[data-testid=synced]") == "2 synced", "the waiting decision synced", timeout=60)
    assert not app.find_all("[data-testid=offline]")

    app.keys("Escape")
    app.click("[data-testid=sign-out]")
    app.wait_for("[data-testid=sign-in]")
    assert app.find_all("button[data-role]") == []


def test_a_conflict_is_shown_with_their_decision_and_kept_in_the_app(stack, launch, tmp_path, shots):
    settings = stack.platform_toml(tmp_path / "platform.toml")
    dana_dir, drew_dir = tmp_path / "dana", tmp_path / "drew"
    for d in (dana_dir, drew_dir):
        cli(d, "import", str(platform.ROOT / "target" / "demo-data"))
    login(dana_dir, settings, "dana")
    login(drew_dir, settings, "drew")
    first = imaging_items(dana_dir, settings, 1)
    decide(dana_dir, settings, first, decision="agree")
    assert sync(dana_dir, settings)[1]["accepted"] == 1
    decide(drew_dir, settings, first, decision="disagree")
    assert sync(drew_dir, settings)[1]["conflicts"] == 1

    app = launch(drew_dir, ["--platform", str(settings)])
    app.wait_until(lambda: app.text("[data-testid=conflicts]") == "1 conflict", "the conflict in the status bar")
    open_first(app)
    app.wait_for("[data-testid=unsynced]")
    assert app.text("[data-testid=unsynced] h3").lower() == "conflict with dana"
    assert app.text("[data-testid=theirs]") == "agree"
    shots(app, "conflict")
    app.click("[data-testid=keep-mine]")
    app.wait_until(lambda: not app.find_all("[data-testid=unsynced]"), "the conflict answered")
    app.wait_until(lambda: app.text("[data-testid=synced]") == "1 synced", "the kept decision synced", timeout=60)
    assert not app.find_all("[data-testid=conflicts]")
    # Exactly one verdict of Drew's reached the platform: his, knowingly against Dana's.
    drew = json.loads(stack.postgres.sql("SELECT body FROM verdicts WHERE body->'reviewer'->>'username' = 'drew'"))
    assert drew["decision"] == "disagree" and drew["acknowledges"]
    subprocess.run([str(APP), "--data-dir", str(drew_dir), "--platform", str(settings), "logout"], check=True,
                   capture_output=True)


def test_a_refused_decision_shows_why_and_holds_back_nothing_in_the_app(stack, launch, tmp_path, shots):
    """Otto decides on a clinic-a and a clinic-b item, then the realm takes clinic-a from
    him: the platform refuses that decision by name (403), takes the other, and the app
    says which and why, though the refused item is no longer his to open."""
    settings = stack.platform_toml(tmp_path / "platform.toml")
    otto_dir = tmp_path / "otto"
    cli(otto_dir, "import", str(platform.ROOT / "target" / "demo-data"))
    stack.set_tenants("otto", ["clinic-a", "clinic-b"])
    try:
        login(otto_dir, settings, "otto")
        rows = as_json(run(otto_dir, settings, "items", "--role", "doctor", "--state", "new", "--json"))["rows"]
        theirs = next(r for r in rows if r["tenant"] == "clinic-a" and not r["error"])
        his = next(str(r["id"]) for r in rows if r["tenant"] == "clinic-b" and not r["error"])
        decide(otto_dir, settings, [str(theirs["id"])], decision="agree")
        decide(otto_dir, settings, [his], decision="agree")
    finally:
        stack.set_tenants("otto", ["clinic-b"])
    _, report = sync(otto_dir, settings)
    assert (report["accepted"], report["failed"]) == (1, 1), report
    assert stack.verdicts_stored("body->'reviewer'->>'username' = 'otto'") == 1

    app = launch(otto_dir, ["--platform", str(settings)])
    app.wait_until(lambda: app.text("[data-testid=failed]") == "1 refused", "the refusal in the status bar")
    said = app.text("[data-testid=latest-refusal]")
    assert theirs["key"] in said and "otto does not review for clinic-a" in said, said
    app.wait_for("[data-testid=hidden]")
    assert "of clinics you do not review for" in app.text("[data-testid=hidden]")
    assert not app.find_all(f"tr[data-item='{theirs['id']}']"), "the refused item is not his to open now"
    assert app.text("[data-testid=tenants]") == "· clinic-b"
    shots(app, "refused")
    subprocess.run([str(APP), "--data-dir", str(otto_dir), "--platform", str(settings), "logout"], check=True,
                   capture_output=True)


def test_signed_out_nothing_is_pulled_and_signing_in_pulls_that_persons_clinics(stack, launch, tmp_path, shots):
    """A source that holds three clinics: signed out, its listing pulls nothing and says
    why; Otto signs in and it runs at once, bringing clinic-b's batches alone."""
    settings = stack.platform_toml(tmp_path / "platform.toml")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[cache]\npoll_minutes = 60\n\n[[source]]\nname = "share"\ntype = "folder"\n'
                       f'path = "{platform.ROOT / "target" / "demo-data"}"\n')
    data = tmp_path / "otto"
    app = launch(data, ["--platform", str(settings), "--sources", str(sources)], ready="[data-testid=sign-in]")
    app.click("button.sources-button")
    row = "li[data-source='share']"
    failed = app.wait_until(lambda: app.text(f"{row} .status.error"), "the signed-out listing to be refused")
    assert "sign in first" in failed, failed

    browser_signs_in_as("otto")
    app.click("[data-testid=sign-in]")
    app.wait_for("tr[data-item]", timeout=120)
    shots(app, "pulled-on-sign-in")
    app.click("button.sources-button")
    done = app.wait_until(lambda: app.text(f"{row} .status.done"), "the pull that signing in started")
    assert "new items" in done, done
    assert app.text(f"{row} [data-testid=not-yours]").endswith("clinic-a, hospital-c")
    shots(app, "sources-after-sign-in")
    app.click("button.sources-button")
    app.wait_for("tr[data-item]")
    tenants = {r["tenant"] for r in as_json(run(data, settings, "items", "--role", "doctor", "--json"))["rows"]}
    assert tenants == {"clinic-b"}
    assert not app.find_all("[data-testid=hidden]"), "nothing of another clinic reached this workstation"
    subprocess.run([str(APP), "--data-dir", str(data), "--platform", str(settings), "logout"], check=True,
                   capture_output=True)


def locked_out(app, who="Dana Doctor"):
    """The lock screen is up, and nothing of the work behind it is visible."""
    app.wait_for("[data-testid=lock-screen]", timeout=90)
    visible = app.script("return document.body.innerText;")
    assert "SecondRead is locked" in visible
    assert f"Locked for {who}" in visible
    assert not app.script("const c = document.querySelector('canvas'); return !!c && c.offsetParent !== null;")
    for hidden in ("Worklist", "pending", "cr-0001"):
        assert hidden not in visible, hidden


def test_the_screen_locks_and_only_a_fresh_sign_in_unlocks_it(stack, launch, data_dir, tmp_path, shots):
    # The workstation allows 30 idle minutes; the realm asks for 1 for dana (her
    # token's `lock_minutes`), and the shorter one holds.
    settings = stack.platform_toml(tmp_path / "platform.toml", lock_minutes=30)
    stack.set_lock_minutes("dana", 1)
    try:
        locks_and_unlocks(stack, launch, data_dir, settings, shots)
    finally:
        stack.set_lock_minutes("dana", None)


def locks_and_unlocks(stack, launch, data_dir, settings, shots):
    app = launch(data_dir, ["--platform", str(settings)], ready="[data-testid=sign-in]")
    browser_signs_in_as("dana")
    app.click("[data-testid=sign-in]")
    app.wait_for("tr[data-item]", timeout=60)
    assert not app.find_all("[data-testid=audit]"), "dana is no auditor"
    open_first(app)
    app.type_into("textarea", "half-written note")

    # The desktop's screen saver starts: the window locks at once, and keys do nothing.
    subprocess.run(["dbus-send", "--session", "--type=signal", "/org/freedesktop/ScreenSaver",
                    "org.freedesktop.ScreenSaver.ActiveChanged", "boolean:true"], check=True)
    locked_out(app)
    shots(app, "locked")
    app.keys("1")
    assert json.loads(cli(data_dir, "--platform", str(settings), "verdicts", "--json")) == [], "a key behind the lock decided"

    # Unlocking is a fresh sign-in (the realm asks for the password); the work is kept.
    browser_signs_in_as("dana")
    app.click("[data-testid=unlock]")
    app.wait_until(lambda: not app.find_all("[data-testid=lock-screen]"), "unlocked", timeout=60)
    assert app.script("return document.querySelector('textarea').value;") == "half-written note"

    # Left alone for the realm's lock_minutes, it locks by itself; another person
    # unlocking gets a window of their own, without the first person's note.
    locked_out(app)
    browser_signs_in_as("bea")
    app.click("[data-testid=unlock]")
    app.wait_until(lambda: "bea" in (app.text("[data-testid=who]") or ""), "bea's session", timeout=60)
    assert not app.find_all("[data-testid=lock-screen]")
    assert "half-written note" not in app.script("return document.body.innerHTML;")

    # bea is the realm's auditor: the Audit screen shows the locks, checked.
    app.click("[data-testid=audit]")
    app.wait_for("tr[data-audit=unlocked]")
    assert app.text("[data-testid=chain]").startswith("Hash chain intact")
    rows = app.texts("tr[data-audit=locked]")
    assert len(rows) == 2 and all("dana" in row for row in rows), rows
    shots(app, "audit")
    app.click("[data-testid=audit]")
    app.click("[data-testid=lock]")
    locked_out(app, who="Bea Both")

    trail = json.loads(cli(data_dir, "--platform", str(settings), "audit", "--json"))
    locks = [(r["action"], r["actor_username"], r["detail"]) for r in trail if r["action"] in ("locked", "unlocked")]
    assert locks == [
        ("locked", "dana", {"reason": "desktop"}),
        ("unlocked", "dana", {"same_person": True}),
        ("locked", "dana", {"reason": "idle"}),
        ("unlocked", "bea", {"same_person": False}),
        ("locked", "bea", {"reason": "asked"}),
    ]
