"""The headless core: everything a test, the command line or a script needs. Never imports Qt."""
