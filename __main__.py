"""The alerting platform: load the selected stack, build the Platform, export the URLs people need."""

import pulumi

from components.platform import Platform
from stacks import load_stack

stack = load_stack()
platform = Platform("alerting", stack.settings, stack.artifacts)
pulumi.export("urls", platform.urls)
