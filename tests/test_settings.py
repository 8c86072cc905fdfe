"""Stack settings from Pulumi config: both stacks are complete; each kind of bad config is refused by file and key."""

from __future__ import annotations

import json

import pytest

from model.errors import InputError
from stacks import from_values
from stacks.config import decode, parse_settings
from tests.conftest import STACKS, stack_values


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_file_is_complete(stack):
    built = from_values(stack, stack_values(stack))
    assert built.settings.environment == stack
    assert built.catalog.name == "example"


def test_dev_and_prod_differ_where_environments_should():
    dev, prod = (from_values(s, stack_values(s)).settings for s in STACKS)
    assert (dev.alertmanager.replicas, prod.alertmanager.replicas) == (1, 3)
    assert (dev.metrics.mode, prod.metrics.mode) == ("single", "cluster")
    assert dev.metrics.retention < prod.metrics.retention
    assert dev.thanos.retention_1h < prod.thanos.retention_1h
    assert (dev.paging, prod.paging) == (False, True)
    assert prod.metrics.replication_factor >= 2


BAD_CONFIG = {
    "An unknown key is refused.": (
        {"alertmanger": {"replicas": 3}},
        "alerting-platform:alertmanger: Extra inputs are not permitted",
    ),
    "An unknown nested key is refused.": (
        {"alertmanager": {"replicaz": 3}},
        "alerting-platform:alertmanager.replicaz: Extra inputs are not permitted",
    ),
    "A wrong type is refused.": (
        {"alertmanager": {"replicas": "three"}},
        "alerting-platform:alertmanager.replicas: Input should be a valid integer, unable to parse string as an integer",
    ),
    "Zero Alertmanager replicas are refused.": (
        {"alertmanager": {"replicas": 0}},
        "alerting-platform:alertmanager.replicas: Input should be greater than or equal to 1",
    ),
    "A bad duration is refused.": (
        {"metrics": {"mode": "single", "retention": "a fortnight", "replicationFactor": 1}},
        "alerting-platform:metrics.retention: 'a fortnight' is not a duration; use a Prometheus duration such as 30s, 5m, 1h30m or 7d",
    ),
    "Replication without a cluster is refused.": (
        {"metrics": {"mode": "single", "replicationFactor": 2}},
        "alerting-platform:metrics: replicationFactor must be 1 in single mode; replication needs mode: cluster",
    ),
    "Thanos retentions that shrink with resolution are refused.": (
        {"thanos": {"retentionRaw": "90d", "retention5m": "30d", "retention1h": "1y"}},
        "alerting-platform:thanos: retentions must not shrink with resolution: retentionRaw <= retention5m <= retention1h",
    ),
    "A missing required key is refused.": (
        {"smtp": None},
        "alerting-platform:smtp: Input should be a valid dictionary or instance of SmtpSettings",
    ),
}


@pytest.mark.parametrize("case", BAD_CONFIG, ids=list(BAD_CONFIG))
def test_bad_stack_config_is_refused_with_file_and_key(case):
    overrides, expected = BAD_CONFIG[case]
    with pytest.raises(InputError) as exc:
        parse_settings(stack_values("prod", **overrides), "Pulumi.prod.yaml")
    assert f"Pulumi.prod.yaml: {expected}" in str(exc.value).splitlines()


def test_a_missing_secret_names_its_reference_and_how_to_set_it():
    values = stack_values("prod")
    secrets = values["alerting-platform:secrets"]
    del secrets["slack-bot-token"]
    with pytest.raises(InputError) as exc:
        from_values("prod", values)
    assert str(exc.value) == (
        "Pulumi.prod.yaml: alerting-platform:secrets.slack-bot-token: missing; referenced by "
        "slack.bot_token. Set it with: pulumi config set --secret --path 'secrets.slack-bot-token' <value>"
    )


def test_secret_values_never_appear_in_settings_repr_or_errors():
    values = stack_values("prod", alertmanager={"replicas": -1})
    values["alerting-platform:secrets"]["smtp-password"] = "hunter2-very-secret"
    with pytest.raises(InputError) as exc:
        parse_settings(values, "Pulumi.prod.yaml")
    assert "hunter2" not in str(exc.value)
    values = stack_values("prod")
    values["alerting-platform:secrets"]["smtp-password"] = "hunter2-very-secret"
    settings = parse_settings(values, "Pulumi.prod.yaml")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)


def test_config_values_are_decoded_the_way_the_cli_hands_them_over():
    assert decode("false") is False
    assert decode(json.dumps({"replicas": 3})) == {"replicas": 3}
    assert decode("dev.example.com") == "dev.example.com"
