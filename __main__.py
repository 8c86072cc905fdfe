"""The alerting platform: load the selected stack, build the Platform, export the URLs people need."""

import pulumi

from components.platform import Platform
from stacks import load_stack

platform = Platform("alerting", load_stack())
pulumi.export("urls", platform.urls)
