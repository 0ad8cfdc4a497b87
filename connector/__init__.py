"""crm-referee: referees lead ownership inside the CRMs sales teams already use."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
