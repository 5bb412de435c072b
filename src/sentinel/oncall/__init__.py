"""On-call: schedules (rotations, layers, overrides), escalation policies and the engine."""
