"""`make bench-eval`: what an SLO's rules cost to evaluate, cascaded against direct, on a real VictoriaMetrics.

Loads an SLI of 5,000 counter series (1,000 pods x 5 status codes, one sample a minute) over 4 days into a
VictoriaMetrics on 127.0.0.1 (a free port, a temporary data directory, stopped at the end), renders one
99.9%/30d SLO on it for each burn basis and evaluation form with the platform's own generator, and replays each
rule group with `vmalert -replay` (cli/replay.py: one vmalert invocation per dependency layer of the group):

* backfill: the whole history, 1,000 evaluation steps per query (vmalert's default), where the equal-alerts
  checks run;
* live: the last half hour again, one step per query, which is how vmalert evaluates the rules in production:
  every evaluation reads each window whole.

Prints the CPU seconds VictoriaMetrics and vmalert spent on each variant, net of the overhead of a replay
invocation that evaluates nothing (measured first, subtracted once per invocation), the cost ratios, and what
fired in each scenario of the history:

* fast burn: 20x the sustainable error rate for an hour (the page fires), then recovery (it resolves);
* traffic dip: six hours at a thousandth of the traffic with 10% errors (ratio burn pages, budget burn does not);
* slow burn: 2x for 36 hours (the ticket fires, the page does not).

Exits 1, saying which, when the two forms fire differently at any evaluation step under either basis, when a
scenario does not fire what it must, or when a cost target is missed: the cascaded form at most 0.2x the direct
form under ratio burn (the semantics today's rules have), and the default rules (budget burn, cascaded) at most
0.2x today's (ratio burn, direct). A benchmark, not a test: figures are printed, only ratios are held to targets.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli import replay
from model.slo import BurnBasis, EvaluationForm, resolved_slos
from render.rules import slo as slo_rules

TARGET = 0.2
MINUTE, HOUR, DAY = 60, 3600, 86400
CODES = {"200": 0.7, "201": 0.2, "404": 0.1}  # shares of the good events
ERROR_CODES = {"500": 0.6, "503": 0.4}  # shares of the bad ones
OBJECTIVE = 99.9
BUDGET = (100 - OBJECTIVE) / 100
NOMINAL = 0.25  # the error ratio outside the scenarios, in budgets

# name: (start hour, end hour, traffic factor, error ratio in budgets); checked up to `until` hours.
SCENARIOS = {
    "fast burn": (26, 27, 1.0, 20.0),
    "traffic dip": (34, 40, 0.001, 100.0),
    "slow burn": (50, 86, 1.0, 2.0),
}
UNTIL = {"fast burn": 33, "traffic dip": 48, "slow burn": 96}


def traffic(t: float) -> tuple[float, float]:
    """(share of the peak request rate, error ratio) at `t` seconds into the history: diurnal, with the scenarios."""
    rate = 0.6 + 0.4 * math.sin(2 * math.pi * t / DAY)
    for start, end, factor, burn in SCENARIOS.values():
        if start * HOUR <= t < end * HOUR:
            return rate * factor, burn * BUDGET
    return rate, NOMINAL * BUDGET


def series_lines(start: int, days: float, pods: int, peak: float, batch: int = 40):
    """/api/v1/import lines for every pod and code, in batches. Counters are in thousandths of a request, so
    every value is a whole number and nothing of the error ratio is lost to rounding."""
    minutes = int(days * DAY // MINUTE)
    cumulative = {code: [0.0] * (minutes + 1) for code in (*CODES, *ERROR_CODES)}
    for m in range(minutes):
        share, errors = traffic(m * MINUTE)
        per_minute = peak * share * MINUTE * 1000
        for code, part in CODES.items():
            cumulative[code][m + 1] = cumulative[code][m] + per_minute * (1 - errors) * part
        for code, part in ERROR_CODES.items():
            cumulative[code][m + 1] = cumulative[code][m] + per_minute * errors * part
    timestamps = json.dumps([(start + m * MINUTE) * 1000 for m in range(minutes + 1)])
    weights = [1 + (p % 7) / 10 for p in range(pods)]
    norm = sum(weights)
    lines = []
    for p, weight in enumerate(weights):
        w = weight / norm
        for code, values in cumulative.items():
            labels = {"__name__": "requests_total", "namespace": "bench", "service": "api", "pod": f"api-{p:04d}", "code": code}
            lines.append(
                '{"metric":' + json.dumps(labels) + ',"values":' + json.dumps([int(v * w) for v in values])
                + ',"timestamps":' + timestamps + "}"
            )
            if len(lines) >= batch:
                yield "\n".join(lines) + "\n"
                lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def organisation():
    """One SLO per burn basis and evaluation form, all on the same counters."""
    sli = {"kind": "ratio", "total": 'requests_total{namespace="bench", service="api"}',
           "errors": 'requests_total{namespace="bench", service="api", code=~"5.."}'}
    services = [
        {"name": f"{burn.value}-{form.value}", "namespace": "bench",
         "slos": [{"name": "availability", "objective": OBJECTIVE, "period": "30d", "sli": sli,
                   "alerting": {"burn": burn.value, "form": form.value}}]}
        for burn in BurnBasis for form in EvaluationForm
    ]
    return replay.organisation(services)


VARIANTS = [(b, f) for b in BurnBasis for f in (EvaluationForm.direct, EvaluationForm.cascaded)]
TODAY = (BurnBasis.ratio, EvaluationForm.direct)
DEFAULT = (BurnBasis.budget, EvaluationForm.cascaded)


def measure(vm, groups: dict, start: int, end: int, tmp: Path, label: str, max_points: int, repeats: int) -> dict:
    """Replay every variant `repeats` times over [start, end]; the cheapest net CPU of each."""
    overhead = replay.invocation_overhead(vm, start, end, tmp / f"noop-{label}", max_points=max_points)
    print(f"\n  {label}: {iso_span(start, end)}, {max_points} step(s) per query; one replay invocation that "
          f"evaluates nothing costs {overhead.cpu:.3f} CPU s (subtracted per invocation)")
    print(f"  {'basis':<7} {'form':<9} {'rules':>5} {'layers':>6} {'VM CPU s':>9} {'vmalert CPU s':>13} {'net CPU s':>9} {'wall s':>7}")
    costs: dict = {}
    for i in range(repeats):
        for key in VARIANTS:
            group = groups[key]
            run = replay.replay(vm, [group], start, end, tmp / f"{label}-{key[0]}-{key[1]}-{i}", max_points)
            net = run.cpu - overhead.cpu * run.invocations
            costs[key] = min(costs.get(key, math.inf), net)
            print(f"  {key[0].value:<7} {key[1].value:<9} {len(group['rules']):>5} {run.invocations:>6} "
                  f"{run.vm_cpu:>9.2f} {run.vmalert_cpu:>13.2f} {net:>9.2f} {run.wall:>7.1f}")
    return costs


def iso_span(start: int, end: int) -> str:
    return f"{(end - start) / HOUR:.1f} h of steps"


def ratios(label: str, costs: dict) -> list[str]:
    failures = []
    lines = [
        ("ratio burn: cascaded / direct", costs[(BurnBasis.ratio, EvaluationForm.cascaded)] / costs[TODAY], True),
        ("default (budget burn, cascaded) / today's (ratio burn, direct)", costs[DEFAULT] / costs[TODAY], True),
        ("budget burn: cascaded / direct", costs[DEFAULT] / costs[(BurnBasis.budget, EvaluationForm.direct)], False),
    ]
    for text, value, held in lines:
        verdict = ("ok" if value <= TARGET else f"MISSED (target <= {TARGET}x)") if held else "(no target; see docs/slo.md)"
        print(f"  {label:<9} {text:<64} {value:6.3f}x  {verdict}")
        if held and value > TARGET:
            failures.append(f"{label}: {text} is {value:.3f}x, over the {TARGET}x target")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=1000, help="pods; five series each (default 1000: 5,000 series)")
    parser.add_argument("--days", type=float, default=4)
    parser.add_argument("--peak", type=float, default=10_000, help="requests per second at the daily peak")
    parser.add_argument("--repeats", type=int, default=1, help="replays of each variant; the cheapest counts")
    parser.add_argument("--live-minutes", type=int, default=30, help="steps of the live-like replay (0: skip it)")
    args = parser.parse_args()
    failures: list[str] = []

    org = organisation()
    resolved = {(r.burn, r.form): r for r in resolved_slos(org)}
    groups = {key: slo_rules.slo_group(org, r) for key, r in resolved.items()}
    start = (int(time.time()) // DAY - int(args.days) - 2) * DAY
    end = start + int(args.days * DAY)
    print(f"bench-eval: {args.pods * 5:,} series over {args.days:g} days, one sample a minute; "
          f"SLO {OBJECTIVE}% over 30d, workbook tiers, evaluated every minute")

    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp, replay.VictoriaMetrics(Path(tmp) / "vm") as vm:
        t0 = time.perf_counter()
        vm.import_lines(series_lines(start, args.days, args.pods, args.peak))
        loaded = vm.value_at('count(count_over_time(requests_total{service="api"}[1y]))', end)
        print(f"  loaded {loaded[0]['value'][1] if loaded else 0} series in {time.perf_counter() - t0:.1f} s")
        # Read every raw sample once so the first variant does not pay for a cold page cache.
        vm.value_at(f'sum(count_over_time(requests_total{{service="api"}}[{int(args.days) + 1}d]))', end)

        backfill = measure(vm, groups, start + MINUTE, end, Path(tmp), "backfill", 1000, args.repeats)
        fired = replay.firing(vm, start, end + MINUTE, keys=("slo", "alertname", "severity"))
        live = {}
        if args.live_minutes:
            live = measure(vm, groups, end - args.live_minutes * MINUTE + MINUTE, end, Path(tmp), "live", 1, args.repeats)
        print()
        failures += ratios("backfill", backfill)
        if live:
            failures += ratios("live", live)
        failures += check_alerts(fired, resolved, start)
        print("\n  rules per SLO (these SLOs):", ", ".join(f"{b.value}/{f.value} {len(groups[(b, f)]['rules'])}" for b, f in VARIANTS))
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall checks passed")
    return 0


def _alerts(fired: dict, r) -> dict[tuple[str, str], list[int]]:
    return {(name, severity): times for (slo, name, severity), times in fired.items() if slo == r.id}


def check_alerts(fired: dict, resolved: dict, start: int) -> list[str]:
    """Both forms fire the same alerts at the same steps, and each scenario fires what it must."""
    failures = []
    print(f"\n  {'scenario':<12} {'basis':<7} {'alert':<26} {'fires (h after start, both forms)':<44}")
    for burn in BurnBasis:
        reference = _alerts(fired, resolved[(burn, EvaluationForm.direct)])
        mine = _alerts(fired, resolved[(burn, EvaluationForm.cascaded)])
        steps = sum(len(v) for v in reference.values())
        for key in sorted(set(mine) | set(reference)):
            if mine.get(key, []) != reference.get(key, []):
                diff = sorted(set(mine.get(key, [])) ^ set(reference.get(key, [])))
                failures.append(
                    f"{burn.value} burn: cascaded and direct fire {key[0]} {key[1]} differently at "
                    f"{len(diff)} steps, first {(diff[0] - start) / HOUR:.2f} h after the start"
                )
        print(f"  {'(all)':<12} {burn.value:<7} both forms fire at the same {steps} alert-steps: "
              f"{'yes' if all(mine.get(k, []) == reference.get(k, []) for k in set(mine) | set(reference)) else 'NO'}")
        lo = 0
        for name, (s, e, _factor, _burn) in SCENARIOS.items():
            hi = UNTIL[name]
            seen = {}
            for key, times in reference.items():
                inside = [t for t in times if lo * HOUR <= t - start < hi * HOUR]
                if inside:
                    seen[key] = [(round((a - start) / HOUR, 2), round((b - start) / HOUR, 2)) for a, b in replay.spans(inside, MINUTE)]
            for key, runs in sorted(seen.items()):
                print(f"  {name:<12} {burn.value:<7} {key[0] + ' ' + key[1]:<26} {runs}")
            if not seen:
                print(f"  {name:<12} {burn.value:<7} {'(nothing fires)':<26}")
            page, ticket = ("ErrorBudgetBurn", "critical"), ("ErrorBudgetBurn", "warning")
            must, must_not = {
                "fast burn": ({page}, set()),
                "traffic dip": (({page} if burn == BurnBasis.ratio else set()), ({page, ticket} if burn == BurnBasis.budget else set())),
                "slow burn": ({ticket}, {page}),
            }[name]
            for key in must - set(seen):
                failures.append(f"{name}, {burn.value} burn: {key[0]} {key[1]} must fire and does not")
            for key in must_not & set(seen):
                failures.append(f"{name}, {burn.value} burn: {key[0]} {key[1]} fires and must not")
            if name == "fast burn" and page in seen and seen[page][-1][1] >= e + 6:
                failures.append(f"fast burn, {burn.value} burn: the page does not resolve after the recovery")
            lo = hi
    return failures


if __name__ == "__main__":
    sys.exit(main())
