"""The incident policy of the catalog: defaults, per-team overrides, and every reason a lifecycle could not run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from model.catalog import Organisation, Priority
from model.errors import InputError
from model.loading import load_catalog
from tests.conftest import write_yaml

PEOPLE = [
    {"email": "ops1@small.example", "slack": "U01OPS1", "jira": "acc-ops1"},
    {"email": "ops2@small.example", "slack": "U01OPS2"},
]
JIRA = {"api_url": "https://small.atlassian.net", "project": "PM", "username": "bot@small.example", "password": {"secret": "jira-token"}}


def with_incidents(doc: dict) -> dict:
    """The small catalog with a Slack app, the organisation's incident policy and its people."""
    doc["slack"] = {"bot_token": {"secret": "slack-bot-token"}}
    doc["incidents"] = {"postmortem": {"jira": JIRA}}
    doc["people"] = [dict(p) for p in PEOPLE]
    return doc


def _infra(doc: dict) -> dict:
    return doc["teams"][0]


Mutation = Callable[[dict], None]

BAD_POLICIES: dict[str, tuple[Mutation, str]] = {
    "A room name without the alert group is refused: two incidents would share a room.": (
        lambda d: d["incidents"].update(room_name="inc-{team}"),
        "incidents.room_name: must contain {id}: a war room is unique per incident",
    ),
    "A room name with capitals is refused, as Slack refuses it.": (
        lambda d: d["incidents"].update(room_name="INC-{id}"),
        "incidents.room_name: Slack channel names are lower case letters, digits, hyphens and underscores",
    ),
    "A room name with a period is refused, as Slack refuses it.": (
        lambda d: d["incidents"].update(room_name="inc.{id}"),
        "incidents.room_name: Slack channel names are lower case letters, digits, hyphens and underscores",
    ),
    "An unknown placeholder is refused and the known ones are listed.": (
        lambda d: d["incidents"].update(room_name="inc-{cluster}-{id}"),
        "incidents.room_name: unknown placeholder {cluster}; use {team}, {priority}, {service}, {date}, {id}",
    ),
    "A room name that can pass 80 characters for a team is refused with the team's worst case.": (
        lambda d: d["incidents"].update(room_name="incident-" + "x" * 43 + "-{team}-{service}-{id}"),
        "teams[0].incidents.room_name: gives names of up to 83 characters for team 'infra'; Slack allows 80",
    ),
    "A person a war room would invite but who has no Slack ID is named.": (
        lambda d: d["people"].pop(1),
        "people: missing ops2@small.example (team infra): war rooms invite and name people by their Slack member ID",
    ),
    "A post-mortem needs a Jira to go to.": (
        lambda d: d["incidents"].pop("postmortem"),
        "incidents.postmortem.jira: required: team 'infra' has no `jira` to file post-mortems in",
    ),
    "Every incident priority needs a post-mortem due time.": (
        lambda d: d["incidents"].update(priorities=["P0", "P1", "P2"]),
        "incidents.postmortem.due: required for P2: team 'infra' opens incidents at P2",
    ),
    "A team turning the lifecycle on without OnCall is told why it cannot run.": (
        lambda d: d["teams"][1].update(incidents={"enabled": True}),
        "teams[1].incidents: the incident lifecycle runs on Grafana OnCall: give the team an `oncall` rotation or set `enabled: false`",
    ),
    "A team bringing its own OnCall integration cannot carry the lifecycle.": (
        lambda d: _infra(d)["oncall"].update(integration_url={"secret": "infra-oncall"}),
        "teams[0].oncall.integration_url: the incident lifecycle hangs off the OnCall integration the platform creates: "
        "drop `integration_url` or set `incidents: {enabled: false}`",
    ),
    "A Slack member ID is checked for its shape.": (
        lambda d: d["people"][0].update(slack="ops1"),
        "people[0].slack: String should match pattern '^[UW][A-Z0-9]{2,20}$'",
    ),
    "One person listed twice is refused.": (
        lambda d: d["people"].append(dict(PEOPLE[0])),
        "people[2].email: duplicate person 'ops1@small.example'",
    ),
    "A post-mortem due time of zero business days is refused.": (
        lambda d: d["incidents"].update(postmortem={"jira": JIRA, "due": {"P0": 0, "P1": 5}}),
        "incidents.postmortem.due.P0: Input should be greater than or equal to 1",
    ),
}


@pytest.mark.parametrize("case", BAD_POLICIES, ids=list(BAD_POLICIES))
def test_a_policy_the_lifecycle_cannot_run_is_refused_with_file_and_field(case, tmp_path, small_catalog_doc):
    mutate, expected = BAD_POLICIES[case]
    doc = with_incidents(small_catalog_doc)
    mutate(doc)
    path = write_yaml(tmp_path / "catalog.yaml", doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: {expected}" in str(exc.value).splitlines()


GOOD_POLICIES: dict[str, tuple[Mutation, Callable[[Organisation], bool]]] = {
    "An organisation without an incident policy runs no lifecycle.": (
        lambda d: [d.pop("incidents"), d.pop("people")],
        lambda o: not o.runs_incidents(o.team("infra")),
    ),
    "The defaults open incidents at P0 and P1, due in 2 and 5 business days.": (
        lambda d: None,
        lambda o: (p := o.incident_policy(o.team("infra"))).priorities == [Priority.P0, Priority.P1]
        and p.postmortem.due == {Priority.P0: 2, Priority.P1: 5},
    ),
    "Teams without OnCall keep their pages and simply get no war rooms.": (
        lambda d: None,
        lambda o: o.runs_incidents(o.team("infra")) and not o.runs_incidents(o.team("apps")),
    ),
    "A team override replaces only the fields it gives.": (
        lambda d: _infra(d).update(incidents={"priorities": ["P0"], "room_name": "war-{service}-{id}"}),
        lambda o: (p := o.incident_policy(o.team("infra"))).priorities == [Priority.P0]
        and p.room_name == "war-{service}-{id}" and p.postmortem.jira is not None and p.invite_team,
    ),
    "A team can turn the lifecycle off.": (
        lambda d: _infra(d).update(incidents={"enabled": False}),
        lambda o: not o.runs_incidents(o.team("infra")),
    ),
    "A team can turn the lifecycle on when the organisation has none.": (
        lambda d: [d.pop("incidents"), _infra(d).update(incidents={"enabled": True, "postmortem": {"jira": JIRA}})],
        lambda o: o.runs_incidents(o.team("infra")),
    ),
    "Targets default to the report's: MTTA 5m, P1 MTTR 30m, 5% false positives.": (
        lambda d: None,
        lambda o: (t := o.incident_policy(o.team("apps")).targets).mtta.seconds == 300
        and t.mttr[Priority.P1].seconds == 1800 and t.false_positive_ratio == 0.05,
    ),
}


@pytest.mark.parametrize("case", GOOD_POLICIES, ids=list(GOOD_POLICIES))
def test_a_good_policy_loads_into_the_model(case, tmp_path, small_catalog_doc):
    mutate, holds = GOOD_POLICIES[case]
    doc = with_incidents(small_catalog_doc)
    mutate(doc)
    assert holds(load_catalog(write_yaml(tmp_path / "catalog.yaml", doc)))


def test_the_example_organisation_runs_incidents_for_every_team_with_a_rotation():
    from catalog.example import organisation

    org = organisation()
    assert [t.name for t in org.teams if org.runs_incidents(t)] == [t.name for t in org.teams if t.oncall is not None]
