"""Users, teams, API keys, roles, JWT sessions and the audit log."""
