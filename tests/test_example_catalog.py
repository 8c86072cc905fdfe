"""The shipped example organisation, and the promise that Python and YAML catalogs are one model."""

from __future__ import annotations

from pathlib import Path

import pytest

import catalog
from model.catalog import Organisation, Service, Team, Tier
from model.errors import InputError
from model.loading import build_catalog, load_catalog
from tests.conftest import write_yaml


@pytest.fixture(scope="module")
def org() -> Organisation:
    return catalog.load("example")


def test_the_example_has_at_least_four_teams_with_a_security_and_a_platform_team(org):
    names = {t.name for t in org.teams}
    assert len(names) >= 4
    assert {org.platform_team, org.security_team} <= names
    assert org.platform_team != org.security_team


def test_the_example_has_at_least_ten_services_across_every_tier_with_dependencies(org):
    services = [s for _, s in org.services()]
    assert len(services) >= 10
    assert {s.tier for s in services} == set(Tier)
    assert sum(len(s.depends_on) for s in services) >= 10
    # a dependency that crosses teams: checkout (payments) on postgres (platform)
    assert "postgres" in org.service("checkout").depends_on
    assert org.owner("checkout").name != org.owner("postgres").name


def test_every_example_team_can_be_reached_and_every_p0_service_can_page(org):
    for team in org.teams:
        assert team.slack.alerts.channel.startswith("#")
        if any(s.tier == Tier.critical and s.impact.revenue_affecting for s in team.services):
            assert team.pagerduty or team.oncall


def test_the_example_written_as_yaml_loads_into_an_equal_model(org, tmp_path):
    path = write_yaml(tmp_path / "example.yaml", org.model_dump(mode="json", exclude_defaults=True))
    assert load_catalog(path) == org


def test_the_example_refers_to_secrets_only_by_name(org):
    refs = dict(org.secret_refs())
    assert "payments-pagerduty" in refs
    assert refs["payments-pagerduty"] == "teams[1].pagerduty.routing_key"


def test_a_bad_python_catalog_names_its_file_line_and_field():
    def factory():
        return Team(  # the line the error must name
            name="t", display_name="T", slack={}, business_hours={}, escalation={}, services=[]
        )

    with pytest.raises(InputError) as exc:
        build_catalog(factory, Path(__file__).parent)
    first = str(exc.value).splitlines()[0]
    assert first.startswith(f"tests/{Path(__file__).name}:")
    assert first.endswith("Team.name: String should match pattern '^[a-z][a-z0-9-]{0,61}[a-z0-9]$'")


def test_an_unknown_built_in_catalog_path_is_a_clear_error(tmp_path):
    with pytest.raises(InputError) as exc:
        catalog.load(str(tmp_path / "nope.yaml"))
    assert str(exc.value) == f"{tmp_path / 'nope.yaml'}: (file): No such file or directory"


def test_services_have_a_default_pod_selector():
    svc = Service(
        name="api", tier="low", runbook_url="https://r.example/api", dashboard_url="https://d.example/api", namespace="ns"
    )
    assert svc.pod_selector == {"app.kubernetes.io/name": "api"}
