"""The platform side for tests and for trying the app by hand, all on 127.0.0.1:
PostgreSQL in a temporary directory (as an unprivileged user), the Keycloak-shaped
OpenID provider (realm `review`, tests/stack/oidc) and the reference review API.

    python tests/stack/stack.py     # `make stack`: starts them, prints the users, waits

Tests use `Stack` as a context manager, and `sign_in` as the person at the browser.
"""

from __future__ import annotations

import glob
import html
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
USERS = HERE / "users.json"
CLIENT_ID = "secondread"
AUDIENCE = "review-api"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_line(proc: subprocess.Popen, prefix: str, timeout: float, what: str) -> str:
    """The first line the process prints that starts with `prefix`, without the prefix."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line[len(prefix):].strip()
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{what} did not start: {proc.stderr.read() if proc.stderr else ''}")


class Postgres:
    """A throwaway PostgreSQL cluster; run as the `postgres` user when we are root
    (PostgreSQL refuses to run as root)."""

    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.port = free_port()
        self.running = False
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
        self.bin = Path(bins[-1])
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://secondread@127.0.0.1:{self.port}/review"

    def start(self) -> None:
        self.dir.mkdir(parents=True)
        if self.as_user:
            user = pwd.getpwnam("postgres")
            for path in (self.dir.parent, self.dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        subprocess.run(
            [*self.as_user, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "secondread",
             "--auth=trust", "-E", "UTF8", "--no-instructions"],
            check=True, capture_output=True)
        self.run()
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "secondread",
                        "review"], check=True, capture_output=True)

    def pg_ctl(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", *args],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[0]}: {done.stdout}{done.stderr}")

    def run(self) -> None:
        """Starts the server on the cluster (again, after `stop`)."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c log_min_messages=warning"
        self.pg_ctl("-o", options, "-l", str(self.dir / "server.log"), "start")
        self.running = True

    def sql(self, query: str) -> str:
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "secondread",
                              "-d", "review", "-At", "-c", query], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self) -> None:
        if self.running:
            self.pg_ctl("-m", "fast", "stop")
            self.running = False


class Realm:
    """The OpenID provider (npm oidc-provider under tests/stack/oidc)."""

    def __init__(self, users: Path, access_ttl: int = 300, port: int = 0):
        self.users = users
        self.access_ttl = access_ttl
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.issuer = ""

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(HERE / "oidc" / "realm.mjs"), "--users", str(self.users), "--port", str(self.port),
             "--access-ttl", str(self.access_ttl), "--audience", AUDIENCE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.issuer = _read_line(self.proc, "issuer ", 20, "the OpenID provider")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class ReviewApi:
    """The reference review API binary (crates/review-api)."""

    def __init__(self, database_url: str, issuer: str, binary: Path, port: int = 0, clock_ahead: int = 0):
        self.clock_ahead = clock_ahead
        self.database_url = database_url
        self.issuer = issuer
        self.binary = binary
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.binary), "--listen", f"127.0.0.1:{self.port}", "--database-url", self.database_url,
             "--issuer", self.issuer, "--audience", AUDIENCE, "--clock-ahead", str(self.clock_ahead)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = _read_line(self.proc, "listening ", 30, "the review API")
        # Keep the port, so that a restart (API down, then up) comes back where it was.
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@dataclass
class Stack:
    """PostgreSQL, the realm and the API, started together and stopped together."""

    binary: Path = ROOT / "target" / "debug" / "sr-review-api"
    access_ttl: int = 300
    api_clock_ahead: int = 0
    users_file: Path | None = None
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sr-stack-")))

    def __enter__(self) -> Stack:
        # The users file is the test's own copy, so that a test can change a user's roles.
        self.users = self.base / "users.json"
        shutil.copy(self.users_file or USERS, self.users)
        self.postgres = Postgres(self.base)
        self.realm = Realm(self.users, self.access_ttl)
        try:
            self.postgres.start()
            self.realm.start()
            self.api = ReviewApi(self.postgres.url, self.realm.issuer, self.binary,
                                 clock_ahead=self.api_clock_ahead)
            self.api.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for part in ("api", "realm", "postgres"):
            if hasattr(self, part):
                getattr(self, part).stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def platform_toml(self, path: Path, lock_minutes: int | None = None) -> Path:
        """The app's platform settings for this stack."""
        text = f'issuer = "{self.realm.issuer}"\nclient_id = "{CLIENT_ID}"\napi = "{self.api.url}"\n'
        if lock_minutes is not None:
            text += f"lock_minutes = {lock_minutes}\n"
        path.write_text(text)
        return path

    def verdicts_stored(self, where: str = "true") -> int:
        """How many verdicts the platform's database holds that match an SQL condition."""
        return int(self.postgres.sql(f"SELECT count(*) FROM verdicts WHERE {where}"))

    def set_roles(self, username: str, roles: list[str]) -> None:
        self._set_user(username, roles=roles)

    def set_tenants(self, username: str, tenants: list[str]) -> None:
        """The clinics a user reviews for: their groups, sent in the token's `tenants`."""
        self._set_user(username, tenants=tenants)

    def set_lock_minutes(self, username: str, minutes: int | None) -> None:
        """The realm's idle lock for a user, sent in their access token's `lock_minutes`."""
        self._set_user(username, lock_minutes=minutes)

    def _set_user(self, username: str, **fields) -> None:
        data = json.loads(self.users.read_text())
        for user in data["users"]:
            if user["username"] == username:
                for name, value in fields.items():
                    if value is None:
                        user.pop(name, None)
                    else:
                        user[name] = value
        self.users.write_text(json.dumps(data))

    def tokens(self, username: str) -> dict:
        """Signs a user in as a script would (code + PKCE), for calling the API directly."""
        import base64
        import hashlib
        import secrets

        conf = requests.get(self.realm.issuer + "/.well-known/openid-configuration", timeout=10).json()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        redirect = f"http://127.0.0.1:{free_port()}/callback"
        query = urllib.parse.urlencode(dict(
            client_id=CLIENT_ID, response_type="code", scope="openid profile", redirect_uri=redirect,
            code_challenge=challenge, code_challenge_method="S256", state="s", nonce="n"))
        callback = sign_in(f"{conf['authorization_endpoint']}?{query}", username, password_of(username), follow=False)
        code = urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)["code"][0]
        return requests.post(conf["token_endpoint"], timeout=10, data=dict(
            grant_type="authorization_code", code=code, redirect_uri=redirect, client_id=CLIENT_ID,
            code_verifier=verifier)).json()


