"""Behaviour tests of the shipped rule files: for every SLO, budget, KPI and the flapping rules, synthetic series and
the alerts `promtool test rules` and `vmalert-tool unittest` must see at each evaluation step.

Only the CLI calls this (`make render`, `make check`, `make plan` write them to `build/<stack>/rule-tests/`): the
Pulumi program never reads them, so `pulumi up` does not pay for them. Generation is eager: a catalog whose tests
cannot be generated is refused with its file and field when they are asked for.
"""

from __future__ import annotations

from collections.abc import Mapping

from behaviour import budgets, flapping, kpis, series, slo
from model.catalog import Organisation
from model.errors import InputError, Problem, format_path
from model.settings import Settings
from render.rules.enrichment import Enrichment
from render.yamlio import dump

TESTS_DIR = "rule-tests"


def rule_tests(org: Organisation, settings: Settings, rule_files: Mapping[str, dict]) -> dict[str, dict]:
    """`promtool test rules` files by name; they name the rule files as `../rules/<file>` and expect the enriched
    alerts `rule_files` (the shipped, enriched rule files) raise."""
    try:
        files = {
            **slo.slo_rule_tests(org),
            **budgets.budget_rule_tests(org),
            **kpis.kpi_rule_tests(org, settings),
            **flapping.flapping_rule_tests(org, settings),
        }
    except series.GenerationError as exc:
        # The catalog's own file and field; the generator's message says what cannot be shown.
        from stacks.config import catalog_source

        field = format_path(exc.loc) if exc.loc else "(behaviour tests)"
        raise InputError([Problem(catalog_source(settings), field, f"its behaviour test cannot be generated: {exc}")]) from None
    # Enrichment adds annotations only: the shipped files' labels are the rules' own, which is what it matches on.
    return Enrichment(org, settings).rule_tests(files, rule_files)


def test_files(org: Organisation, settings: Settings, rule_files: Mapping[str, dict]) -> dict[str, str]:
    """Relative path -> content of every behaviour test, in a stable order."""
    tests = rule_tests(org, settings, rule_files)
    return {f"{TESTS_DIR}/{name}": dump(content) for name, content in sorted(tests.items())}
