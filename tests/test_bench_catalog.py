"""The benchmark's synthetic organisation stays a valid catalog (the benchmark itself runs on demand)."""

from __future__ import annotations

import importlib.util

from model.catalog import Organisation
from tests.conftest import PROJECT_DIR


def test_the_synthetic_organisation_of_make_bench_validates():
    spec = importlib.util.spec_from_file_location("bench", PROJECT_DIR / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    org = Organisation.model_validate(bench.organisation(teams=3, services=4, slos=3))
    assert sum(len(s.slos) for _, s in org.services()) == 3 * 4 * 3
