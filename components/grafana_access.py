"""Grafana teams and folders from the catalog, through Grafana's API: each team owns its folder, no one else sees it
but the platform team (administers every folder) and the security team (views every folder). OnCall takes its teams
from Grafana, so the same teams own their schedules, escalation chains and integrations there."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumiverse_grafana as grafana
from pulumiverse_grafana import oss

from components.common import PACKAGE
from render.systems.access import GrafanaTeam


@dataclass(frozen=True)
class GrafanaAccessArgs:
    api_url: pulumi.Input[str]
    """Grafana's API, reachable from where `pulumi up` runs."""
    admin_password: pulumi.Input[str]
    """The password of Grafana's `admin` (a Pulumi secret)."""
    teams: tuple[GrafanaTeam, ...]
    permissions: dict[str, list[tuple[str, str]]]
    """Team -> (team, permission) on its folder (render.systems.access.folder_permissions)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """The running Grafana."""


class GrafanaAccess(pulumi.ComponentResource):
    """One Grafana team and one folder per catalog team, with the folder's whole permission list."""

    teams: dict[str, oss.Team]

    def __init__(self, name: str, args: GrafanaAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:GrafanaAccess", name, None, opts)
        self.provider = grafana.Provider(
            f"{name}-provider",
            url=args.api_url,
            auth=pulumi.Output.secret(pulumi.Output.concat("admin:", args.admin_password)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_grafana = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(args.depends_on) or None)
        self.teams = {
            team.name: oss.Team(f"{name}-team-{team.name}", name=team.name, members=list(team.members), opts=on_grafana)
            for team in args.teams
        }
        self.folders = {}
        for team in args.teams:
            folder = oss.Folder(f"{name}-folder-{team.name}", uid=team.folder_uid, title=team.title, opts=on_grafana)
            self.folders[team.name] = folder
            oss.FolderPermission(
                f"{name}-folder-{team.name}-permissions",
                folder_uid=folder.uid,
                permissions=[
                    oss.FolderPermissionPermissionArgs(team_id=self.teams[grantee].id, permission=level)
                    for grantee, level in args.permissions[team.name]
                    if grantee in self.teams
                ],
                opts=on_grafana,
            )
        self.register_outputs({"teams": len(self.teams)})
