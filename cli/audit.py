"""The compliance report (`make audit`): who changed the platform's configuration, which guardrail exceptions are in
force (who approved what, until when), and who silenced or acknowledged which alerts.

Everything is read from where it is recorded, never reconstructed: the git history of the files `pulumi up` deploys
from, `policies/exceptions.yaml`, Alertmanager's silences API (each silence's `createdBy` is the signed-in user
Karma wrote there, see docs/access.md) and OnCall's public API (each alert group's `acknowledged_by` and
`resolved_by`, OnCall user ids, and each user's e-mail). The report is Markdown, one table per section, in a stable
order.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from model.catalog import Organisation
from policies.guardrails.exceptions import DEFAULT_FILE, PolicyException, parse
from stacks import PROJECT_DIR

ACK_PREFIX = "ACK!"
"""Karma's acknowledgements are silences whose comment starts with this (render.systems.karma)."""


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


def verified_opener(ca_file: str, server_name: str | None = None) -> urllib.request.OpenerDirector:
    """HTTPS that trusts `ca_file` (the platform's CA) and verifies the certificate for `server_name` whatever host the
    URL dials: through `kubectl port-forward` the URL says 127.0.0.1, which no certificate of the platform names."""
    context = ssl.create_default_context(cafile=ca_file)

    class Connection(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = socket.create_connection((self.host, self.port), self.timeout)
            self.sock = context.wrap_socket(sock, server_hostname=server_name or self.host)

    class Handler(urllib.request.HTTPSHandler):
        def https_open(self, req):  # noqa: ANN001, ANN201
            return self.do_open(Connection, req)

    return urllib.request.build_opener(Handler(context=context))


def silences(alertmanager_url: str, since: dt.datetime, opener: urllib.request.OpenerDirector | None = None) -> list[Silence]:
    """Every silence Alertmanager holds (active, pending, expired within its retention) that ends after `since`."""
    open_ = (opener or urllib.request.build_opener()).open
    with open_(alertmanager_url.rstrip("/") + "/api/v2/silences", timeout=10) as response:
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


def whose(person: str, team: str, people: dict[str, set[str]]) -> str:
    """Whose an act is: a catalog person of the team it concerns, of another team, or no one the catalog knows."""
    teams = people.get(person)
    if not teams:
        return "NOT ATTRIBUTABLE: no catalog person"
    if team and team not in teams:
        return f"by {'/'.join(sorted(teams))} for {team}"
    return f"by {'/'.join(sorted(teams))}"


def attribution(s: Silence, people: dict[str, set[str]]) -> str:
    """Whose the silence is: a catalog person of the silenced team, of another team, or no one the catalog knows."""
    return whose(s.created_by, s.team, people)


# --- OnCall's acknowledgements and resolutions ------------------------------------------------------------------

ONCALL_MAX_PAGES = 2000
"""50 alert groups a page (OnCall's FiftyPageSizePaginator): 100,000 alert groups at most, then the report stops."""


class AuditError(Exception):
    """A source of the report could not be read; the message names it and never carries a credential."""


@dataclass(frozen=True)
class OnCallAct:
    """One acknowledgement or resolution of an OnCall alert group, and the OnCall user who made it (None: no user)."""

    alert_group: str
    title: str
    team: str
    act: str
    at: str
    user_id: str | None
    email: str


def _oncall_get(base: str, path_and_query: str, token: str) -> dict:
    """GET from OnCall's public API (`Authorization: <token>`, as its docs say). Only ever to `base`: a `next` link
    naming another host is followed on `base`, so the token never leaves for a host the caller did not name."""
    request = urllib.request.Request(base + path_and_query, headers={"Authorization": token, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        raise AuditError(f"OnCall answered {e.code} to GET {path_and_query.split('?')[0]}"
                         + (": the API token was refused" if e.code in (401, 403) else "")) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise AuditError(f"OnCall's API at {base} could not be read: {reason}") from None


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _label(group: dict, key: str) -> str:
    for label in group.get("labels") or []:
        if (label.get("key") or {}).get("name") == key:
            return str((label.get("value") or {}).get("name") or "")
    return ""


def oncall_acts(api_url: str, token: str, since: dt.datetime, until: dt.datetime) -> list[OnCallAct]:
    """Every acknowledgement and resolution of the alert groups started in [since, until], from `GET
    /api/v1/alert_groups/?started_at=<from>_<to>` (engine/apps/public_api, OnCall v1.16.5), each user's e-mail from
    `GET /api/v1/users/<id>/`."""
    parts = urllib.parse.urlsplit(api_url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    window = f"{since:%Y-%m-%dT%H:%M:%S}_{until:%Y-%m-%dT%H:%M:%S}"
    path: str | None = "/api/v1/alert_groups/?" + urllib.parse.urlencode({"started_at": window})
    groups: list[dict] = []
    for _ in range(ONCALL_MAX_PAGES):
        page = _oncall_get(base, path, token)
        groups += page.get("results") or []
        path = _path(page["next"]).removeprefix(parts.path.rstrip("/")) if page.get("next") else None
        if path is None:
            break
    else:
        raise AuditError(f"OnCall has more than {ONCALL_MAX_PAGES} pages of alert groups since {since:%Y-%m-%d}: narrow --since")
    emails: dict[str, str] = {}
    acts = []
    for group in groups:
        for act, at_field, by_field in (("acknowledged", "acknowledged_at", "acknowledged_by"), ("resolved", "resolved_at", "resolved_by")):
            at = group.get(at_field)
            if not at:
                continue
            user = group.get(by_field)
            if user and user not in emails:
                emails[user] = str(_oncall_get(base, f"/api/v1/users/{urllib.parse.quote(user, safe='')}/", token).get("email") or "")
            acts.append(OnCallAct(
                alert_group=str(group.get("id", "")), title=str(group.get("title") or ""),
                team=_label(group, "team") or str(group.get("team_id") or ""), act=act, at=at[:19] + "Z",
                user_id=user or None, email=emails.get(user, "") if user else "",
            ))
    return sorted(acts, key=lambda a: (a.at, a.alert_group, a.act))


def oncall_attribution(a: OnCallAct, people: dict[str, set[str]]) -> str:
    """Whose the act is. A resolution without a user is the alert source's (the alert stopped firing) or the escalation
    chain's, not a person's; an acknowledgement without one, or by a user the catalog does not know, is a finding."""
    if a.user_id is None:
        return "no user: resolved by its source" if a.act == "resolved" else "NOT ATTRIBUTABLE: no OnCall user"
    if not a.email:
        return "NOT ATTRIBUTABLE: the OnCall user has no e-mail"
    return whose(a.email, a.team, people)


def report(stack: str, org: Organisation, today: dt.date, since: dt.date, alertmanager_url: str | None = None,
           exceptions_file: Path = DEFAULT_FILE, repo: Path = PROJECT_DIR, oncall_url: str | None = None,
           oncall_token: str | None = None, alertmanager_opener: urllib.request.OpenerDirector | None = None) -> str:
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

    people: dict[str, set[str]] = {}
    for team in org.teams:
        for person in team.people:
            people.setdefault(person, set()).add(team.name)
    lines += ["## Silences and acknowledgements", ""]
    if alertmanager_url is None:
        lines += ["No Alertmanager given (`ALERTMANAGER=http://...`): not read.", ""]
    else:
        found = silences(alertmanager_url, dt.datetime.combine(since, dt.time(), dt.UTC), alertmanager_opener)
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

    lines += ["## OnCall acknowledgements and resolutions", ""]
    if oncall_url is None or oncall_token is None:
        lines += ["No OnCall API given (`ONCALL=https://... ONCALL_TOKEN_FILE=...`): not read.", ""]
    else:
        start = dt.datetime.combine(since, dt.time(), dt.UTC)
        end = dt.datetime.combine(today, dt.time(23, 59, 59), dt.UTC)
        acts = oncall_acts(oncall_url, oncall_token, start, end)
        findings = [a for a in acts if oncall_attribution(a, people).startswith("NOT")]
        acks = sum(a.act == "acknowledged" for a in acts)
        lines += [f"{acks} acknowledgements and {len(acts) - acks} resolutions of alert groups started since "
                  f"{since.isoformat()}, {len(findings)} not attributable to a catalog person.", ""]
        lines += _table(
            ["alert group", "act", "at", "OnCall user", "e-mail", "whose", "team", "title"],
            [[a.alert_group, a.act, a.at, a.user_id or "(none)", a.email or "(none)", oncall_attribution(a, people),
              a.team or "(none)", a.title] for a in acts],
        )
        lines.append("")
    return "\n".join(lines) + "\n"
