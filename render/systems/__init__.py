"""Each system's own configuration (Karma, Grafana, OnCall, Falco, Botkube, the OTel Collector, backups, TLS) and the in-cluster addresses that wire them."""
