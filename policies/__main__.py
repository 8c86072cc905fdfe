"""The CrossGuard policy pack: `pulumi preview --policy-pack policies`. The policies live in `guardrails/`."""

from pulumi_policy import PolicyPack

from guardrails import pack_arguments

PolicyPack(**pack_arguments())
