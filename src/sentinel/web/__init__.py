"""The web UI: the built single-page app (web/ → src/sentinel/web/static/) served at `/`."""
