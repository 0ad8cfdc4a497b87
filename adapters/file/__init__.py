"""The file adapter: a directory of JSON Lines or CSV exports (also the zero-setup demo)."""
