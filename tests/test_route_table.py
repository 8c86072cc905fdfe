"""The routing policy as a table: who an alert reaches, by team, priority, classification and time.

Every case goes through route explain; the cases without a moment also go through `amtool config routes test` on
the rendered file, which must give the same answer. Times are chosen against the example catalog's business hours
and maintenance windows (catalog/example/*.py) and the small catalog's (tests/data/catalogs/small.yaml).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from cli import build, tools
from render.yamlio import dump
from routing.explain import explain
from tests.conftest import SMALL_CATALOG

EXAMPLE = None

# case -> (stack, catalog, labels, moment or None, receivers)
CASES: dict[str, tuple[str, Path | None, dict[str, str], str | None, list[str]]] = {
    # Labelled priorities go to the team's bundle for that priority.
    "A P0 on a revenue-critical service pages its team.": (
        "prod", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "critical", "priority": "P0"}, None, ["payments-p0"]),
    "A P1 reaches the team's urgent bundle.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "frontend", "severity": "critical", "priority": "P1"}, None, ["storefront-p1"]),
    "A P3 becomes a ticket even on a Sunday.": (
        "prod", EXAMPLE, {"team": "data", "service": "reporting", "severity": "info", "priority": "P3"}, "2026-12-06T12:00:00Z", ["data-p3"]),
    "A security P0 pages security.": (
        "prod", EXAMPLE, {"team": "security", "service": "identity", "severity": "critical", "priority": "P0"}, None, ["security-p0"]),
    "In dev nothing pages, but a P0 still reaches its team's P0 receiver.": (
        "dev", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "critical", "priority": "P0"}, None, ["payments-p0"]),
    # Unowned alerts are never dropped.
    "An alert of an unknown team reaches the catch-all.": (
        "prod", EXAMPLE, {"team": "marketing", "service": "newsletter", "severity": "critical", "priority": "P1"}, None, ["catch-all"]),
    "An alert without a team reaches the catch-all.": (
        "prod", EXAMPLE, {"service": "checkout", "severity": "critical"}, None, ["catch-all"]),
    "An alert with no labels at all reaches the catch-all.": ("prod", EXAMPLE, {}, None, ["catch-all"]),
    "An unknown team reaches the catch-all at night too.": (
        "prod", EXAMPLE, {"team": "marketing", "severity": "warning"}, "2026-12-07T02:00:00Z", ["catch-all"]),
    # Alerts without a priority label are classified from severity and the catalog.
    "An unlabelled critical on a revenue-affecting critical service is P0.": (
        "prod", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "critical"}, None, ["payments-p0"]),
    "An unlabelled critical on a high-tier service is P1.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "critical"}, None, ["payments-p1"]),
    "An unlabelled critical on a medium service with many users is P1.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "search", "severity": "critical"}, None, ["storefront-p1"]),
    "An unlabelled critical on a medium service without impact is P2.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "search-indexer", "severity": "critical"}, None, ["storefront-p2"]),
    "An unlabelled critical on a low service with few users is P3.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "recommendations", "severity": "critical"}, None, ["storefront-p3"]),
    "An unlabelled warning on a high-tier service is P2.": (
        "prod", EXAMPLE, {"team": "platform", "service": "kafka", "severity": "warning"}, None, ["platform-p2"]),
    "An unlabelled warning on a low-tier service is P3.": (
        "prod", EXAMPLE, {"team": "platform", "service": "ci-runners", "severity": "warning"}, None, ["platform-p3"]),
    "An unlabelled info alert is P3.": (
        "prod", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "info"}, None, ["payments-p3"]),
    "An unlabelled critical of a service the catalog does not know is P1.": (
        "prod", EXAMPLE, {"team": "payments", "service": "fraud-scoring", "severity": "critical"}, None, ["payments-p1"]),
    "An alert with neither priority nor severity is treated as a warning.": (
        "prod", EXAMPLE, {"team": "security", "service": "identity"}, None, ["security-p2"]),
    "A priority label that is not P0-P3 goes to the team channel.": (
        "prod", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "critical", "priority": "urgent"}, None, ["payments-p2"]),
    # P2 waits for the team's own business hours, in its own time zone.
    "A P2 in London business hours reaches the team channel.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "search", "severity": "warning", "priority": "P2"}, "2026-12-07T10:00:00Z", ["storefront-p2"]),
    "A P2 in a London evening is held.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "search", "severity": "warning", "priority": "P2"}, "2026-12-07T18:00:00Z", []),
    "A P2 on a Saturday is held.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "search", "severity": "warning", "priority": "P2"}, "2026-12-05T12:00:00Z", []),
    "A P2 at 09:30 New York daylight time is sent.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "warning", "priority": "P2"}, "2026-03-09T13:30:00Z", ["payments-p2"]),
    "The same UTC minute before the clocks change is 08:30 in New York: held.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "warning", "priority": "P2"}, "2026-03-06T13:30:00Z", []),
    "A P2 at 10:30 in Kolkata is sent.": (
        "prod", EXAMPLE, {"team": "data", "service": "data-pipeline", "severity": "warning", "priority": "P2"}, "2026-12-08T05:00:00Z", ["data-p2"]),
    "An unlabelled warning is classified P2 and held at night as well.": (
        "prod", EXAMPLE, {"team": "platform", "service": "kafka", "severity": "warning"}, "2026-12-08T23:00:00Z", []),
    "A P1 is never held for business hours.": (
        "prod", EXAMPLE, {"team": "storefront", "service": "frontend", "severity": "critical", "priority": "P1"}, "2026-12-06T03:00:00Z", ["storefront-p1"]),
    # Maintenance windows mute their team or service, and nothing else.
    "A P0 of postgres during its Sunday patching window is muted.": (
        "prod", EXAMPLE, {"team": "platform", "service": "postgres", "severity": "critical", "priority": "P0"}, "2026-12-06T02:30:00Z", []),
    "A P0 of postgres after its patching window pages.": (
        "prod", EXAMPLE, {"team": "platform", "service": "postgres", "severity": "critical", "priority": "P0"}, "2026-12-06T04:30:00Z", ["platform-p0"]),
    "Another platform service pages during postgres patching.": (
        "prod", EXAMPLE, {"team": "platform", "service": "api-gateway", "severity": "critical", "priority": "P0"}, "2026-12-06T02:30:00Z", ["platform-p0"]),
    "The ledger is muted during its one-off migration.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "critical", "priority": "P1"}, "2026-12-13T04:30:00Z", []),
    "The ledger migration spans midnight: muted after midnight too.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "critical", "priority": "P1"}, "2026-12-13T06:30:00Z", []),
    "The ledger pages again once the migration is over.": (
        "prod", EXAMPLE, {"team": "payments", "service": "ledger", "severity": "critical", "priority": "P1"}, "2026-12-13T07:30:00Z", ["payments-p1"]),
    "A checkout P0 during the ledger migration pages.": (
        "prod", EXAMPLE, {"team": "payments", "service": "checkout", "severity": "critical", "priority": "P0"}, "2026-12-13T04:30:00Z", ["payments-p0"]),
    "A data team window mutes every data service.": (
        "prod", EXAMPLE, {"team": "data", "service": "reporting", "severity": "critical", "priority": "P1"}, "2026-12-08T20:15:00Z", []),
    "After the data team's nightly window its alerts go out.": (
        "prod", EXAMPLE, {"team": "data", "service": "reporting", "severity": "critical", "priority": "P1"}, "2026-12-08T20:45:00Z", ["data-p1"]),
    # A differently shaped catalog.
    "Small catalog: an unlabelled critical on the revenue web service is P0.": (
        "prod", SMALL_CATALOG, {"team": "infra", "service": "web", "severity": "critical"}, None, ["infra-p0"]),
    "Small catalog: an unlabelled warning on a low service is P3.": (
        "prod", SMALL_CATALOG, {"team": "apps", "service": "batch", "severity": "warning"}, None, ["apps-p3"]),
    "Small catalog: infra does not work Fridays, so a Friday P2 is held.": (
        "prod", SMALL_CATALOG, {"team": "infra", "service": "db", "severity": "warning", "priority": "P2"}, "2026-12-10T23:00:00Z", []),
    "Small catalog: a Thursday morning P2 in Sydney is sent.": (
        "prod", SMALL_CATALOG, {"team": "infra", "service": "db", "severity": "warning", "priority": "P2"}, "2026-12-09T23:00:00Z", ["infra-p2"]),
    # Falco events carry Falco's own priority; their threat class (the `threat` label Falco adds) decides ours.
    "A container escape pages security as P0, whatever Falco's priority.": (
        "prod", EXAMPLE, {"team": "security", "source": "falco", "priority": "Warning", "threat": "container-escape",
                          "alertname": "Mount Launched in Privileged Container"}, None, ["security-p0"]),
    "Crypto mining pages security as P0.": (
        "prod", EXAMPLE, {"team": "security", "source": "falco", "priority": "Critical", "threat": "crypto-mining"}, None, ["security-p0"]),
    "A privilege escalation pages security as P1, even at night.": (
        "prod", EXAMPLE, {"team": "security", "source": "falco", "priority": "Notice", "threat": "privilege-escalation"},
        "2026-12-07T03:00:00Z", ["security-p1"]),
    "A sensitive file read pages security as P1.": (
        "prod", EXAMPLE, {"team": "security", "source": "falco", "priority": "Warning", "threat": "sensitive-file-access"}, None, ["security-p1"]),
    "A Falco event of no threat class is a security ticket, even a critical one.": (
        "prod", EXAMPLE, {"team": "security", "source": "falco", "priority": "Critical", "rule": "Falco internal: syscall event drop"}, None, ["security-p3"]),
    "An unexpected process in a payments service pages payments, not security.": (
        "prod", EXAMPLE, {"team": "payments", "source": "falco", "priority": "Warning", "threat": "unexpected-process",
                          "alertname": "Unexpected process in payments-api"}, None, ["payments-p1"]),
    "An unexpected connection of a payments service pages payments.": (
        "prod", EXAMPLE, {"team": "payments", "source": "falco", "priority": "Warning", "threat": "suspicious-network"}, None, ["payments-p1"]),
    "A non-Falco alert with a foreign priority still reaches the team channel.": (
        "prod", EXAMPLE, {"team": "security", "priority": "Critical"}, None, ["security-p2"]),
    "Small catalog: an unknown team reaches the catch-all.": (
        "dev", SMALL_CATALOG, {"team": "web", "severity": "critical"}, None, ["catch-all"]),
}


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> dict[tuple[str, Path | None], tuple[dict, Path]]:
    """The rendered alertmanager.yml of every (stack, catalog) the table uses, as data and as a file for amtool."""
    out = {}
    for stack, catalog in {(c[0], c[1]) for c in CASES.values()}:
        config = build.stack_artifacts(stack, catalog).alertmanager
        path = tmp_path_factory.mktemp("am") / "alertmanager.yaml"
        path.write_text(dump(config))
        out[(stack, catalog)] = (config, path)
    return out


def amtool_receivers(path: Path, labels: dict[str, str]) -> list[str]:
    result = tools.run("amtool", "config", "routes", "test", f"--config.file={path}", *(f"{k}={v}" for k, v in labels.items()))
    assert result.ok, result.output
    answer = [line for line in result.output.splitlines() if not line.startswith("Warning:")][-1]
    return answer.split(",")


def test_the_table_covers_every_team_priority_and_time_case():
    assert len(CASES) >= 30
    timed = [c for c in CASES.values() if c[3] is not None]
    assert len(timed) >= 10 and len(CASES) - len(timed) >= 10
    assert {c[2].get("priority") for c in CASES.values()} >= {"P0", "P1", "P2", "P3", None}
    assert {c[2].get("team") for c in CASES.values() if c[1] is EXAMPLE} >= {"platform", "payments", "storefront", "data", "security"}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_route_explain(case, configs):
    stack, catalog, labels, at, expected = CASES[case]
    config, path = configs[(stack, catalog)]
    moment = datetime.fromisoformat(at) if at else None
    assert explain(config, labels, moment).receivers == expected
    if moment is None:
        assert amtool_receivers(path, labels) == expected
