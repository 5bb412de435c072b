"""PagerDuty Events API v2: anything that pages PagerDuty can page Sentinel instead."""
