"""One sub-package per CRM. :func:`adapters.registry.build_adapter` picks one by ``kind``."""
