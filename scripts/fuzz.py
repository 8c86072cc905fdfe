"""`make fuzz N=10000`: the catalog fuzz suite's long run; prints its figures and keeps every failing input.

Each case is one catalog input (tests/fuzz/cases.py) judged by tests/fuzz/oracle.py: refused with one line per
problem naming the file and field, or rendered and accepted by every real-tool check. Failing inputs are copied
to build/fuzz/failures/<n>/ with the verdict beside them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import FlakyStrategyDefinition  # noqa: E402

from tests.fuzz.cases import cases  # noqa: E402
from tests.fuzz.oracle import judge  # noqa: E402


class TimeUp(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", "-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: random, printed)")
    parser.add_argument("--deadline", type=float, default=60, help="seconds one case may take")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"))
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long, with the figures so far")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    failures_dir = args.out / "failures"
    shutil.rmtree(failures_dir, ignore_errors=True)
    counts: Counter = Counter()
    by_family: Counter = Counter()
    slowest = [0.0, ""]
    started = time.monotonic()

    def run(case) -> None:
        if args.minutes is not None and time.monotonic() - started > 60 * args.minutes:
            raise TimeUp
        with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
            work = Path(tmp)
            (work / "input").mkdir()
            t0 = time.monotonic()
            verdict = judge(case.write(work / "input"), work, seconds=args.deadline)
            took = time.monotonic() - t0
            if took > slowest[0]:
                slowest[:] = [took, repr(case)]
            counts[verdict.outcome] += 1
            by_family[(case.family, verdict.outcome)] += 1
            if verdict.outcome == "failure":
                n = counts["failure"]
                keep = failures_dir / f"{n:04d}"
                keep.mkdir(parents=True)
                for path in (work / "input").iterdir():
                    if path.is_file() and not path.is_symlink() and path.stat().st_size < 1 << 20:
                        shutil.copy(path, keep / path.name)
                (keep / "verdict.txt").write_text(f"{case!r}\n\n{verdict.detail}\n")
                print(f"FAILURE {n}: {case!r}\n  {verdict.detail[:400]}", flush=True)
            done = sum(counts.values())
            if done % 100 == 0:
                print(f"{done} cases: {dict(counts)} ({time.monotonic() - started:.0f}s)", flush=True)

    # One Hypothesis run per batch, each with its own seed: a long run is many short ones, so that one odd case
    # in Hypothesis' bookkeeping cannot end it.
    batch, n = 50, 0
    while sum(counts.values()) < args.cases:
        settings_ = settings(max_examples=min(batch, args.cases - sum(counts.values())), deadline=None, database=None,
                             phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        batch_run = settings_(given(case=cases())(run))
        batch_run._hypothesis_internal_use_seed = seed + n  # type: ignore[attr-defined]
        before = sum(counts.values())
        try:
            batch_run()
        except TimeUp:
            print(f"stopped after {args.minutes:g} minutes", flush=True)
            break
        except FlakyStrategyDefinition as exc:  # Hypothesis' replay bookkeeping, not a verdict on a catalog
            print(f"batch {n} (seed {seed + n}) ended early: {str(exc).splitlines()[0]}", flush=True)
        n += 1
        if sum(counts.values()) == before:
            break
    total = sum(counts.values())
    print(f"\nseed {seed}: {total} cases in {time.monotonic() - started:.0f}s; "
          f"refused cleanly {counts['refused']}, rendered and accepted {counts['rendered']}, failures {counts['failure']}")
    for (family, outcome), n in sorted(by_family.items()):
        print(f"  {family:9s} {outcome:9s} {n}")
    print(f"slowest case: {slowest[0]:.1f}s {slowest[1]}")
    if counts["failure"]:
        print(f"failing inputs in {failures_dir}/")
    return 1 if counts["failure"] else 0


if __name__ == "__main__":
    sys.exit(main())
