"""Alertmanager's configuration: the routing tree, receivers, inhibitions, time intervals and the notification templates."""
