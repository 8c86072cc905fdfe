"""The rule files: service health, SLO burn, performance budgets, KPIs, flapping, and the enrichment every alert carries."""
