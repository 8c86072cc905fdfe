"""Grafana OnCall wiring: how Grafana finds the OnCall engine (the plugin's provisioning file)."""

from __future__ import annotations

ONCALL_PLUGIN_ID = "grafana-oncall-app"
ONCALL_PLUGIN_FILE = "oncall.yaml"


def grafana_plugin_provisioning(engine_url: str) -> dict:
    """Grafana's provisioning of the OnCall app: enabled, pointed at the self-hosted engine, open-source licence.

    stackId/orgId are the fixed values a self-hosted engine expects from an open-source Grafana.
    """
    return {
        "apiVersion": 1,
        "apps": [
            {
                "type": ONCALL_PLUGIN_ID,
                "org_id": 1,
                "disabled": False,
                "jsonData": {"stackId": 5, "orgId": 100, "onCallApiUrl": engine_url, "license": "OpenSource"},
            }
        ],
    }
