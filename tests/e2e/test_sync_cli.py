"""Sign-in and verdict sync against the real platform side (tests/stack): the
Keycloak-shaped OpenID provider, the reference review API and PostgreSQL, with the
refresh token in the real OS keyring (gnome-keyring in `make e2e`'s D-Bus session).
The person at the browser is an HTTP client filling the realm's login form."""

import json
import shutil
import signal
import subprocess
import time

import pytest
import requests
from conftest import APP, DEMO, cli, platform


@pytest.fixture
def settings(stack, tmp_path):
    return stack.platform_toml(tmp_path / "platform.toml")


def run(data_dir, settings, *args, timeout=300):
    return subprocess.run([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), *args],
                          capture_output=True, text=True, timeout=timeout)


def as_json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def login(data_dir, settings, username, password=None):
    """`secondread login` with the browser step done by `platform.sign_in`."""
    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "login",
                             "--no-browser", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line.startswith("Open this address to sign in: "), line
    url = line.split(": ", 1)[1].strip()
    platform.sign_in(url, username, password or platform.password_of(username))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out)


def imaging_items(data_dir, settings, count, skip=0):
    """Undecided imaging items; tests sharing a stack take items of their own (`skip`),
    so that one test's decisions do not conflict with another's."""
    rows = as_json(run(data_dir, settings, "items", "--role", "doctor", "--state", "new", "--json"))["rows"]
    assert len(rows) >= skip + count
    return [str(r["id"]) for r in rows[skip:skip + count]]


def decide(data_dir, settings, items, decision="agree", role="doctor"):
    return as_json(run(data_dir, settings, "decide", *items, "--role", role, "--decision", decision, "--json"))


def sync(data_dir, settings, *args):
    result = run(data_dir, settings, "sync", "--json", *args)
    return result, json.loads(result.stdout) if result.stdout else None


def keyring_token(stack, data_dir):
    """The refresh token the app keeps in the OS keyring for a data dir (read like any
    keyring client would)."""
    found = subprocess.run(["secret-tool", "lookup", "service", "secondread", "username",
                            f"refresh:{platform.CLIENT_ID}@{stack.realm.issuer} {data_dir.resolve()}"],
                           capture_output=True, text=True)
    return found.stdout.strip()


def test_sign_in_shows_who_and_offers_only_their_roles(stack, settings, tmp_path, data_dir):
    before = as_json(run(data_dir, settings, "whoami", "--json"))
    assert before["session"]["mode"] == "signed_out"
    refused = run(data_dir, settings, "items", "--role", "doctor", "--json")
    assert refused.returncode != 0 and json.loads(refused.stderr)["code"] == "not_permitted"

    info = login(data_dir, settings, "dana")
    assert (info["mode"], info["username"], info["name"], info["roles"]) == \
        ("signed_in", "dana", "Dana Doctor", ["doctor"])
    assert as_json(run(data_dir, settings, "items", "--role", "doctor", "--json"))["rows"]
    coder = run(data_dir, settings, "items", "--role", "coder", "--json")
    assert coder.returncode != 0
    assert json.loads(coder.stderr) == {"code": "not_permitted", "message": "dana does not have the coder role"}

    # The refresh token is in the keyring, and nowhere in the data dir.
    token = keyring_token(stack, data_dir)
    assert len(token) > 20
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    session = json.loads((data_dir / "session.json").read_text())
    assert set(session) == {"issuer", "client_id", "identity"}
    assert session["identity"]["roles"] == ["doctor"]

    both = login(tmp_path / "bea", settings, "bea")
    assert both["roles"] == ["doctor", "coder"]
    nobody = login(tmp_path / "nils", settings, "nils")
    assert nobody["roles"] == [] and "none of the reviewing roles" in nobody["message"]


