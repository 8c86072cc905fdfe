"""The vendored charts are the published ones at exactly the versions the components pin."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
from dataclasses import replace

import pytest
import yaml

import components
from cli import charts
from components.common import Chart


def pinned_charts() -> dict[str, Chart]:
    """Every Chart a component module pins, by chart name."""
    found: dict[str, Chart] = {}
    for module_info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Chart):
                found[value.name] = value
    return found


@pytest.mark.parametrize("name", sorted(charts.lock()))
def test_every_vendored_chart_is_the_published_one_untouched(name):
    assert charts.problems(name) == []


def test_every_pin_is_vendored_at_that_version_and_every_vendored_chart_is_pinned():
    pins = pinned_charts()
    locked = charts.lock()
    assert set(pins) == set(locked)
    for name, chart in pins.items():
        assert (chart.repository.rstrip("/"), chart.version) == (locked[name].repository.rstrip("/"), locked[name].version), name


def test_the_published_index_copies_hold_the_entries_as_published():
    """Every index copy names charts by their published download URL, which holds chart name and version."""
    for path in sorted((charts.CHARTS_DIR / "index").glob("*.yaml")):
        for name, entries in yaml.safe_load(path.read_text())["entries"].items():
            for entry in entries:
                assert entry["name"] == name
                assert any(f"{name}-{entry['version']}.tgz" in url for url in entry["urls"]), (path.name, name)


def test_image_tags_are_the_published_charts_app_versions():
    from components.litmus import EXPORTER_IMAGE
    from components.oncall import IMAGE_TAG
    from render.resources.chaos import RUNNER_IMAGE

    oncall = charts.published_entry(charts.lock()["oncall"])
    assert IMAGE_TAG == oncall["appVersion"] == "v1.16.5"
    litmus = charts.published_entry(charts.lock()["litmus-core"])
    litmus_values = yaml.safe_load((charts.lock()["litmus-core"].path / "values.yaml").read_text())
    assert RUNNER_IMAGE.rsplit(":", 1)[1] == litmus["appVersion"] == litmus_values["runner"]["image"]["tag"]
    assert EXPORTER_IMAGE.rsplit(":", 1)[1] == litmus_values["exporter"]["image"]["tag"]


def test_a_pin_to_a_version_the_repository_never_published_is_refused(monkeypatch):
    locked = dict(charts.lock())
    locked["oncall"] = replace(locked["oncall"], version="1.16.9")
    monkeypatch.setattr(charts, "lock", lambda: locked)
    (problem,) = [p for p in charts.problems("oncall") if "published" in p]
    assert "oncall 1.16.9 is not in the published index of https://grafana.github.io/helm-charts" in problem
    with pytest.raises(LookupError, match="pinned to 1.16.5 .* but 1.16.9 .* is vendored"):
        charts.chart_dir("oncall", "https://grafana.github.io/helm-charts", "1.16.5")


def test_a_vendored_tree_edited_by_hand_is_noticed(monkeypatch, tmp_path):
    shutil.copytree(charts.CHARTS_DIR / "karma", tmp_path / "karma")
    shutil.copytree(charts.CHARTS_DIR / "index", tmp_path / "index")
    template = tmp_path / "karma" / "templates" / "deployment.yaml"
    template.write_text(template.read_text().replace("replicas:", "replicas: 1 #"))
    monkeypatch.setattr(charts, "CHARTS_DIR", tmp_path)
    assert any("digest differs" in p for p in charts.problems("karma"))
