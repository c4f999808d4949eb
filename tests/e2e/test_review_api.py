"""The reference review API against its PostgreSQL and the realm, called as a platform
integrator would call it: every answer, refusals included, must be one that the API's
own `openapi.json` describes (status and body, no field it does not name), and a client
written from the contract alone (the audit trail's hash rule) is accepted."""

import time
import uuid

import pytest
import requests
from harness import audit_hash
from jsonschema import Draft202012Validator

DECISIONS = {"diagnosis": "agree", "quality": "blurry", "coding": {"accepted": ["J18.9"], "rejected": []}}
ROLES = {"diagnosis": "doctor", "quality": "technician", "coding": "coder"}


def strict(node):
    """The spec's schemas with every object closed: a field the API sends that the
    contract does not name fails, as it would fail a client generated from it."""
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
    elif isinstance(node, list):
        node = [strict(v) for v in node]
    return node


class Contract:
    """The served `openapi.json`, and a check of answers against it."""

    def __init__(self, api):
        self.api = api
        self.spec = requests.get(f"{api}/openapi.json", timeout=30).json()
        self.closed = strict(self.spec)

    def call(self, method, path, token=None, **kwargs):
        """Calls the API; the answer's status and body must be the ones the spec gives
        for that operation."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = requests.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kwargs)
        status = str(answer.status_code)
        documented = self.spec["paths"][path][method.lower()]["responses"].get(status)
        assert documented, f"{method} {path} answered {status}, which the spec does not list: {answer.text}"
        assert answer.headers["content-type"].startswith("application/json")
        # The whole spec is the schema, so that its references resolve; its root points
        # at the body schema of this operation's answer.
        at = documented.get("$ref") or "#/paths/{}/{}/responses/{}".format(
            path.replace("~", "~0").replace("/", "~1"), method.lower(), status)
        schema = {**self.closed, "$ref": f"{at}/content/application~1json/schema"}
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(answer.json())]
        assert not problems, f"{method} {path} {status} does not match the spec: {problems}"
        return answer


@pytest.fixture(scope="module")
def contract(stack):
    return Contract(stack.api.url)


@pytest.fixture(scope="module")
def tokens(stack):
    """An access token per user of tests/stack/users.json that these tests call as."""
    return {name: stack.tokens(name)["access_token"]
            for name in ("dana", "drew", "theo", "cora", "bea", "lena", "nils", "otto")}


def verdict(subject, username, kind, tenant, batch, key):
    return {"uuid": str(uuid.uuid4()),
            "item": {"tenant": tenant, "batch": batch, "key": key, "sha256": "a" * 64},
            "kind": kind, "decision": DECISIONS[kind], "ai": None, "note": "", "role": ROLES[kind],
            "reviewer": {"subject": subject, "username": username},
            "decided_at": "2026-12-01T10:00:00Z", "time_spent_ms": 1, "supersedes": None}


def audit_record(prev, seq, workstation, subject, action="item_viewed", item_id=None):
    """An audit record built from the contract's words alone, hash included."""
    record = {"seq": seq, "uuid": str(uuid.uuid4()), "at": "2026-12-01T10:00:00Z", "actor_subject": subject,
              "actor_username": "dana", "workstation": workstation, "action": action, "item_id": item_id,
              "tenant": "clinic-a" if item_id else None, "item_sha256": "b" * 64 if item_id else None,
              "detail": None, "prev_hash": prev}
    record["hash"] = audit_hash(record)
    return record


def test_the_api_refuses_bad_tokens_and_bodies(contract, tokens):
    assert contract.call("GET", "/v1/me").json()["error"] == "invalid_token"
    forged = contract.call("GET", "/v1/me", "eyJhbGciOiJub25lIn0.e30.")
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"
    assert forged.headers["www-authenticate"].startswith("Bearer")
    token = tokens["dana"]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert contract.call("GET", "/v1/me", tampered).status_code == 401
    me = contract.call("GET", "/v1/me", token).json()
    assert me["username"] == "dana" and "doctor" in me["roles"]
    bad = contract.call("POST", "/v1/verdicts", token, data=b"{not json")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid"
    not_a_claim = contract.call("POST", "/v1/claims", token, json={"tenant": "clinic-a"})
    assert not_a_claim.status_code == 422
    assert contract.spec["openapi"].startswith("3.1")


