"""What Sloth and Pyrra share: their SLO objects, created once the release that installs their CRD is up."""

from __future__ import annotations

import re

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource


def slo_objects(component: str, documents: tuple[dict, ...], opts: pulumi.ResourceOptions) -> list[CustomResource]:
    """One CustomResource per rendered SLO object (apiVersion, kind, metadata, spec), in a stable order."""
    by_key = {}
    for doc in documents:
        meta = doc["metadata"]
        key = f"{meta.get('namespace', 'default')}-{meta['name']}"
        if key in by_key:
            raise ValueError(f"two SLO objects named {meta['name']!r} in namespace {meta.get('namespace')!r}")
        by_key[key] = doc
    return [
        CustomResource(
            f"{component}-slo-{re.sub(r'[^a-z0-9-]+', '-', key.lower())}",
            api_version=doc["apiVersion"],
            kind=doc["kind"],
            metadata=doc["metadata"],
            spec=doc["spec"],
            opts=opts,
        )
        for key, doc in sorted(by_key.items())
    ]