def test_decisions_reach_the_api_exactly_once(stack, settings, data_dir):
    login(data_dir, settings, "theo")
    items = as_json(run(data_dir, settings, "items", "--role", "technician", "--state", "new", "--json"))["rows"][:3]
    made = decide(data_dir, settings, [str(r["id"]) for r in items], decision="blurry", role="technician")
    status = as_json(run(data_dir, settings, "whoami", "--json"))
    assert status["outbox"]["pending"] == 3 and status["outbox"]["last_success_at"] is None

    result, report = sync(data_dir, settings)
    assert result.returncode == 0, result.stderr
    assert (report["sent"], report["accepted"], report["pending"]) == (3, 3, 0)
    assert report["audit_records"] >= 5, "sign-in, three decisions and the opens before them"
    uuids = "','".join(v["uuid"] for v in made)
    assert stack.verdicts_stored(f"uuid IN ('{uuids}')") == 3
    stored = json.loads(stack.postgres.sql(f"SELECT body FROM verdicts WHERE uuid = '{made[0]['uuid']}'"))
    assert stored["reviewer"]["username"] == "theo" and stored["decision"] == "blurry"

    again, report = sync(data_dir, settings)
    assert again.returncode == 0 and report["sent"] == 0
    status = as_json(run(data_dir, settings, "whoami", "--json"))["outbox"]
    assert (status["synced"], status["pending"]) == (3, 0) and status["last_success_at"]

    # The audit trail went with them: every record up to the sync, with its hash, and
    # the platform's copy cannot be edited or continued by a forged record.
    trail = as_json(run(data_dir, settings, "audit", "--json"))
    station = trail[0]["workstation"]
    held = dict(line.split("|") for line in stack.postgres.sql(
        f"SELECT seq, hash FROM audit_records WHERE workstation = '{station}' ORDER BY seq").splitlines())
    decided = [r for r in trail if r["action"] == "decided"]
    assert len(decided) == 3 and all(held.get(str(r["seq"])) == r["hash"] for r in decided)
    assert [int(seq) for seq in held] == list(range(1, len(held) + 1)), "no gaps"
    assert all(held[str(r["seq"])] == r["hash"] for r in trail if str(r["seq"]) in held)
    with pytest.raises(subprocess.CalledProcessError):
        stack.postgres.sql(f"UPDATE audit_records SET action = 'opened' WHERE workstation = '{station}'")
    last = trail[len(held) - 1]
    forged = dict(last, seq=last["seq"] + 1, uuid="019ad000-0000-7000-8000-0000000f0123", prev_hash=last["hash"],
                  detail=None, action="opened", item_id=None, tenant=None, item_sha256=None, hash="0" * 64)
    token = stack.tokens("theo")["access_token"]
    refused = requests.post(f"{stack.api.url}/v1/audit", json={"records": [forged]},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert refused.status_code == 422 and refused.json()["uuids"] == [forged["uuid"]]
    flood = requests.post(f"{stack.api.url}/v1/audit", json={"records": [forged] * 1001},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert flood.status_code == 422 and "at most 1000" in flood.json()["message"]

    # The data dir restored from a backup goes on from an earlier point: the platform
    # keeps both branches of the trail, the restored one marked forked, and the sync
    # goes on.
    backup = data_dir.parent / "backup"
    shutil.copytree(data_dir, backup)
    decide(data_dir, settings, [str(items[0]["id"])], decision="retake", role="technician")
    assert sync(data_dir, settings)[0].returncode == 0
    for again in ("blurry", "over_exposed"):  # restored twice: a place in the trail holds three records
        shutil.rmtree(data_dir)
        shutil.copytree(backup, data_dir)
        decide(data_dir, settings, [str(items[0]["id"])], decision=again, role="technician")
        result, report = sync(data_dir, settings)
        assert result.returncode == 0, result.stderr
    assert int(stack.postgres.sql(
        f"SELECT count(*) FROM audit_records WHERE workstation = '{station}' AND forked")) > 0

    # Retention: what the platform accepted goes once its time is up; the pending
    # decision's item stays; a purged item comes back with its batch.
    pending = as_json(run(data_dir, settings, "items", "--role", "technician", "--state", "new", "--json"))["rows"][0]
    decide(data_dir, settings, [str(pending["id"])], decision="accept", role="technician")
    kept = as_json(run(data_dir, settings, "purge", "--json"))
    assert kept["purge"]["items"] == [], "settled just now: within the default 30 days"
    dry = as_json(run(data_dir, settings, "purge", "--retain-days", "0", "--dry-run", "--json"))
    decided = {r["id"] for r in items}
    assert {i["item_id"] for i in dry["purge"]["items"]} == decided and dry["purge"]["bytes"] > 0
    def listed():
        return {r["id"] for r in as_json(run(data_dir, settings, "items", "--role", "technician", "--json"))["rows"]}

    assert decided <= listed(), "a dry run purges nothing"
    purged = as_json(run(data_dir, settings, "purge", "--retain-days", "0", "--json"))
    assert {i["item_id"] for i in purged["purge"]["items"]} == decided
    assert not decided & listed() and pending["id"] in listed()
    trail = as_json(run(data_dir, settings, "audit", "--json"))
    assert {r["item_id"] for r in trail if r["action"] == "purged"} == decided
    as_json(run(data_dir, settings, "import", str(DEMO), "--json"))
    assert decided <= listed()

    # The log names what happened, never the tokens.
    logs = list((data_dir / "logs").glob("secondread.*.log"))
    text = "".join(path.read_text() for path in logs)
    assert '"message":"sync"' in text and '"message":"retention purge"' in text
    assert keyring_token(stack, data_dir)[:24] not in text


def test_api_down_then_up_keeps_everything_and_resumes(stack, settings, data_dir):
    login(data_dir, settings, "dana")
    made = decide(data_dir, settings, imaging_items(data_dir, settings, 2))
    stack.api.stop()
    try:
        result, report = sync(data_dir, settings)
        assert result.returncode != 0
        assert report["stopped"]["code"] == "unreachable" and report["pending"] == 2
        outbox = as_json(run(data_dir, settings, "whoami", "--json"))["outbox"]
        assert outbox["pending"] == 2 and outbox["last_error_code"] == "unreachable"
        # Reviewing goes on offline.
        decide(data_dir, settings, imaging_items(data_dir, settings, 1), decision="escalate")
    finally:
        stack.api.start()
    result, report = sync(data_dir, settings)
    assert result.returncode == 0, result.stderr
    assert report["accepted"] == 3 and report["pending"] == 0
    assert stack.verdicts_stored(f"uuid = '{made[0]['uuid']}'") == 1


def test_server_errors_are_retried_then_the_sync_waits_for_the_next_try(stack, settings, data_dir):
    login(data_dir, settings, "dana")
    made = decide(data_dir, settings, imaging_items(data_dir, settings, 1, skip=35))
    # The API is up but its database is not: it answers 503 to every batch.
    stack.postgres.stop()
    try:
        result, report = sync(data_dir, settings)
        assert result.returncode != 0
        assert report["stopped"]["code"] == "server_error" and "503" in report["stopped"]["message"]
        assert report["pending"] == 1
    finally:
        stack.postgres.run()
    result, report = sync(data_dir, settings)
    assert result.returncode == 0 and report["accepted"] == 1
    assert stack.verdicts_stored(f"uuid = '{made[0]['uuid']}'") == 1


def test_kill_9_mid_sync_then_restart_stores_each_verdict_once(stack, settings, tmp_path):
    data_dir = tmp_path / "data"
    batch = tmp_path / "bulk" / "clinic-k" / "2026-12-01-bulk"
    batch.mkdir(parents=True)
    from PIL import Image
    for i in range(600):
        Image.new("L", (8, 8), i % 256).save(batch / f"img-{i:04}.png")
    cli(data_dir, "import", str(tmp_path / "bulk"))
    login(data_dir, settings, "drew")
    rows = as_json(run(data_dir, settings, "items", "--role", "doctor", "--tenant", "clinic-k", "--json"))["rows"]
    assert len(rows) == 600
    decide(data_dir, settings, [str(r["id"]) for r in rows], decision="disagree")
    mine = "tenant = 'clinic-k'"

    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "sync",
                             "--batch-size", "5", "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while stack.verdicts_stored(mine) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored_before = stack.verdicts_stored(mine)
    assert 100 <= stored_before < 600, "the kill did not land mid-sync"

    result, report = sync(data_dir, settings)
    assert result.returncode == 0, result.stderr
    assert report["pending"] == 0 and report["accepted"] + report["duplicates"] == report["sent"]
    assert report["accepted"] == 600 - stored_before
    assert stack.verdicts_stored(mine) == 600
    assert int(stack.postgres.sql(f"SELECT count(DISTINCT item_key) FROM verdicts WHERE {mine}")) == 600
    assert as_json(run(data_dir, settings, "whoami", "--json"))["outbox"]["synced"] == 600


def test_a_verdict_without_the_role_is_refused_clearly_and_not_retried(stack, settings, data_dir):
    # A coder's token posting a doctor's verdict, straight at the API: 403, nothing stored.
    tokens = stack.tokens("cora")
    me = requests.get(f"{stack.api.url}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["username"] == "cora" and me.json()["roles"] == ["coder"]
    verdict = {"uuid": "019ad000-0000-7000-8000-000000000001",
               "item": {"tenant": "t", "batch": "b", "key": "k", "sha256": "0" * 64},
               "kind": "diagnosis", "decision": "agree", "ai": None, "note": "", "role": "doctor",
               "reviewer": {"subject": me.json()["subject"], "username": "cora"},
               "decided_at": "2026-12-01T10:00:00Z", "time_spent_ms": 1, "supersedes": None}
    refused = requests.post(f"{stack.api.url}/v1/verdicts", json={"verdicts": [verdict]},
                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden", "uuids": [verdict["uuid"]],
                              "message": "a diagnosis verdict needs the doctor role, which cora does not have"}
    assert stack.verdicts_stored(f"uuid = '{verdict['uuid']}'") == 0

    # Through the app: decided offline while a doctor, the role taken away before sync.
    login(data_dir, settings, "bea")
    made = decide(data_dir, settings, imaging_items(data_dir, settings, 1, skip=10))
    stack.set_roles("bea", ["coder"])
    try:
        result, report = sync(data_dir, settings)
        assert result.returncode == 0, result.stderr
        assert (report["failed"], report["pending"]) == (1, 0)
        refused = report["status"]["unsynced"]
        assert [u["mine"]["uuid"] for u in refused] == [made[0]["uuid"]]
        assert refused[0]["error"] == "a diagnosis verdict needs the doctor role, which bea does not have"
        assert report["status"]["session"]["roles"] == ["coder"]
        # Not retried by itself.
        _, report = sync(data_dir, settings)
        assert report["sent"] == 0
    finally:
        stack.set_roles("bea", ["doctor", "coder"])
    result, report = sync(data_dir, settings, "--retry-failed")
    assert result.returncode == 0 and report["accepted"] == 1


def test_verdicts_past_the_contracts_limits_are_refused_by_name_and_the_rest_stored(stack, settings, data_dir):
    # Straight at the API: a NUL in a note (PostgreSQL cannot store it) and a note one
    # character over the limit are each answered 422 by uuid, never 5xx.
    token = stack.tokens("dana")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    me = requests.get(f"{stack.api.url}/v1/me", headers=auth, timeout=30).json()

    def verdict(n, note):
        return {"uuid": f"019ad000-0000-7000-8000-0000000a000{n}",
                "item": {"tenant": "hospital-c", "batch": "limits", "key": f"k{n}", "sha256": f"{n}" * 64},
                "kind": "diagnosis", "decision": "agree", "ai": None, "note": note, "role": "doctor",
                "reviewer": {"subject": me["subject"], "username": me["username"]},
                "decided_at": "2026-12-01T10:00:00Z", "time_spent_ms": 1, "supersedes": None}

    nul, long, fine = verdict(1, "seen\u0000"), verdict(2, "x" * 2001), verdict(3, "x" * 2000)
    refused = requests.post(f"{stack.api.url}/v1/verdicts", json={"verdicts": [nul, long, fine]}, headers=auth,
                            timeout=30)
    assert refused.status_code == 422, refused.text
    assert refused.json()["uuids"] == [nul["uuid"], long["uuid"]]
    assert "NUL" in refused.json()["message"]
    assert stack.verdicts_stored("uuid::text LIKE '019ad000-0000-7000-8000-0000000a%'") == 0
    # What the workstation does next: the ones not named, sent again, are stored.
    stored = requests.post(f"{stack.api.url}/v1/verdicts", json={"verdicts": [fine]}, headers=auth, timeout=30)
    assert stored.status_code == 200 and stored.json()["results"][0]["status"] == "accepted"

    # The workstation refuses such a note when it is made, so none waits in the outbox.
    login(data_dir, settings, "dana")
    [item] = imaging_items(data_dir, settings, 1, skip=14)
    result = run(data_dir, settings, "decide", item, "--role", "doctor", "--decision", "amend",
                 "--note", "y" * 2001, "--json")
    assert result.returncode != 0
    assert "a note holds at most 2000 characters (this one has 2001)" in result.stderr
    assert as_json(run(data_dir, settings, "whoami", "--json"))["outbox"]["pending"] == 0


def test_a_replayed_refresh_token_ends_the_session_cleanly_and_loses_nothing(stack, settings, data_dir):
    login(data_dir, settings, "dana")
    made = decide(data_dir, settings, imaging_items(data_dir, settings, 2, skip=20), decision="amend")
    stolen = keyring_token(stack, data_dir)
    # Someone else uses the token first: the app's copy is now a replay.
    token_url = requests.get(stack.realm.issuer + "/.well-known/openid-configuration").json()["token_endpoint"]
    used = requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": stolen,
                                          "client_id": platform.CLIENT_ID})
    assert used.status_code == 200

    result, report = sync(data_dir, settings)
    assert result.returncode != 0
    assert report["stopped"]["code"] == "sign_in_again" and "sign in again" in report["stopped"]["message"]
    assert report["pending"] == 2
    status = as_json(run(data_dir, settings, "whoami", "--json"))
    assert status["session"]["mode"] == "sign_in_again" and status["outbox"]["pending"] == 2
    # The realm revoked the whole grant, the thief's new token included.
    stolen_again = requests.post(token_url, data={"grant_type": "refresh_token", "client_id": platform.CLIENT_ID,
                                                  "refresh_token": used.json()["refresh_token"]})
    assert stolen_again.json()["error"] == "invalid_grant"
    # Reviewing goes on; after signing in again everything is sent.
    decide(data_dir, settings, imaging_items(data_dir, settings, 1, skip=20))
    login(data_dir, settings, "dana")
    result, report = sync(data_dir, settings)
    assert result.returncode == 0 and report["accepted"] == 3
    assert stack.verdicts_stored(f"uuid = '{made[1]['uuid']}'") == 1


def test_conflict_between_two_reviewers_is_shown_and_resolved(stack, settings, tmp_path):
    dana_dir, drew_dir = tmp_path / "dana", tmp_path / "drew"
    for d in (dana_dir, drew_dir):
        cli(d, "import", str(DEMO))
    login(dana_dir, settings, "dana")
    login(drew_dir, settings, "drew")
    [item] = imaging_items(dana_dir, settings, 1, skip=15)
    dana = decide(dana_dir, settings, [item], decision="agree")[0]
    first = sync(dana_dir, settings)
    assert first[1]["accepted"] == 1, first

    drew = decide(drew_dir, settings, [item], decision="disagree")[0]
    result, report = sync(drew_dir, settings)
    assert result.returncode == 0 and report["conflicts"] == 1
    [conflict] = report["status"]["unsynced"]
    assert conflict["mine"]["uuid"] == drew["uuid"]
    assert conflict["theirs"]["uuid"] == dana["uuid"] and conflict["theirs"]["reviewer"]["username"] == "dana"
    assert conflict["theirs"]["decision"] == "agree"
    assert report["status"]["outbox"]["conflicts"] == 1
    assert stack.verdicts_stored(f"uuid = '{drew['uuid']}'") == 0

    # Drew keeps his decision knowingly: deciding again answers the conflict.
    kept = decide(drew_dir, settings, [item], decision="disagree")[0]
    assert kept["acknowledges"] == dana["uuid"] and kept["supersedes"] == drew["uuid"]
    result, report = sync(drew_dir, settings)
    assert result.returncode == 0 and report["accepted"] == 1
    assert report["status"]["unsynced"] == [] and report["status"]["outbox"]["conflicts"] == 0
    listed = requests.get(f"{stack.api.url}/v1/verdicts", params={"tenant": conflict["mine"]["item"]["tenant"],
                                                                   "batch": conflict["mine"]["item"]["batch"]},
                          headers={"Authorization": f"Bearer {stack.tokens('dana')['access_token']}"}).json()
    on_item = [v for v in listed["verdicts"] if v["item"]["key"] == conflict["mine"]["item"]["key"]
               and v["kind"] == "diagnosis"]
    assert [(v["reviewer"]["username"], v["decision"]) for v in on_item] == [("dana", "agree"), ("drew", "disagree")]


def test_sign_out_revokes_at_the_realm_and_keeps_the_outbox(stack, settings, data_dir):
    login(data_dir, settings, "dana")
    decide(data_dir, settings, imaging_items(data_dir, settings, 1, skip=30))
    token = keyring_token(stack, data_dir)
    out = as_json(run(data_dir, settings, "logout", "--json"))
    assert out == {"realm_reached": True, "note": None}
    assert keyring_token(stack, data_dir) == ""
    assert not (data_dir / "session.json").exists()
    status = as_json(run(data_dir, settings, "whoami", "--json"))
    assert status["session"]["mode"] == "signed_out" and status["outbox"]["pending"] == 1
    token_url = requests.get(stack.realm.issuer + "/.well-known/openid-configuration").json()["token_endpoint"]
    reuse = requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": token,
                                           "client_id": platform.CLIENT_ID})
    assert reuse.json()["error"] == "invalid_grant"
    refused = run(data_dir, settings, "sync", "--json")
    assert refused.returncode != 0


