"""The application metrics the catalog declares: the series its SLIs and performance budgets read.

`make check` holds every metric a shipped rule reads to a source: a recording rule, an exporter the platform deploys
and scrapes, or one of these, which the teams' own services expose.
"""

from __future__ import annotations

from model.budgets import BackendBudget, FrontendBudget, InfrastructureBudget, InfrastructureMetrics
from model.catalog import Organisation
from model.slo import FreshnessSLI, LatencySLI, RatioSLI, RawSLI


def _histogram(name: str) -> list[str]:
    return [f"{name}_bucket", f"{name}_count", f"{name}_sum"]


def declared_metrics(org: Organisation) -> dict[str, str]:
    """Metric name -> the catalog field that declares it (the first one, in catalog order)."""
    out: dict[str, str] = {}

    def add(names: list[str], where: str) -> None:
        for name in names:
            out.setdefault(name, where)

    for ti, team in enumerate(org.teams):
        for si, service in enumerate(team.services):
            base = f"teams[{ti}].services[{si}]"
            for oi, slo in enumerate(service.slos):
                where, sli = f"{base}.slos[{oi}].sli", slo.sli
                if isinstance(sli, RatioSLI):
                    add([s.metric for s in (sli.total, sli.errors, sli.good) if s is not None], where)
                elif isinstance(sli, LatencySLI | FreshnessSLI):
                    add(_histogram(sli.histogram.metric), where)
                elif isinstance(sli, RawSLI):
                    fixture = [s.metric for s in (sli.fixture.gauge, sli.fixture.errors, sli.fixture.total) if s is not None]
                    add(fixture + query_metric_names(sli.error_ratio_query.replace("{{.window}}", "5m")), where)
            for bi, budget in enumerate(service.budgets):
                where = f"{base}.budgets[{bi}].metrics"
                if isinstance(budget, FrontendBudget):
                    add([n for name in budget.metrics.model_dump().values() for n in _histogram(name)], where)
                elif isinstance(budget, BackendBudget):
                    add(_histogram(budget.metrics.requests) + _histogram(budget.metrics.db_queries), where)
                    if budget.memory is not None:
                        # cAdvisor's, as the kubelet exports them: the platform deploys no scrape of the kubelet.
                        add([budget.metrics.memory_used, budget.metrics.memory_limit], where)
                elif isinstance(budget, InfrastructureBudget):
                    # The defaults are the platform's own exporters'; a renamed metric is the team's to provide.
                    defaults = InfrastructureMetrics().model_dump()
                    add([n for key, name in budget.metrics.model_dump().items() if name != defaults[key] for n in _histogram(name)], where)
    return dict(sorted(out.items()))


def query_metric_names(query: str) -> list[str]:
    """Every metric name a PromQL expression selects, by the real parser."""
    import promql_parser

    names: list[str] = []

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.append(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__" and str(matcher.op).endswith("Equal"):
                    names.append(matcher.value)

    promql_parser.walk(promql_parser.parse(query), visit)
    return sorted(set(names))
