"""Alertmanager's routing semantics in Python, read from a rendered alertmanager.yml.

`amtool config routes test` answers which receivers a label set reaches but ignores time intervals, inhibition and
silences. This package walks the same tree the same way (alerting_facts.tree), evaluates time intervals at a given moment
(routing.timeintervals), says which inhibit rules could silence an alert (routing.explain), and finds routes that
can never match (routing.lint); the matchers and the walk are in alerting_facts, shared with the policy pack. The tests hold it to amtool's answers and to a real Alertmanager cluster.
"""
