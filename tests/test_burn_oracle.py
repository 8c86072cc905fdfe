"""The burn-rate alerts fire when the window arithmetic says they must, under every burn basis and evaluation form.

The expected firing times here come from neither the rule generator nor the profile code: the windows and factors
are the Site Reliability Workbook's (chapter 5, "Alerting on SLOs", table 5-8: page when 2% of a 30-day budget burns
in 1h, checked over 5m too, factor 14.4; or 5% in 6h, checked over 30m, factor 6), and the time each tier needs is
worked out below from the synthetic traffic. The shipped rule file of one 99.9%/30d SLO is evaluated by the real
`promtool test rules`, which asks for the `ALERTS` series the evaluation writes: a wrong window or factor moves the
firing time out of the bracket and fails, whatever the generated behaviour tests (built from the same windows and
factors as the rules) would say.
"""

from __future__ import annotations

import pytest

from cli import tools
from model.loading import load_catalog
from render.rules.slo import slo_rule_files
from render.yamlio import dump
from tests.conftest import write_yaml

BUDGET = 1 - 0.999
WORKBOOK_PAGE = ((60, 5, 14.4), (360, 30, 6.0))
"""(long window, short window, factor) of the page tiers, minutes, for a 30-day period."""
RPS = 10
WARM_UP = 360
"""Minutes of clean traffic first, so every page window is full of data when errors start."""
SLACK = 4
"""Minutes of evaluation and rate() extrapolation tolerated either side of the arithmetic's firing time."""


def minutes_to_page(error_ratio: float) -> float | None:
    """After errors start at a steady `error_ratio` (constant traffic), the minutes until the first page tier has
    both windows over its factor x budget: a window of W minutes, Δ of them erroring, measures error_ratio x Δ / W."""
    times = []
    for long, short, factor in WORKBOOK_PAGE:
        threshold = factor * BUDGET
        if error_ratio <= threshold:
            continue  # even a window full of errors never reaches it
        times.append(max(threshold * long / error_ratio, threshold * short / error_ratio))
    return min(times) if times else None


SCRAPE = 15
"""Seconds between samples, as VMAgent scrapes: the recorded one-minute rates need more than one sample a minute."""


def counters(error_ratio: float, onset: int, end: int, total_minutes: int) -> tuple[str, str]:
    """The good and the failing request counters, scraped every SCRAPE seconds: clean, erroring from onset to end."""
    good, bad, g, b = [], [], 0.0, 0.0
    per_minute = 60 // SCRAPE
    for step in range(total_minutes * per_minute + 1):
        good.append(g)
        bad.append(b)
        failing = error_ratio if onset <= step / per_minute < end else 0.0
        g += RPS * SCRAPE * (1 - failing)
        b += RPS * SCRAPE * failing
    return " ".join(f"{v:g}" for v in good), " ".join(f"{v:g}" for v in bad)


def catalog_doc(small: dict, burn: str, form: str) -> dict:
    doc = small
    doc["slo_defaults"] = {"burn": burn, "form": form, "profile": "workbook"}
    web = doc["teams"][0]["services"][0]
    web["slos"] = [{
        "name": "availability", "objective": 99.9, "period": "30d",
        "sli": {"kind": "ratio", "total": "http_requests_total", "errors": 'http_requests_total{code=~"5.."}'},
    }]
    return doc


def firing(minute: int) -> dict:
    return {"expr": 'count(ALERTS{alertname="ErrorBudgetBurn", alertstate="firing", sloth_severity="page"})',
            "eval_time": f"{minute}m", "exp_samples": [{"labels": "{}", "value": 1}]}


def quiet(minute: int) -> dict:
    return {"expr": 'count(ALERTS{alertname="ErrorBudgetBurn", alertstate="firing", sloth_severity="page"})',
            "eval_time": f"{minute}m", "exp_samples": []}


def test_the_oracle_matches_the_workbook_own_example():
    # The workbook: at factor 14.4 over 1h, a 100% outage pages after 0.864 minutes (2% of 1h burns 2% of 30 days)...
    assert minutes_to_page(1.0) == pytest.approx(0.0144 * 60)
    # ...and an error ratio at or under 0.6% (6 x 0.1%) never pages.
    assert minutes_to_page(0.006) is None


@pytest.mark.parametrize("burn", ["budget", "ratio"])
@pytest.mark.parametrize("form", ["cascaded", "direct"])
@pytest.mark.parametrize("error_ratio", [0.02, 0.01])
def test_a_steady_burn_pages_when_the_window_arithmetic_says(burn, form, error_ratio, small_catalog_doc, tmp_path):
    org = load_catalog(write_yaml(tmp_path / "catalog.yaml", catalog_doc(small_catalog_doc, burn, form)))
    (rule_file,) = slo_rule_files(org).items()
    (tmp_path / rule_file[0]).write_text(dump(rule_file[1]))

    page_after = minutes_to_page(error_ratio)
    # 2% errors page through the 1h tier (about 43 minutes), 1% only through the 6h tier (about 3.6 hours).
    assert page_after is not None
    onset, stop = WARM_UP, WARM_UP + int(page_after) + 60
    good, bad = counters(error_ratio, onset, stop, stop + 30)
    labels = 'namespace="web", service="web"'
    first = onset + page_after
    test = {
        "rule_files": [rule_file[0]],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": f"{SCRAPE}s",
            "input_series": [
                {"series": f'http_requests_total{{{labels}, code="200"}}', "values": good},
                {"series": f'http_requests_total{{{labels}, code="500"}}', "values": bad},
            ],
            "promql_expr_test": [
                quiet(onset - 1),
                quiet(int(first) - SLACK),
                firing(int(first) + SLACK),
                firing(stop - 1),
                # The short window empties of errors within its own length after they stop.
                quiet(stop + WORKBOOK_PAGE[1][1] + SLACK if error_ratio < WORKBOOK_PAGE[0][2] * BUDGET else stop + WORKBOOK_PAGE[0][1] + SLACK),
            ],
        }],
    }
    (tmp_path / "test.yaml").write_text(dump(test))
    result = tools.run("promtool", "test", "rules", "test.yaml", cwd=tmp_path)
    assert result.ok, result.output[-4000:]
