"""Who may do what: each catalog team silences only its own alerts in Karma and owns its Grafana folder; the platform
and security teams act on everything.

Karma's silence ACLs (docs/ACLs.md and cmd/karma/acl.go of karma v0.131, the chart's app version): rules are read in
order; the first `allow` or `block` whose scope matches ends the check; a rule's scope matches when the user is in one
of its `groups` (none: everyone) and every `filters` entry matches some matcher of the silence. Karma applies them in
its proxy to every silence it creates or edits, so each server has `proxy: true`. A silence with the matcher
`team="<team>"` (equal, not a regex) can only ever silence that team's alerts: Alertmanager silences an alert only when
every matcher holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.catalog import Organisation

KARMA_ACL_FILE = "/etc/karma/acls.yaml"
"""Where the karma chart mounts `configMap.aclsConfig` (its ConfigMap is mounted at /etc/karma)."""
TEAM_LABEL = "team"


def admin_teams(org: Organisation) -> tuple[str, ...]:
    """The teams that see and silence everything: the platform's and security's."""
    return tuple(sorted({org.platform_team, org.security_team}))


def karma_groups(org: Organisation) -> list[dict]:
    """`authorization.groups`: one group per team, named after it, its people as the proxy signs them in."""
    return [{"name": team.name, "members": list(team.people)} for team in sorted(org.teams, key=lambda t: t.name) if team.people]


def karma_silence_acls(org: Organisation) -> dict:
    """The silence ACL file: admins allowed; each team allowed with its own `team` matcher; everything else blocked."""
    grouped = {g["name"] for g in karma_groups(org)}
    admins = [t for t in admin_teams(org) if t in grouped]
    rules: list[dict] = []
    if admins:
        rules.append({"action": "allow", "reason": "the platform and security teams silence any alert", "scope": {"groups": admins}})
    for team in sorted(grouped - set(admins)):
        rules.append(
            {
                "action": "allow",
                "reason": f"{team} silences its own alerts",
                "scope": {
                    "groups": [team],
                    # Equal and not a regex: `team=~"pay.*"` or `team!="x"` would reach other teams' alerts.
                    "filters": [{"name": TEAM_LABEL, "value": team, "isRegex": False, "isEqual": True}],
                },
            }
        )
    rules.append(
        {
            "action": "block",
            "reason": f"a team silences only its own alerts: add the matcher {TEAM_LABEL}=\"<your team>\" (exact, not a regex)",
        }
    )
    return {"rules": rules}


def karma_authentication(user_header: str) -> dict:
    """Header authentication: the proxy's header is the user; Karma writes it into every silence's `createdBy`."""
    return {"header": {"name": user_header, "value_re": "^(.+)$"}}


@dataclass(frozen=True)
class GrafanaTeam:
    """A catalog team in Grafana: its team, its members and the folder it owns."""

    name: str
    title: str
    members: tuple[str, ...]
    folder_uid: str


def grafana_teams(org: Organisation) -> tuple[GrafanaTeam, ...]:
    return tuple(
        GrafanaTeam(name=t.name, title=t.display_name, members=t.people, folder_uid=f"team-{t.name}")
        for t in sorted(org.teams, key=lambda t: t.name)
    )


def folder_permissions(org: Organisation, team: str) -> list[tuple[str, str]]:
    """(team, permission) on a team's folder: the team administers it, platform too, security views it. No role gets
    anything, so no other team sees it (Grafana replaces a folder's whole permission list with these)."""
    grants = {team: "Admin", org.platform_team: "Admin"}
    grants.setdefault(org.security_team, "View")
    return sorted(grants.items())