def test_verdicts_are_stored_once_and_a_second_reviewer_meets_a_conflict(stack, contract, tokens):
    dana = contract.call("GET", "/v1/me", tokens["dana"]).json()["subject"]
    drew = contract.call("GET", "/v1/me", tokens["drew"]).json()["subject"]
    batch = f"store-{time.monotonic_ns()}"
    mine = verdict(dana, "dana", "diagnosis", "clinic-a", batch, "img-1.dcm")
    first = contract.call("POST", "/v1/verdicts", tokens["dana"], json={"verdicts": [mine]}).json()
    assert [r["status"] for r in first["results"]] == ["accepted"]
    again = contract.call("POST", "/v1/verdicts", tokens["dana"], json={"verdicts": [mine]}).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"]
    theirs = {**verdict(drew, "drew", "diagnosis", "clinic-a", batch, "img-1.dcm"), "decision": "disagree"}
    conflict = contract.call("POST", "/v1/verdicts", tokens["drew"], json={"verdicts": [theirs]}).json()
    [answer] = conflict["results"]
    assert answer["status"] == "conflict" and answer["theirs"]["uuid"] == mine["uuid"]
    assert stack.verdicts_stored(f"batch = '{batch}'") == 1

    listed = contract.call("GET", "/v1/verdicts", tokens["dana"], params={"tenant": "clinic-a", "batch": batch})
    assert [v["uuid"] for v in listed.json()["verdicts"]] == [mine["uuid"]]
    someone_else = contract.call("POST", "/v1/verdicts", tokens["drew"],
                                 json={"verdicts": [verdict(dana, "dana", "diagnosis", "clinic-a", batch, "x.dcm")]})
    assert someone_else.status_code == 403 and "only post their own" in someone_else.json()["message"]


def test_claims_keep_two_reviewers_off_the_same_item(contract, tokens):
    item = {"tenant": "clinic-a", "batch": f"claims-{time.monotonic_ns()}", "key": "img-1.dcm", "kind": "diagnosis"}
    first = contract.call("POST", "/v1/claims", tokens["dana"], json=item).json()
    assert first["status"] == "granted"
    held = contract.call("POST", "/v1/claims", tokens["drew"], json=item).json()
    assert held["status"] == "held" and held["holder"] == "dana"
    double = contract.call("POST", "/v1/claims", tokens["drew"], json={**item, "double_read": True}).json()
    assert double["status"] == "granted"
    wrong_role = contract.call("POST", "/v1/claims", tokens["theo"], json=item)
    assert wrong_role.status_code == 403 and "needs the doctor role" in wrong_role.json()["message"]


