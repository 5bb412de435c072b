"""SLO tracking: SLIs, error budgets, multi-window burn-rate alerts and breach prediction."""
