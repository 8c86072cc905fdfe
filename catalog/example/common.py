"""Conventions of the example organisation: where its runbooks and dashboards live."""

from __future__ import annotations

RUNBOOKS = "https://runbooks.example.com/services"
DASHBOARDS = "https://grafana.example.com/d"


def runbook(service: str) -> str:
    return f"{RUNBOOKS}/{service}"


def dashboard(service: str) -> str:
    return f"{DASHBOARDS}/{service}-overview"
