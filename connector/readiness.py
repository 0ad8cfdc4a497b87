"""No false all-clears: a config that cannot find anything must not report "nothing found".

An empty file, or one with an adapter and no rules, would evaluate nothing and print a clean
bill of health. ``plan``/``sync`` refuse to run it (exit 2) and ``validate`` warns, each naming
what to add.
"""

from __future__ import annotations

from connector.config import Config
from connector.errors import ConfigError

ADD_ADAPTER = "add an [adapters.<name>] section, as in examples/demo.toml"
ADD_RULE = 'add a [[rules.pursuit]] or [[rules.sla]] rule, e.g. [[rules.pursuit]] name = "two-reps"'


def config_gaps(config: Config) -> list[str]:
    """What the config lacks before a run can mean anything; empty when it can run."""
    gaps: list[str] = []
    if not config.adapters:
        gaps.append(f"no adapters are configured, so nothing is read ({ADD_ADAPTER})")
    if not config.rules.pursuit and not config.rules.sla:
        gaps.append(f"no rules are configured, so nothing can be found ({ADD_RULE})")
    return gaps


def require_rules(config: Config) -> None:
    """Raise :class:`ConfigError` (exit 2) when a run could only ever say "nothing found"."""
    gaps = config_gaps(config)
    if gaps:
        label = config.source.name if config.source is not None else "config"
        raise ConfigError("; ".join(f"{label}: {gap}" for gap in gaps))
