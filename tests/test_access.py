"""Team isolation: each team silences only its own alerts in Karma and owns its Grafana folder and OnCall objects; the
platform and security teams act on everything. Proven on the rendered Karma files with Karma's own rules
(tests/karma_acl.py, transcribed from karma v0.131) and on what the program registers under the Pulumi mocks."""

from __future__ import annotations

import pytest
import yaml

from cli import recorder
from render.alertmanager.config import GROUP_BY
from stacks import from_values
from tests import karma_acl
from tests.conftest import stack_values
from tests.karma_acl import Matcher

# People of the shipped example catalog (catalog/example/), by what they are there.
PAYMENTS_ONCALL = "dara@example.com"
PAYMENTS_MANAGER = "nina@example.com"
STOREFRONT_ONCALL = "hana@example.com"
PLATFORM_ONCALL = "ana@example.com"
SECURITY_MANAGER = "omar@example.com"
DATA_MEMBER = "quinn@example.com"  # no rotation: a member by `members`
STRANGER = "someone@elsewhere.example"


@pytest.fixture(scope="module")
def prod():
    return from_values("prod", stack_values("prod"))


@pytest.fixture(scope="module")
def karma(prod):
    """(karma.yaml, ACL rules as Karma parses them) of prod, through the files the build writes."""
    files = prod.artifacts.files()
    config = yaml.safe_load(files["karma/karma.yaml"])
    return config, karma_acl.load_rules(yaml.safe_load(files["karma/acls.yaml"]), config)


def team(value: str) -> Matcher:
    return Matcher("team", value)


def acknowledgement(owner: str) -> list[Matcher]:
    """The silence Karma's one-click acknowledgement creates for an alert group (ui/src/Stores/SilenceFormStore.ts
    MatchersFromGroup): one equal matcher per label of the group, a regex only where the group's alerts differ."""
    labels = {"alertname": "HighErrorRate", "team": owner, "service": "checkout", "cluster": "prod-eu1", "priority": "P1"}
    assert set(labels) == set(GROUP_BY)
    return [Matcher(name, value) for name, value in labels.items()]


CASES = {
    "A payments engineer silences a payments alert.": (PAYMENTS_ONCALL, [team("payments"), Matcher("alertname", "HighErrorRate")], True),
    "A payments manager silences all of payments' alerts.": (PAYMENTS_MANAGER, [team("payments")], True),
    "A payments engineer narrows their own silence with a regex on another label.": (
        PAYMENTS_ONCALL, [team("payments"), Matcher("instance", "web-[0-9]+", isRegex=True)], True),
    "A payments engineer cannot silence a storefront alert.": (PAYMENTS_ONCALL, [team("storefront")], False),
    "A payments engineer cannot reach storefront through a regex on team.": (
        PAYMENTS_ONCALL, [Matcher("team", "payments|storefront", isRegex=True)], False),
    "A payments engineer cannot silence every team but one with a negative matcher.": (
        PAYMENTS_ONCALL, [Matcher("team", "storefront", isEqual=False)], False),
    "A negative matcher on their own team name does not pass as their team.": (
        PAYMENTS_ONCALL, [Matcher("team", "payments", isEqual=False)], False),
    "A silence without a team matcher reaches every team, so a team member cannot create it.": (
        PAYMENTS_ONCALL, [Matcher("alertname", "Watchdog")], False),
    "A member listed only in `members` silences their team's alerts.": (DATA_MEMBER, [team("data")], True),
    "A member listed only in `members` cannot silence another team's alerts.": (DATA_MEMBER, [team("payments")], False),
    "The platform team silences any team's alert.": (PLATFORM_ONCALL, [team("storefront")], True),
    "The platform team silences alerts without a team.": (PLATFORM_ONCALL, [Matcher("alertname", "Watchdog")], True),
    "The security team silences with regexes across teams.": (SECURITY_MANAGER, [Matcher("team", ".+", isRegex=True)], True),
    "Someone in no catalog team silences nothing.": (STRANGER, [team("payments")], False),
    "A payments engineer acknowledges a payments alert group in one click.": (PAYMENTS_ONCALL, acknowledgement("payments"), True),
    "A payments engineer cannot acknowledge a storefront alert group.": (PAYMENTS_ONCALL, acknowledgement("storefront"), False),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_karma_lets_a_team_silence_only_its_own_alerts(case, karma):
    user, silence, expected = CASES[case]
    config, rules = karma
    name = config["alertmanager"]["servers"][0]["name"]
    allowed, reason = karma_acl.check(rules, name, silence, karma_acl.user_groups(config, user))
    assert allowed is expected, reason
    if not allowed:
        assert 'add the matcher team="<your team>"' in reason


def test_every_alertmanager_replica_is_reached_through_karmas_proxy_where_the_rules_apply(karma):
    config, _ = karma
    assert all(server["proxy"] is True and server["readonly"] is False for server in config["alertmanager"]["servers"])


def test_karma_takes_the_user_from_the_proxys_header_and_refuses_requests_without_one(karma, prod):
    config, _ = karma
    assert config["authentication"]["header"]["name"] == prod.settings.access.user_header == "X-Auth-Request-Email"
    assert karma_acl.signed_in_user(config, "dara@example.com") == "dara@example.com"
    assert karma_acl.signed_in_user(config, "") is None
    assert config["authorization"]["acl"]["silences"] == "/etc/karma/acls.yaml"
    assert config["alertAcknowledgement"]["enabled"] is True


def test_karmas_groups_are_the_catalog_teams_with_their_rotation_manager_and_members(karma, prod):
    config, _ = karma
    groups = {g["name"]: set(g["members"]) for g in config["authorization"]["groups"]}
    payments = next(t for t in prod.catalog.teams if t.name == "payments")
    assert groups["payments"] == {*payments.oncall.rotation, payments.oncall.manager}
    assert groups["data"] == {"quinn@example.com", "rosa@example.com"}
    assert set(groups) == {t.name for t in prod.catalog.teams}


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"action": "allow", "reason": "x", "scope": {"groups": ["nobody"]}}, "no group with name 'nobody'"),
        ({"action": "allow", "reason": "x", "scope": {"filters": [{"name": "team"}]}}, "requires 'value' or 'value_re'"),
        ({"action": "permit", "reason": "x"}, "'action' to be one of"),
        ({"action": "block", "reason": "x", "scope": {"filters": [{"nameFoo": "x"}]}}, "field nameFoo not found"),
    ],
)
def test_the_acl_reader_refuses_what_karma_refuses(broken, message, karma):
    """The stand-in for Karma's parser fails where Karma's does (cmd/karma/tests/testscript/00*_acl_*.txt)."""
    config, _ = karma
    with pytest.raises(karma_acl.ConfigError, match=message):
        karma_acl.load_rules({"rules": [broken]}, config)


