"""`sentinel demo`: a realistic shop workload sent through Sentinel's real ingest paths."""
