"""The dmreports command line: thin commands over ingest/, search/ and web/."""
