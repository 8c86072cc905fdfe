"""A P0 never reaches only chat: a team nobody can page borrows the platform team's pager."""

from __future__ import annotations

import pytest

from cli import build
from model.errors import InputError
from model.loading import load_catalog
from tests.conftest import write_yaml


def _receiver(config: dict, name: str) -> dict:
    return next(r for r in config["receivers"] if r["name"] == name)


def test_a_team_without_a_pager_gets_the_platform_teams_pager_for_p0():
    config = build.stack_artifacts("prod", None).alertmanager
    data_p0 = _receiver(config, "data-p0")
    assert [p["routing_key_file"] for p in data_p0["pagerduty_configs"]] == ["/etc/alertmanager-secrets/platform-pagerduty"]
    assert data_p0["slack_configs"][0]["channel"] == "#data-incidents"
    # a team with its own pager keeps it
    payments_p0 = _receiver(config, "payments-p0")
    assert [p["routing_key_file"] for p in payments_p0["pagerduty_configs"]] == ["/etc/alertmanager-secrets/payments-pagerduty"]


def test_without_paging_no_one_is_borrowed():
    config = build.stack_artifacts("dev", None).alertmanager
    assert "pagerduty_configs" not in _receiver(config, "data-p0")


def test_the_platform_team_must_be_pageable(small_catalog_doc, tmp_path):
    small_catalog_doc["teams"][0].pop("oncall")
    small_catalog_doc["teams"][0]["services"][0]["tier"] = "high"  # so no P0 service requires a pager of its own
    path = write_yaml(tmp_path / "c.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: teams[0].pagerduty: required: the platform team is the on-call of last resort" in str(exc.value)
