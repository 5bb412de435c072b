"""Wire formats in: decode and validate only; the domains store what comes out."""
