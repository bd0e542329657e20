"""`chub serve`: one FastAPI app with the golden-record API under ``/api`` and the review
web app's pages, both thin over the functions the CLI and the assets call."""
