"""The compliance report (`make audit`): who changed the platform's configuration, which guardrail exceptions are in
force (who approved what, until when), and who silenced or acknowledged which alerts.

Everything is read from where it is recorded, never reconstructed: the git history of the files `pulumi up` deploys
from, `policies/exceptions.yaml`, and Alertmanager's silences API (each silence's `createdBy` is the signed-in user
Karma wrote there, see docs/access.md). The report is Markdown, one table per section, in a stable order.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from model.catalog import Organisation
from policies.guardrails.exceptions import DEFAULT_FILE, PolicyException, parse
from stacks import PROJECT_DIR

ACK_PREFIX = "ACK!"
"""Karma's acknowledgements are silences whose comment starts with this (render.karma)."""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


# --- Configuration changes --------------------------------------------------------------------------------------


def config_paths(stack: str) -> list[str]:
    """What a `pulumi up` of the stack deploys from: its stack file, the catalog, the program, the guardrails."""
    return [f"Pulumi.{stack}.yaml", "Pulumi.yaml", "catalog", "policies/exceptions.yaml", "__main__.py", "components",
            "render", "model", "stacks", "packages", "charts/charts.lock.yaml"]


def config_changes(stack: str, since: dt.date, repo: Path = PROJECT_DIR) -> list[list[str]] | None:
    """(commit, date, author, committer, subject, files) of every commit since `since` touching what the stack deploys;
    None outside a git checkout."""
    fmt = "%x1e%h%x1f%aI%x1f%an <%ae>%x1f%cn <%ce>%x1f%s"
    try:
        text = subprocess.run(
            ["git", "-C", str(repo), "log", f"--since={since.isoformat()}", f"--format={fmt}", "--name-only", "--",
             *config_paths(stack)],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    rows = []
    for record in text.split("\x1e")[1:]:
        head, _, files = record.partition("\n")
        commit, date, author, committer, subject = head.split("\x1f")
        changed = sorted({f.split("/")[0] if "/" in f and not f.startswith("policies/") else f for f in files.split() if f})
        rows.append([commit, date[:10], author, committer, subject, ", ".join(changed) or "(merge)"])
    return rows


# --- Guardrail exceptions ---------------------------------------------------------------------------------------


def exception_status(e: PolicyException, today: dt.date) -> str:
    if e.expires is None:
        return "in force, no end date"
    if today > e.expires:
        return f"EXPIRED {e.expires.isoformat()}: excuses nothing"
    return f"in force until {e.expires.isoformat()} ({(e.expires - today).days} days left)"


def exceptions(path: Path, today: dt.date) -> list[list[str]]:
    import yaml

    from policies.guardrails import POLICY_NAMES

    entries = parse(yaml.safe_load(path.read_text(encoding="utf-8")), path.name, POLICY_NAMES)
    return [
        [e.policy, e.resource + ("" if e.where == "*" else f" ({e.where})"), e.approved_by, exception_status(e, today), e.reason]
        for e in sorted(entries, key=lambda e: (e.policy, e.resource, e.where))
    ]


# --- Silences and acknowledgements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Silence:
    id: str
    created_by: str
    comment: str
    matchers: str
    team: str
    starts_at: str
    ends_at: str
    state: str

    @property
    def acknowledgement(self) -> bool:
        return self.comment.startswith(ACK_PREFIX)


def _matcher(m: dict) -> str:
    op = ("=" if m.get("isEqual", True) else "!=") if not m.get("isRegex") else ("=~" if m.get("isEqual", True) else "!~")
    return f'{m["name"]}{op}"{m["value"]}"'


def silences(alertmanager_url: str, since: dt.datetime) -> list[Silence]:
    """Every silence Alertmanager holds (active, pending, expired within its retention) that ends after `since`."""
    with urllib.request.urlopen(alertmanager_url.rstrip("/") + "/api/v2/silences", timeout=10) as response:
        raw = json.load(response)
    out = []
    for s in raw:
        ends = dt.datetime.fromisoformat(s["endsAt"].replace("Z", "+00:00"))
        if ends < since:
            continue
        team = next((m["value"] for m in s["matchers"] if m["name"] == "team" and m.get("isEqual", True) and not m.get("isRegex")), "")
        out.append(Silence(
            id=s["id"], created_by=s.get("createdBy", ""), comment=s.get("comment", ""),
            matchers=", ".join(_matcher(m) for m in s["matchers"]), team=team,
            starts_at=s["startsAt"][:19] + "Z", ends_at=s["endsAt"][:19] + "Z", state=s["status"]["state"],
        ))
    return sorted(out, key=lambda s: (s.starts_at, s.id))


def attribution(s: Silence, people: dict[str, set[str]]) -> str:
    """Whose the silence is: a catalog person of the silenced team, of another team, or no one the catalog knows."""
    teams = people.get(s.created_by)
    if not teams:
        return "NOT ATTRIBUTABLE: no catalog person"
    if s.team and s.team not in teams:
        return f"by {'/'.join(sorted(teams))} for {s.team}"
    return f"by {'/'.join(sorted(teams))}"


def report(stack: str, org: Organisation, today: dt.date, since: dt.date, alertmanager_url: str | None = None,
           exceptions_file: Path = DEFAULT_FILE, repo: Path = PROJECT_DIR) -> str:
    lines = [f"# Compliance report: stack {stack}, {since.isoformat()} to {today.isoformat()}", ""]

    lines += ["## Configuration changes", "",
              f"Commits touching what `pulumi up --stack {stack}` deploys from, with author and committer. Each "
              f"deployment of them is in `pulumi stack history --stack {stack}` (who ran it, when, the result).", ""]
    changes = config_changes(stack, since, repo)
    if changes is None:
        lines += ["Not a git checkout: the history is not available here.", ""]
    else:
        lines += _table(["commit", "date", "author", "committer", "change", "files"], changes) if changes else ["No change."]
        lines.append("")

    lines += ["## Guardrail exceptions", "", f"Every entry of `{exceptions_file.name}`: who approved it and until when.", ""]
    lines += _table(["policy", "resource", "approved by", "status", "reason"], exceptions(exceptions_file, today))
    lines.append("")

    lines += ["## Silences and acknowledgements", ""]
    if alertmanager_url is None:
        lines += ["No Alertmanager given (`ALERTMANAGER=http://...`): not read.", ""]
    else:
        people: dict[str, set[str]] = {}
        for team in org.teams:
            for person in team.people:
                people.setdefault(person, set()).add(team.name)
        found = silences(alertmanager_url, dt.datetime.combine(since, dt.time(), dt.UTC))
        acks = [s for s in found if s.acknowledgement]
        unattributed = [s for s in found if attribution(s, people).startswith("NOT")]
        lines += [f"{len(found)} silences ({len(acks)} acknowledgements from Karma), {len(unattributed)} not attributable "
                  "to a catalog person.", ""]
        lines += _table(
            ["id", "kind", "created by", "whose", "team", "matchers", "from", "until", "state", "comment"],
            [[s.id, "ack" if s.acknowledgement else "silence", s.created_by, attribution(s, people), s.team or "(none)",
              s.matchers, s.starts_at, s.ends_at, s.state, s.comment] for s in found],
        )
        lines.append("")
    return "\n".join(lines) + "\n"
