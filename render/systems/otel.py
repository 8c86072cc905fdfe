"""The OpenTelemetry Collector's configuration: OTLP in, metrics out to VictoriaMetrics through VMAgent."""

from __future__ import annotations

from model.settings import Settings
from render.systems.topology import vmagent_remote_write_url

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
HEALTH_PORT = 13133


def collector_config(settings: Settings) -> dict:
    """A complete collector config (it replaces the chart's, whose trace and log pipelines only print to stdout).

    Metrics go to VMAgent rather than straight to storage, so they take the same way out as scraped ones:
    into VictoriaMetrics and on to Thanos.
    """
    return {
        "extensions": {"health_check": {"endpoint": f"${{env:MY_POD_IP}}:{HEALTH_PORT}"}},
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"},
                }
            }
        },
        "processors": {
            # Refuse data before the pod is OOM-killed; batch to keep remote-write requests few and large.
            "memory_limiter": {"check_interval": "5s", "limit_percentage": 80, "spike_limit_percentage": 25},
            "batch": {"send_batch_size": 8192, "timeout": "5s"},
        },
        "exporters": {
            "prometheusremotewrite": {
                "endpoint": vmagent_remote_write_url(),
                # Resource attributes (service.name, k8s.namespace.name, ...) become labels teams can route on.
                "resource_to_telemetry_conversion": {"enabled": True},
                "external_labels": {"cluster": settings.cluster_name},
            }
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "metrics": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["prometheusremotewrite"],
                }
            },
        },
    }