def password_of(username: str) -> str:
    return next(u["password"] for u in json.loads(USERS.read_text())["users"] if u["username"] == username)


def sign_in(url: str, username: str, password: str, follow: bool = True) -> str:
    """The person at the browser: opens the sign-in address (or a device code's
    verification address), submits the pages' forms (the realm's login form filled in)
    and follows the redirects. A code sign-in ends at the app's loopback address, which
    is opened too unless `follow` is off; a device sign-in ends on the realm's page.
    Returns the last address."""
    session = requests.Session()
    response = session.get(url, allow_redirects=False, timeout=10)
    for _ in range(20):
        if response.status_code in (301, 302, 303):
            target = urllib.parse.urljoin(response.url, response.headers["location"])
            if target.startswith("http://127.0.0.1") and "/callback" in target and "/realms/" not in target:
                if follow:
                    session.get(target, timeout=10)
                return target
            response = session.get(target, allow_redirects=False, timeout=10)
            continue
        refused = re.search(r'<p id="error">(.*?)</p>', response.text)
        if refused:
            raise RuntimeError(f"the realm said: {html.unescape(refused.group(1))}")
        form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"(.*?)</form>', response.text, re.S)
        if not form:
            return response.url
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
        if 'name="username"' in form.group(2):
            fields.update(username=username, password=password)
        response = session.post(html.unescape(form.group(1)), data=fields, allow_redirects=False, timeout=10)
    raise RuntimeError(f"sign-in did not finish: {response.status_code} {response.text[:300]}")


def main() -> None:
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else Stack.binary
    with Stack(binary=binary) as stack:
        config = ROOT / "target" / "stack-platform.toml"
        stack.platform_toml(config)
        print(f"realm   {stack.realm.issuer}")
        print(f"API     {stack.api.url}  (OpenAPI: {stack.api.url}/openapi.json)")
        print(f"database {stack.postgres.url}")
        print(f"app settings: {config}")
        print(f"try it:  SECONDREAD_PLATFORM={config} target/debug/secondread --data-dir target/run-data")
        print("users (password = name + '-pw'):")
        for user in json.loads(USERS.read_text())["users"]:
            print(f"  {user['username']:6} {', '.join(user['roles']) or '(no roles)'}")
        print("Ctrl-C stops everything.", flush=True)
        stop = [False]
        signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
        try:
            while not stop[0]:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