def test_a_forged_browser_return_is_refused(stack, settings, data_dir):
    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "login",
                             "--no-browser", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stderr.readline().split(": ", 1)[1].strip()
    redirect = requests.utils.unquote(url.split("redirect_uri=")[1].split("&")[0])
    page = requests.get(f"{redirect}?code=stolen&state=not-the-one")
    assert page.status_code == 400 and "another sign-in" in page.text
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert json.loads(err.strip().splitlines()[-1])["message"] == \
        "sign-in failed: the browser came back from another sign-in (state does not match)"
    assert as_json(run(data_dir, settings, "whoami", "--json"))["session"]["mode"] == "signed_out"


def test_a_device_code_sign_in_for_a_machine_without_a_browser(stack, settings, data_dir):
    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "login",
                             "--device-code", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line.startswith("To sign in, open http://127.0.0.1:") and "and enter the code" in line, line
    code = line.rsplit(" ", 1)[1].strip()
    # The person opens the address on their phone, confirms the code and signs in there.
    platform.sign_in(line.split("open ", 1)[1].split(" on any device")[0], "theo", platform.password_of("theo"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(code) == 9 and json.loads(out)["username"] == "theo"
    [row] = as_json(run(data_dir, settings, "items", "--role", "technician", "--state", "new", "--json"))["rows"][5:6]
    decide(data_dir, settings, [str(row["id"])], decision="retake", role="technician")
    result, report = sync(data_dir, settings)
    assert result.returncode == 0 and report["accepted"] == 1


def test_a_reviewer_sees_decides_and_pulls_only_their_clinics(stack, settings, tmp_path):
    """Otto reviews for clinic-b alone: on a workstation that holds every clinic's items
    he is shown, may open and decide, and pulls only clinic-b's, and is told of the rest."""
    otto_dir = tmp_path / "otto"
    cli(otto_dir, "import", str(DEMO))
    everyone = json.loads(cli(otto_dir, "items", "--role", "doctor", "--json"))
    elsewhere = next(r for r in everyone["rows"] if r["tenant"] == "clinic-a")
    login(otto_dir, settings, "otto")

    shown = as_json(run(otto_dir, settings, "items", "--role", "doctor", "--json"))
    assert {r["tenant"] for r in shown["rows"]} == {"clinic-b"}
    assert {b["tenant"] for b in shown["batches"]} == {"clinic-b"}
    assert shown["hidden"] == len(everyone["rows"]) - len(shown["rows"]) > 0
    text = run(otto_dir, settings, "items", "--role", "doctor").stdout
    assert f"({shown['hidden']} more on this workstation, of clinics you do not review for)" in text

    refused = run(otto_dir, settings, "decide", str(elsewhere["id"]), "--role", "doctor", "--decision", "agree",
                  "--json")
    assert refused.returncode != 0
    error = json.loads(refused.stderr)
    assert (error["code"], error["message"]) == ("not_permitted", "otto does not review for clinic-a"), error
    status = as_json(run(otto_dir, settings, "whoami", "--json"))
    assert (status["session"]["tenants"], status["outbox"]["pending"]) == (["clinic-b"], 0)
    assert "otto (doctor), for clinic-b" in run(otto_dir, settings, "whoami").stdout
    # Nor does the demo session, which has no sign-in, open what was reviewed here.
    demo = subprocess.run([str(APP), "--data-dir", str(otto_dir), "items", "--role", "doctor", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert demo.returncode != 0 and json.loads(demo.stderr)["code"] == "not_permitted", demo.stderr
    assert "the demo does not open" in json.loads(demo.stderr)["message"]

    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "share"\ntype = "folder"\npath = "{DEMO}"\n')
    pulled_dir = tmp_path / "otto-pulled"
    login(pulled_dir, settings, "otto")
    pulled = as_json(run(pulled_dir, settings, "--sources", str(sources), "pull", "--source", "share", "--json"))
    assert pulled["not_yours"] == ["clinic-a", "hospital-c"], pulled
    assert {b.split("/")[0] for b in pulled_batches(pulled_dir, settings)} == {"clinic-b"}
    said = run(pulled_dir, settings, "--sources", str(sources), "pull", "--source", "share").stdout
    assert "not pulled, as you do not review for them: clinic-a, hospital-c" in said


def pulled_batches(data_dir, settings):
    rows = as_json(run(data_dir, settings, "items", "--role", "doctor", "--json"))
    return {f"{b['tenant']}/{b['batch']}" for b in rows["batches"]} | {f"{r['tenant']}/{r['batch']}" for r in
                                                                        rows["rows"]}


@pytest.fixture(scope="module")
def skewed_stack():
    """Access tokens live 30 s, but the API's clock runs 27 s ahead: at the API a token
    expires 3 s after it was issued, long before the client expects."""
    with platform.Stack(access_ttl=30, api_clock_ahead=27) as running:
        yield running


def test_a_token_that_expires_mid_sync_is_renewed_once_and_nothing_is_lost(skewed_stack, tmp_path):
    stack = skewed_stack
    settings = stack.platform_toml(tmp_path / "platform.toml")
    data_dir = tmp_path / "data"
    cli(data_dir, "import", str(DEMO))
    login(data_dir, settings, "dana")
    decide(data_dir, settings, imaging_items(data_dir, settings, 12))
    # The sync takes its token, finds the API down and backs off (0.5, 1, 2, 4 s and
    # more); the API is back once that token has expired there: the next try gets a
    # 401, renews the token and sends everything.
    stack.api.stop()
    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "sync",
                             "--batch-size", "4", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    stack.api.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert (report["accepted"], report["pending"]) == (12, 0)
    # One token at the start, one after the 401.
    assert report["renewed_tokens"] == 2
    assert stack.verdicts_stored() == 12
