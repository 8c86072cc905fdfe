"""The compliance report (`make audit`): configuration changes from git with their authors, every guardrail exception
with its approver and end date, and every silence and acknowledgement with the person who made it, read from a real
Alertmanager on loopback."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

import catalog
from cli import audit
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
