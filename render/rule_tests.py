"""The behaviour tests of every SLO and budget, generated on first use.

The Pulumi program never reads them, so `pulumi up` does not pay for them; `make render`, `make check` and
`make plan` write them to `build/<stack>/rule-tests/`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from model.catalog import Organisation
from model.errors import InputError, Problem, format_path
from model.settings import Settings
from render import budget_tests, flapping, kpi_tests, series, slo_tests
from render.enrichment import Enrichment


class RuleTests(Mapping):
    """`promtool test rules` files by name, generated from the organisation when first read; they expect the
    enriched alerts the shipped rule files raise."""

    def __init__(
        self,
        org: Organisation,
        settings: Settings | None = None,
        enrichment: Enrichment | None = None,
        rule_files: Mapping[str, dict] | None = None,
    ) -> None:
        """`rule_files`: the rule files before enrichment, which tell each expected alert's enrichment."""
        self._org = org
        self._settings = settings
        self._enrichment = enrichment
        self._rule_files = rule_files or {}
        self._files: dict[str, dict] | None = None

    def _load(self) -> dict[str, dict]:
        if self._files is None:
            try:
                files = {**slo_tests.slo_rule_tests(self._org), **budget_tests.budget_rule_tests(self._org)}
                if self._settings is not None:
                    files.update(kpi_tests.kpi_rule_tests(self._org, self._settings))
                    files.update(flapping.flapping_rule_tests(self._org, self._settings))
            except series.GenerationError as exc:
                # The catalog's own file and field; the generator's message says what cannot be shown.
                from stacks.config import catalog_source

                source = catalog_source(self._settings) if self._settings is not None else "catalog"
                field = format_path(exc.loc) if exc.loc else "(behaviour tests)"
                message = f"its behaviour test cannot be generated: {exc}"
                raise InputError([Problem(source, field, message)]) from None
            self._files = self._enrichment.rule_tests(files, self._rule_files) if self._enrichment else files
        return self._files

    def __getitem__(self, name: str) -> dict:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())
