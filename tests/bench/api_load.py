"""`make bench`, the review API under load: 50 clients at once on 127.0.0.1, posting
20,000 verdicts in batches of 20 and claiming items between posts, against the release
`sr-review-api` over PostgreSQL, bearer JWTs checked against the realm's JWKS.

Invariants (the run fails if one breaks): no answer is a 5xx, every verdict is stored
exactly once, every claim is granted or answered held. Figures: requests per second,
claims per second, and p50 / p95 latency of each call. Peer: the same calls from one
client alone, measured in the same run on the same stack: the latency without any
contention, against which the p95 under load is a ratio.
"""

import base64
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "stack"))
import stack as platform  # noqa: E402

API = platform.ROOT / "target" / "release" / "sr-review-api"
CLIENTS = 50
VERDICTS = 20_000
BATCH = 20
# Doctors of clinic-a: several people, as a clinic's reading room would be.
DOCTORS = ["dana", "drew", "bea"]
TENANT = "clinic-a"


def uuid7() -> str:
    """A version 7 UUID (time-ordered), as the workstation makes them."""
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + uuid.uuid4().bytes[6:])
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def verdict(client: int, n: int, reviewer: dict) -> dict:
    return {
        "uuid": uuid7(),
        "item": {"tenant": TENANT, "batch": f"load-{client:02}", "key": f"img-{n:05}.png",
                 "sha256": f"{client:02x}{n:062x}"},
        "kind": "diagnosis", "decision": "agree", "ai": None, "note": "",
        "reviewer": reviewer, "role": "doctor",
        "decided_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "time_spent_ms": 1000, "supersedes": None,
    }


class Client(threading.Thread):
    """Posts its share of verdicts, claiming the next item before each post."""

    def __init__(self, api: str, index: int, identity: dict, count: int, barrier: threading.Barrier):
        super().__init__()
        self.api, self.index, self.identity, self.count, self.barrier = api, index, identity, count, barrier
        self.post_ms, self.claim_ms, self.failures, self.sent = [], [], [], []

    def call(self, session, path, body, timings):
        start = time.perf_counter()
        answer = session.post(self.api + path, json=body, timeout=60)
        timings.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            self.failures.append(f"{path}: {answer.status_code} {answer.text[:200]}")
            return None
        return answer.json()

    def run(self):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.identity['token']}"
        reviewer = {"subject": self.identity["subject"], "username": self.identity["username"]}
        self.barrier.wait()
        for start in range(0, self.count, BATCH):
            batch = [verdict(self.index, n, reviewer) for n in range(start, min(start + BATCH, self.count))]
            for item in batch[:2]:
                claim = self.call(session, "/v1/claims", {**{k: item["item"][k] for k in ("tenant", "batch", "key")},
                                                         "kind": "diagnosis"}, self.claim_ms)
                if claim is not None and claim.get("status") not in ("granted", "held"):
                    self.failures.append(f"claim answered {claim}")
            answers = self.call(session, "/v1/verdicts", {"verdicts": batch}, self.post_ms)
            if answers is not None:
                statuses = {a["status"] for a in answers["results"]}
                if statuses != {"accepted"}:
                    self.failures.append(f"verdicts answered {statuses}")
                self.sent.extend(v["uuid"] for v in batch)


def run(api: str, identities: list, clients: int, total: int) -> tuple[list, float]:
    barrier = threading.Barrier(clients + 1)
    share = total // clients
    workers = [Client(api, i, identities[i % len(identities)], share, barrier) for i in range(clients)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.monotonic()
    for worker in workers:
        worker.join()
    return workers, time.monotonic() - start


def percentile(values: list, p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main():
    with platform.Stack(binary=API) as stack:
        identities = []
        for username in DOCTORS:
            token = stack.tokens(username)["access_token"]
            identities.append({"username": username, "token": token, "subject": subject_of(token)})

        stack.postgres.sql("TRUNCATE verdicts")
        alone, _ = run(stack.api.url, identities, 1, 2_000)
        stack.postgres.sql("TRUNCATE verdicts")
        workers, elapsed = run(stack.api.url, identities, CLIENTS, VERDICTS)

        failures = [f for w in workers for f in w.failures]
        sent = [u for w in workers for u in w.sent]
        stored = int(stack.postgres.sql("SELECT count(*) FROM verdicts"))
        distinct = int(stack.postgres.sql("SELECT count(DISTINCT uuid) FROM verdicts"))

    posts = [ms for w in workers for ms in w.post_ms]
    claims = [ms for w in workers for ms in w.claim_ms]
    post_alone, claim_alone = alone[0].post_ms, alone[0].claim_ms
    print(f"review API under load: {CLIENTS} clients, {VERDICTS:,} verdicts in batches of {BATCH}, "
          f"2 claims before each batch (release build, PostgreSQL, 127.0.0.1)")
    print(f"  {len(posts) + len(claims):,} requests in {elapsed:.1f} s: {VERDICTS / elapsed:,.0f} verdicts/s, "
          f"{len(claims) / elapsed:,.0f} claims/s")
    for name, loaded, single in (("POST /v1/verdicts", posts, post_alone), ("POST /v1/claims", claims, claim_alone)):
        p95, p95_alone = percentile(loaded, 95), percentile(single, 95)
        print(f"  {name:18} p50 {percentile(loaded, 50):6.1f} ms  p95 {p95:6.1f} ms   "
              f"peer (one client alone) p95 {p95_alone:5.1f} ms: {p95 / p95_alone:.1f}x")
    print(f"  5xx or other failures: {len(failures)}; verdicts sent {len(sent):,}, stored {stored:,}, "
          f"distinct {distinct:,}")
    if failures or stored != VERDICTS or distinct != VERDICTS or len(sent) != VERDICTS:
        for failure in failures[:10]:
            print("   ", failure)
        raise SystemExit("the API lost, duplicated or failed verdicts under load")


if __name__ == "__main__":
    main()
