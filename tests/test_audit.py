"""The compliance report (`make audit`): configuration changes from git with their authors, every guardrail exception
with its approver and end date, every silence and acknowledgement with the person who made it, read from a real
Alertmanager on loopback, and every OnCall acknowledgement and resolution with its user, read from a stand-in of
OnCall's public API on loopback that answers with the upstream documentation's own responses
(tests/data/oncall/public-api-v1.16.5.yaml)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

import catalog
from cli import audit
from tests.api_standins import _Server
from tests.e2e import cluster as am

TODAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def org():
    return catalog.load("example")


def git(repo: Path, *args: str, author: str = "Ana <ana@example.com>") -> None:
    name, email = author[:-1].split(" <")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": "Reviewer",
           "GIT_COMMITTER_EMAIL": "reviewer@example.com", "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z",
           "GIT_COMMITTER_DATE": "2026-11-20T11:00:00Z", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_configuration_changes_name_who_wrote_and_who_merged_each_one(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "Pulumi.prod.yaml").write_text("config: {}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Prod pages on P1", author="Ben <ben@example.com>")
    (repo / "notes.txt").write_text("not deployed\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Notes")
    rows = audit.config_changes("prod", dt.date(2026, 11, 1), repo)
    assert [row[2:] for row in rows] == [["Ben <ben@example.com>", "Reviewer <reviewer@example.com>", "Prod pages on P1", "Pulumi.prod.yaml"]]
    assert audit.config_changes("prod", dt.date(2026, 11, 1), tmp_path / "not-a-repo") is None


def test_each_exception_says_who_approved_it_and_until_when(tmp_path):
    path = tmp_path / "exceptions.yaml"
    path.write_text(
        "exceptions:\n"
        "  - {policy: chaos-blast-radius, resource: 'ChaosEngine payments/*', reason: game day, approvedBy: nina, expires: 2026-12-01}\n"
        "  - {policy: kubernetes-non-root, resource: Release falco/falco, reason: kernel events, approvedBy: platform-team}\n"
        "  - {policy: chaos-blast-radius, resource: 'ChaosEngine shop/*', reason: drill, approvedBy: mira, expires: 2026-12-12}\n"
    )
    rows = {(r[0], r[1]): r[2:4] for r in audit.exceptions(path, TODAY)}
    assert rows[("chaos-blast-radius", "ChaosEngine payments/*")] == ["nina", "EXPIRED 2026-12-01: excuses nothing"]
    assert rows[("chaos-blast-radius", "ChaosEngine shop/*")] == ["mira", "in force until 2026-12-12 (10 days left)"]
    assert rows[("kubernetes-non-root", "Release falco/falco")] == ["platform-team", "in force, no end date"]


def test_the_shipped_exceptions_all_have_an_approver(org):
    report = audit.report("prod", org, TODAY, dt.date(2026, 11, 1))
    section = report.split("## Guardrail exceptions")[1].split("## Silences")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| policy")]
    assert rows and all(line.split(" | ")[2].strip() for line in rows)
    assert "No Alertmanager given" in report


def post_silence(url: str, created_by: str, comment: str, team: str | None) -> None:
    now = dt.datetime.now(dt.UTC)
    matchers = [{"name": "alertname", "value": "HighErrorRate", "isRegex": False, "isEqual": True}]
    if team:
        matchers.append({"name": "team", "value": team, "isRegex": False, "isEqual": True})
    body = {"matchers": matchers, "startsAt": now.isoformat(), "endsAt": (now + dt.timedelta(hours=1)).isoformat(),
            "createdBy": created_by, "comment": comment}
    request = urllib.request.Request(f"{url}/api/v2/silences", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@pytest.mark.e2e
def test_every_silence_and_acknowledgement_is_listed_with_whoever_made_it(org, tmp_path):
    if reason := am.can_run():
        pytest.skip(reason)
    config = tmp_path / "alertmanager.yml"
    config.write_text("route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n")
    (tmp_path / "data").mkdir()
    with am.Cluster(config, tmp_path / "data", replicas=1) as cluster:
        url = cluster.url(0)
        post_silence(url, "dara@example.com", "deploying the fix", "payments")
        post_silence(url, "hana@example.com", "ACK! acknowledged in Karma at 2026-12-02 10:00", "storefront")
        post_silence(url, "ana@example.com", "platform silences for a team", "storefront")
        post_silence(url, "admin", "straight into Alertmanager", None)
        report = audit.report("prod", org, dt.datetime.now(dt.UTC).date(), dt.date(2026, 11, 1), url)
    section = report.split("## Silences and acknowledgements")[1]
    assert "4 silences (1 acknowledgements from Karma), 1 not attributable to a catalog person." in section
    rows = {line.split(" | ")[2]: line for line in section.splitlines() if line.startswith("| ") and " | " in line}
    assert "| silence | dara@example.com | by payments | payments |" in rows["dara@example.com"]
    assert "| ack | hana@example.com | by storefront | storefront |" in rows["hana@example.com"]
    assert "| silence | ana@example.com | by platform for storefront | storefront |" in rows["ana@example.com"]
    assert "| silence | admin | NOT ATTRIBUTABLE: no catalog person | (none) |" in rows["admin"]
    print("\n" + section)


# --- OnCall: acknowledgements and resolutions from its public API ---------------------------------------------

ONCALL_API = yaml.safe_load((Path(__file__).parent / "data" / "oncall" / "public-api-v1.16.5.yaml").read_text())
TOKEN = "oncall-token-that-must-not-leak"
USERS = {  # OnCall user id -> the user as GET /api/v1/users/<id>/ answers (the upstream example's shape)
    "UCGEIXI1MR1NZ": "dara@example.com",
    "UHANA0000001": "hana@example.com",
    "UANA00000001": "ana@example.com",
    ONCALL_API["user"]["id"]: ONCALL_API["user"]["email"],  # the docs' own user: nobody in the catalog
}


def group(id_: str, team: str | None, **fields) -> dict:
    """The upstream example alert group with another id, its team as an alert-group label, and `fields` changed."""
    labels = [{"key": {"id": "team", "name": "team"}, "value": {"id": team, "name": team}}] if team else []
    return {**copy.deepcopy(ONCALL_API["alert_group"]), "id": id_, "labels": labels, **fields}


GROUPS = [
    # The docs' example as it is: resolved by a user, never acknowledged, no labels.
    copy.deepcopy(ONCALL_API["alert_group"]),
    group("IHANAACK00001", "storefront", state="acknowledged", acknowledged_at="2026-11-20T10:00:00.123456Z",
          acknowledged_by="UHANA0000001", resolved_at=None, resolved_by=None),
    group("ISOURCE000001", "payments", state="resolved", acknowledged_at="2026-11-21T08:00:00Z", acknowledged_by=None,
          resolved_at="2026-11-21T08:30:00Z", resolved_by=None),
    group("IDOCSUSER0001", "payments", state="acknowledged", acknowledged_at="2026-11-22T09:00:00Z",
          acknowledged_by=ONCALL_API["user"]["id"], resolved_at=None, resolved_by=None),
    group("IPLATFORM0001", "storefront", state="resolved", acknowledged_at="2026-11-23T07:00:00Z",
          acknowledged_by="UANA00000001", resolved_at="2026-11-23T07:10:00Z", resolved_by="UANA00000001"),
]


class OnCallStandIn(_Server):
    """OnCall's public API on loopback: two pages of alert groups (the second linked by an absolute `next` naming
    another host, as OnCall builds it from its own base URL) and the users; 401 without the token."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        super().__init__()

    def handle(self, verb: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        self.seen.append((path, headers.get("Authorization")))
        if headers.get("Authorization") != TOKEN:
            return 401, {"detail": "Invalid token."}
        path, _, query = path.partition("?")
        params = urllib.parse.parse_qs(query)
        if verb == "GET" and path == "/api/v1/alert_groups/":
            page = int(params.get("page", ["1"])[0])
            results = GROUPS[:3] if page == 1 else GROUPS[3:]
            following = "http://oncall-engine.elsewhere:8080/api/v1/alert_groups/?" + urllib.parse.urlencode(
                {"page": 2, "started_at": params["started_at"][0]}) if page == 1 else None
            return 200, {**ONCALL_API["page"], "count": len(GROUPS), "next": following, "results": results,
                         "current_page_number": page, "total_pages": 2}
        user = path.removeprefix("/api/v1/users/").rstrip("/")
        if verb == "GET" and path.startswith("/api/v1/users/") and user in USERS:
            return 200, {**ONCALL_API["user"], "id": user, "email": USERS[user]}
        return 404, {"detail": "Not found."}


@pytest.fixture
def oncall():
    server = OnCallStandIn()
    try:
        yield server
    finally:
        server.close()


def test_every_oncall_acknowledgement_and_resolution_names_the_user_who_made_it(org, oncall):
    report = audit.report("prod", org, TODAY, dt.date(2026, 11, 1), oncall_url=oncall.url, oncall_token=TOKEN)
    section = report.split("## OnCall acknowledgements and resolutions")[1]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| I")]
    assert [(r[0].lstrip("| "), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("I68T24C13IFW1", "resolved", "2020-05-19T13:37:01Z", "UCGEIXI1MR1NZ", "dara@example.com", "by payments", "(none)"),
        ("IHANAACK00001", "acknowledged", "2026-11-20T10:00:00Z", "UHANA0000001", "hana@example.com", "by storefront", "storefront"),
        ("ISOURCE000001", "acknowledged", "2026-11-21T08:00:00Z", "(none)", "(none)", "NOT ATTRIBUTABLE: no OnCall user", "payments"),
        ("ISOURCE000001", "resolved", "2026-11-21T08:30:00Z", "(none)", "(none)", "no user: resolved by its source", "payments"),
        ("IDOCSUSER0001", "acknowledged", "2026-11-22T09:00:00Z", "U4DNY931HHJS5", "public-api-demo-user-1@grafana.com",
         "NOT ATTRIBUTABLE: no catalog person", "payments"),
        ("IPLATFORM0001", "acknowledged", "2026-11-23T07:00:00Z", "UANA00000001", "ana@example.com", "by platform for storefront", "storefront"),
        ("IPLATFORM0001", "resolved", "2026-11-23T07:10:00Z", "UANA00000001", "ana@example.com", "by platform for storefront", "storefront"),
    ]
    assert "4 acknowledgements and 3 resolutions of alert groups started since 2026-11-01, 2 not attributable" in section
    # The window in the form OnCall's DateRangeFilterMixin parses; the second page fetched from the API we named, not
    # the host in `next`; each user read once; the token on every request and in no line of the report.
    paths = [p for p, _ in oncall.seen]
    (window,) = urllib.parse.parse_qs(paths[0].partition("?")[2])["started_at"]
    start, end = (dt.datetime.strptime(part, "%Y-%m-%dT%H:%M:%S") for part in window.split("_"))
    assert (start, end) == (dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 2, 23, 59, 59))
    assert paths[1].startswith("/api/v1/alert_groups/?page=2")
    assert sorted(p for p in paths if p.startswith("/api/v1/users/")) == sorted(f"/api/v1/users/{u}/" for u in USERS)
    assert all(auth == TOKEN for _, auth in oncall.seen)
    assert TOKEN not in report


def test_a_refused_oncall_token_is_one_line_that_never_shows_the_token(oncall, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("a-wrong-token-nobody-may-see\n")
    result = subprocess.run(
        [sys.executable, "-m", "cli", "audit", "--stack", "prod", "--since", "2026-11-01", "--oncall", oncall.url,
         "--oncall-token-file", str(token_file)],
        cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "a-wrong-token-nobody-may-see" not in result.stdout + result.stderr
    assert " ".join(result.stderr.split()) == (
        "error: command line: --oncall: OnCall answered 401 to GET /api/v1/alert_groups/: the API token was refused"
    )
