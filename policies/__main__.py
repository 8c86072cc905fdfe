"""The CrossGuard policy pack: `pulumi preview --policy-pack policies`. The policies live in `guardrails/`."""

from guardrails import pack_arguments
from pulumi_policy import PolicyPack

PolicyPack(**pack_arguments())