def test_each_cell_of_the_access_table(stack, contract, tokens):
    """The API's access rules (openapi.json, GET /v1/verdicts), cell by cell: a reviewer
    reads and writes only their tenants' verdicts, and of those only their role's kind
    (a lead: every kind); a user with no role reads nothing."""
    subject = {name: contract.call("GET", "/v1/me", token).json()["subject"] for name, token in tokens.items()}
    batch = f"access-{time.monotonic_ns()}"

    def post(name, kind, tenant, n):
        one = verdict(subject[name], name, kind, tenant, batch, f"{kind}-{n}")
        return one, contract.call("POST", "/v1/verdicts", tokens[name], json={"verdicts": [one]})

    for name, kind, tenant in [("dana", "diagnosis", "clinic-a"), ("theo", "quality", "clinic-a"),
                               ("cora", "coding", "clinic-a"), ("dana", "diagnosis", "clinic-b")]:
        assert post(name, kind, tenant, 1)[1].status_code == 200

    def kinds(name, tenant):
        answer = contract.call("GET", "/v1/verdicts", tokens[name], params={"tenant": tenant, "batch": batch})
        if answer.status_code != 200:
            return answer.status_code, answer.json()["message"]
        return sorted(v["kind"] for v in answer.json()["verdicts"])

    # Reading: each role its own kind; several roles, each of theirs; a lead, every kind.
    assert kinds("dana", "clinic-a") == ["diagnosis"]
    assert kinds("theo", "clinic-a") == ["quality"]
    assert kinds("cora", "clinic-a") == ["coding"]
    assert kinds("bea", "clinic-a") == ["coding", "diagnosis"]
    assert kinds("lena", "clinic-a") == ["coding", "diagnosis", "quality"]
    assert kinds("otto", "clinic-b") == ["diagnosis"]
    # Nothing for another tenant's reviewer, nor for a user with no role.
    assert kinds("otto", "clinic-a") == (403, "otto does not review for clinic-a")
    assert kinds("lena", "clinic-b") == (403, "lena does not review for clinic-b")
    assert kinds("nils", "clinic-a") == (403, "nils has no role that reads verdicts")

    # Writing: only for their tenants, only their role's kind; a lead reads, never decides.
    elsewhere, refused = post("otto", "diagnosis", "clinic-a", 2)
    assert (refused.status_code, refused.json()["uuids"]) == (403, [elsewhere["uuid"]])
    assert refused.json()["message"] == "otto does not review for clinic-a"
    assert post("otto", "diagnosis", "clinic-b", 2)[1].status_code == 200
    assert post("lena", "diagnosis", "clinic-a", 3)[1].status_code == 403
    assert post("nils", "diagnosis", "clinic-a", 4)[1].status_code == 403
    assert stack.verdicts_stored(f"batch = '{batch}'") == 5

    # Claiming: the same tenant rule.
    claim = {"batch": batch, "key": "img-9.dcm", "kind": "diagnosis"}
    held = contract.call("POST", "/v1/claims", tokens["otto"], json={**claim, "tenant": "clinic-a"})
    assert (held.status_code, held.json()["message"]) == (403, "otto does not review for clinic-a")
    granted = contract.call("POST", "/v1/claims", tokens["otto"], json={**claim, "tenant": "clinic-b"})
    assert granted.json()["status"] == "granted"


def test_an_audit_trail_written_from_the_contract_alone_is_kept_append_only(contract, tokens):
    dana = contract.call("GET", "/v1/me", tokens["dana"]).json()["subject"]
    workstation = f"ws-{uuid.uuid4().hex[:8]}"
    trail = []
    for seq, action in enumerate(["signed_in", "item_viewed", "decided"], start=1):
        prev = trail[-1]["hash"] if trail else "0" * 64
        trail.append(audit_record(prev, seq, workstation, dana, action, item_id=None if seq == 1 else 7))

    stored = contract.call("POST", "/v1/audit", tokens["dana"], json={"records": trail[:2]}).json()
    assert (stored["stored"], stored["duplicates"]) == (2, 0)
    resent = contract.call("POST", "/v1/audit", tokens["dana"], json={"records": trail}).json()
    assert (resent["stored"], resent["duplicates"]) == (1, 2)

    changed = {**trail[2], "action": "purged"}
    refused = contract.call("POST", "/v1/audit", tokens["dana"], json={"records": [changed]})
    assert refused.status_code == 422 and refused.json()["uuids"] == [changed["uuid"]]

    # A trail that does not continue the one held (a restored backup) is kept, marked.
    stray = audit_record("f" * 64, 9, workstation, dana)
    forked = contract.call("POST", "/v1/audit", tokens["dana"], json={"records": [stray]}).json()
    assert (forked["stored"], forked.get("forked")) == (1, 1)
