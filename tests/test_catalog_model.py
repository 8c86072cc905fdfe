"""The catalog model: good input loads into the typed model; each kind of bad input is refused with file and field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from model.catalog import Organisation, Tier
from model.errors import InputError
from model.loading import load_catalog
from tests.conftest import write_yaml


def _svc(doc: dict, team: int = 0, service: int = 0) -> dict:
    return doc["teams"][team]["services"][service]


Mutation = Callable[[dict], None]

BAD_INPUTS: dict[str, tuple[Mutation, str]] = {
    "A service with an unknown tier is refused.": (
        lambda d: _svc(d, 0, 1).update(tier="platinum"),
        "teams[0].services[1].tier: Input should be 'critical', 'high', 'medium' or 'low'",
    ),
    "An unknown field is refused instead of ignored.": (
        lambda d: _svc(d).update(tierr="high"),
        "teams[0].services[0].tierr: Extra inputs are not permitted",
    ),
    "A field of the wrong type is refused.": (
        lambda d: _svc(d).update(depends_on="db"),
        "teams[0].services[0].depends_on: Input should be a valid list",
    ),
    "A dependency on an unknown service is refused.": (
        lambda d: _svc(d, 1, 0)["depends_on"].append("cache"),
        "teams[1].services[0].depends_on[1]: unknown service 'cache'",
    ),
    "A dependency cycle is refused and shown.": (
        lambda d: _svc(d, 0, 1).update(depends_on=["web"]),
        "teams[0].services[1].depends_on: dependency cycle: db -> web -> db",
    ),
    "A service depending on itself is refused.": (
        lambda d: _svc(d, 0, 1).update(depends_on=["db"]),
        "teams[0].services[1].depends_on[0]: a service cannot depend on itself",
    ),
    "Two services with one name are refused, even across teams.": (
        lambda d: _svc(d, 1, 0).update(name="web"),
        "teams[1].services[0].name: duplicate service name 'web': service names are unique across the organisation",
    ),
    "Two teams with one name are refused.": (
        lambda d: d["teams"][1].update(name="infra"),
        "teams[1].name: duplicate team name 'infra'",
    ),
    "An unknown platform team is refused.": (
        lambda d: d.update(platform_team="ops"),
        "platform_team: unknown team 'ops'; teams are: apps, infra",
    ),
    "A bad duration is refused with an example of a good one.": (
        lambda d: d["teams"][0]["escalation"]["steps"][1].update(after="15 minutes"),
        "teams[0].escalation.steps[1].after: '15 minutes' is not a duration; use a Prometheus duration such as 30s, 5m, 1h30m or 7d",
    ),
    "A later escalation step that does not wait is refused.": (
        lambda d: d["teams"][0]["escalation"]["steps"][1].update(after="0s"),
        "teams[0].escalation: steps[1].after must be longer than 0s: a later step that waits for nothing is not a step",
    ),
    "A time zone that is not in the IANA database is refused.": (
        lambda d: d["teams"][0]["business_hours"].update(timezone="Europe/Atlantis"),
        "teams[0].business_hours.timezone: 'Europe/Atlantis' is not an IANA time zone such as Europe/Berlin or America/New_York",
    ),
    "Business hours that end before they start are refused.": (
        lambda d: d["teams"][0]["business_hours"].update(start="18:00", end="09:00"),
        "teams[0].business_hours: start 18:00 must be before end 09:00",
    ),
    "A secret written as a value instead of a reference is refused.": (
        lambda d: d["teams"][0]["slack"]["alerts"].update(webhook="https://hooks.example.com/x"),
        "teams[0].slack.alerts.webhook: Input should be a valid dictionary or instance of SecretRef",
    ),
    "A channel without webhook needs the organisation's Slack app.": (
        lambda d: d["teams"][1]["slack"]["alerts"].pop("webhook"),
        "teams[1].slack.alerts.webhook: required: the organisation has no Slack app (`slack.bot_token`) to post with",
    ),
    "A team whose services can raise P0 must be able to page.": (
        lambda d: d["teams"][0].pop("oncall"),
        "teams[0].pagerduty: required: web can raise P0 alerts, which must page (give `pagerduty` or `oncall`)",
    ),
    "A maintenance window for another team's service is refused.": (
        lambda d: d["teams"][1].update(
            maintenance=[{"name": "maint", "services": ["db"], "weekly": {"weekdays": ["sunday"], "start": "01:00", "end": "02:00"}}]
        ),
        "teams[1].maintenance[0].services[0]: 'db' is not a service of team 'apps'",
    ),
    "A maintenance window must be either weekly or once.": (
        lambda d: d["teams"][1].update(maintenance=[{"name": "maint"}]),
        "teams[1].maintenance[0]: give exactly one of `weekly` or `once`",
    ),
    "A name that is not a DNS label is refused.": (
        lambda d: _svc(d).update(name="Web_Server"),
        "teams[0].services[0].name: String should match pattern '^[a-z][a-z0-9-]{0,61}[a-z0-9]$'",
    ),
    "A missing runbook is refused: every alert links one.": (
        lambda d: _svc(d).pop("runbook_url"),
        "teams[0].services[0].runbook_url: Field required",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_catalog_input_is_refused_with_file_and_field(case, tmp_path, small_catalog_doc):
    mutate, expected = BAD_INPUTS[case]
    mutate(small_catalog_doc)
    path = write_yaml(tmp_path / "catalog" / "payments.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: {expected}" in str(exc.value).splitlines()


GOOD_INPUTS: dict[str, tuple[Mutation, Callable[[Organisation], bool]]] = {
    "The small catalog loads as written.": (lambda d: None, lambda o: [t.name for t in o.teams] == ["infra", "apps"]),
    "Durations are read the Prometheus way.": (
        lambda d: d["teams"][0]["escalation"]["steps"][1].update(after="1h30m"),
        lambda o: o.teams[0].escalation.steps[1].after.seconds == 5400,
    ),
    "A one-off maintenance window loads.": (
        lambda d: d["teams"][0].update(
            maintenance=[{"name": "upgrade", "timezone": "Australia/Sydney", "services": ["db"],
                          "once": {"start": "2026-12-01T22:00:00", "end": "2026-12-02T01:00:00"}}]
        ),
        lambda o: o.teams[0].maintenance[0].once.end.day == 2,
    ),
    "A dependency on another team's service is allowed.": (
        lambda d: None, lambda o: o.service("batch").depends_on == ["db"]
    ),
    "Tiers are typed.": (lambda d: None, lambda o: o.service("web").tier is Tier.critical),
}


@pytest.mark.parametrize("case", GOOD_INPUTS, ids=list(GOOD_INPUTS))
def test_good_catalog_input_loads_into_the_model(case, tmp_path, small_catalog_doc):
    mutate, holds = GOOD_INPUTS[case]
    mutate(small_catalog_doc)
    org = load_catalog(write_yaml(tmp_path / "catalog.yaml", small_catalog_doc))
    assert holds(org)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path, small_catalog_doc):
    _svc(small_catalog_doc).update(tier="gold")
    small_catalog_doc["teams"][1]["business_hours"]["timezone"] = "Mars/Olympus"
    path = write_yaml(tmp_path / "c.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert len(exc.value.problems) == 2


def test_a_catalog_directory_names_the_file_of_each_problem(tmp_path, small_catalog_doc):
    infra, apps = small_catalog_doc["teams"]
    head = {k: v for k, v in small_catalog_doc.items() if k != "teams"}
    write_yaml(tmp_path / "cat" / "00-org.yaml", {**head, "teams": [infra]})
    apps["services"][0]["tier"] = "gold"
    bad = write_yaml(tmp_path / "cat" / "10-apps.yaml", {"teams": [apps]})
    with pytest.raises(InputError) as exc:
        load_catalog(tmp_path / "cat")
    assert str(exc.value) == f"{bad}: teams[0].services[0].tier: Input should be 'critical', 'high', 'medium' or 'low'"


def test_yaml_syntax_errors_name_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nteams: [\n")
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert str(exc.value).startswith(f"{path}: line ")


def test_duplicate_yaml_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nname: b\nteams: []\n")
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert "duplicate key 'name'" in str(exc.value)


def test_error_messages_never_echo_the_offending_value(tmp_path, small_catalog_doc):
    secret = "https://hooks.slack.example/T0/B0/very-secret-token"
    small_catalog_doc["teams"][0]["slack"]["alerts"]["webhook"] = secret
    with pytest.raises(InputError) as exc:
        load_catalog(write_yaml(tmp_path / "c.yaml", small_catalog_doc))
    assert secret not in str(exc.value)
