"""The generic REST/webhook adapter: any CRM described by a mapping in TOML."""