def test_without_signed_in_users_karma_has_no_acl_and_says_so_in_docs():
    dev = from_values("dev", stack_values("dev"))
    assert dev.settings.access.user_header is None
    assert "authentication" not in dev.artifacts.karma and dev.artifacts.karma_acls is None


def test_production_without_a_user_header_is_refused():
    values = stack_values("prod")
    values.pop("alerting-platform:access")
    with pytest.raises(Exception, match="production needs access.userHeader"):
        from_values("prod", values)


# --- Under the Pulumi mocks ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inventory():
    return recorder.run("prod")


def by_type(inventory, type_: str) -> dict[str, dict]:
    return {r.name: r.inputs for r in inventory.of_type(type_)}


def test_karmas_release_mounts_the_acl_file_beside_its_config(inventory):
    (release,) = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "karma"]
    config_map = release.inputs["values"]["configMap"]
    assert config_map["rawConfig"]["authorization"]["acl"]["silences"] == "/etc/karma/acls.yaml"
    assert config_map["aclsConfig"]["rules"][-1]["action"] == "block"


def test_every_catalog_team_is_a_grafana_team_with_its_people(inventory, prod):
    teams = {i["name"]: set(i["members"]) for i in by_type(inventory, "grafana:oss/team:Team").values()}
    assert set(teams) == {t.name for t in prod.catalog.teams}
    assert teams["storefront"] == {"hana@example.com", "ivan@example.com"}
    assert teams["data"] == {"quinn@example.com", "rosa@example.com"}


def test_each_team_owns_its_folder_and_only_platform_and_security_see_it_besides(inventory, prod):
    ids = {r.inputs["name"]: f"{r.name}-id" for r in inventory.of_type("grafana:oss/team:Team")}
    folders = {i["uid"]: i["title"] for i in by_type(inventory, "grafana:oss/folder:Folder").values()}
    permissions = {i["folderUid"]: i["permissions"] for i in by_type(inventory, "grafana:oss/folderPermission:FolderPermission").values()}
    assert set(folders) == set(permissions) == {f"team-{t.name}" for t in prod.catalog.teams}
    for t in prod.catalog.teams:
        grants = {(p.get("teamId"), p.get("role"), p["permission"]) for p in permissions[f"team-{t.name}"]}
        expected = {(ids[t.name], None, "Admin"), (ids["platform"], None, "Admin")}
        if t.name != "security":
            expected.add((ids["security"], None, "View"))
        # No `role` entry: Viewers and Editors of the organisation get nothing, so other teams do not see the folder.
        assert grants == expected, t.name
        assert folders[f"team-{t.name}"] == t.display_name


def test_oncall_objects_belong_to_the_team_oncall_synced_from_grafana(inventory, prod):
    kinds = ["schedule:Schedule", "onCallShift:OnCallShift", "escalationChain:EscalationChain", "integration:Integration",
             "outgoingWebhook:OutgoingWebhook"]
    seen = 0
    for kind in kinds:
        for name, inputs in by_type(inventory, f"grafana:onCall/{kind}").items():
            owner = next(t.name for t in prod.catalog.teams if name.startswith(f"alerting-oncall-escalation-{t.name}-"))
            # The mock answers getTeam with `team-<name>`: the id must be the one looked up by this team's name.
            assert inputs.get("teamId") == f"team-{owner}", name
            seen += 1
    assert seen > 20


def test_grafana_signs_people_in_by_the_proxys_header(inventory):
    (release,) = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "grafana"]
    ini = release.inputs["values"]["grafana.ini"]
    assert ini["auth.proxy"]["header_name"] == "X-Auth-Request-Email" and ini["auth.proxy"]["header_property"] == "email"
