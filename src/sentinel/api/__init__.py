"""HTTP pieces every router shares: errors, dependencies, paging and middleware."""
