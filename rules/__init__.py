"""The pure rules engine: plain models in, findings and a plan of actions out.

No I/O and no clock reads happen here: ``now`` is passed in and results are deterministic.
"""

from __future__ import annotations
