"""Background work: a jobs table with leases, periodic tasks and the run loop."""
