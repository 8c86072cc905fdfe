"""The pack's view of the charts: their profiles are shared with the program (alerting_facts.charts)."""

from __future__ import annotations

from alerting_facts.charts import PROFILES, ChartProfile, Workload, profile

__all__ = ["PROFILES", "ChartProfile", "Workload", "profile", "unknown_chart"]


def unknown_chart(chart: str, what: str) -> str:
    return (
        f"chart {chart} has no profile, so where it takes {what} is unknown; "
        "add one to packages/alerting_facts/alerting_facts/charts.py"
    )
