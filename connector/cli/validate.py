"""``referee validate``: check a config file and say what it configures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.cli.common import ConfigOption, handle_errors, open_config, stderr, stdout
from connector.cli.rule_sentences import pursuit_sentence, sla_sentence

if TYPE_CHECKING:
    from connector.config import AdapterConfig, Config


@handle_errors
def validate_command(config_path: ConfigOption) -> None:
    """Check a config file and print what it configures (secrets are never printed).

    Example: referee validate -c config.toml
    """
    from connector.config_refs import check_export_folders, unknown_people
    from connector.config_state import check_state_url
    from connector.readiness import config_gaps

    config = open_config(config_path)
    check_state_url(config.state_url(), config_path.name)
    check_export_folders(config)
    for line in describe_config(config):
        stdout.print(line, highlight=False, markup=False)
    for gap in [*config_gaps(config), *unknown_people(config)]:  # valid, but a run would misfire: say so
        stderr.print(f"Warning: {gap}", highlight=False, markup=False)


def describe_config(config: Config) -> list[str]:
    from connector.readiness import config_gaps

    mode = "apply (writes back)" if config.referee.apply else "dry-run (plan only)"
    lines = [
        f"{config.source}: " + ("valid, but a run could not find anything yet (see the warnings)"
                                if config_gaps(config) else "OK"),
        f"state store: {_redact_url(config.state_url())}",
        f"mode: {mode}; time zone {config.referee.timezone}; language {config.referee.language}",
    ]
    for name, adapter in config.adapters.items():
        lines.append(f"adapter {name}: kind {adapter.kind}")
        lines.extend(f"  {line}" for line in _adapter_lines(name, adapter))
    lines.append(f"identity: {len(config.identity.match)} match rule(s): " + ", ".join(
        f"{m.name} ({' + '.join(m.on)})" for m in config.identity.match
    ))
    lines.extend(pursuit_sentence(rule) for rule in config.rules.pursuit)
    lines.extend(sla_sentence(rule) for rule in config.rules.sla)
    for name in config.calendars:
        lines.append(f"calendar {name}")
    for name, team in config.teams.items():
        lines.append(f"team {name}: {len(team.members)} member(s), {team.strategy}")
    for target in config.notify.targets:  # the URL holds a key: only its scheme is shown
        scheme = target.url.get_secret_value().split("://", 1)[0]
        quiet = f", quiet {target.quiet_hours}" if target.quiet_hours else ""
        teams = ", ".join(target.teams) or "everyone"
        lines.append(
            f"notify {target.name}: {scheme}:// on {', '.join(target.events)}; {', '.join(target.kinds)} "
            f"from {target.min_severity}; teams {teams}{quiet}"
        )
    return lines


def _adapter_lines(name: str, adapter: AdapterConfig) -> list[str]:
    describe = getattr(__import__(f"adapters.{adapter.kind}.config", fromlist=["describe"]), "describe", None)
    return list(describe(adapter)) if callable(describe) else []


def _redact_url(url: str) -> str:
    """Hide a password in a database URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
