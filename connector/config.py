"""Read the TOML config once into frozen models.

``"${VAR}"`` values are resolved from the environment before validation; the paths they fill are
remembered so that no error message ever prints a secret. Every error names the file, the key
path, the bad value and what is expected, and raises :class:`ConfigError` (exit status 2).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from adapters.file.config import FileAdapterConfig
from adapters.webhook.config import WebhookAdapterConfig
from adapters.zoho.config import ZohoAdapterConfig
from connector.config_base import ConfigModel, TimeZoneName
from connector.errors import ConfigError, UsageError
from connector.exemptions import ExemptConfig, from_config
from connector.i18n import Language
from connector.notify.config import NotifySection
from connector.rails import SafetySection
from connector.server.config import ServerConfig
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.engine import RuleSet
from rules.identity.config import IdentityConfig
from rules.pursuit.config import PursuitRule
from rules.sla.config import SlaRule, validate_references

AdapterConfig = Annotated[
    FileAdapterConfig | ZohoAdapterConfig | WebhookAdapterConfig, Field(discriminator="kind")
]
_ADAPTER_KINDS = ("file", "zoho", "webhook")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RefereeSection(ConfigModel):
    state: str = "sqlite:///referee.db"
    apply: bool = False
    timezone: TimeZoneName = "UTC"
    language: Language = "en"
    """Notes written into the CRM, evidence, digests and reports: ``"en"`` or ``"zh-CN"``."""


class RulesSection(ConfigModel):
    pursuit: tuple[PursuitRule, ...] = ()
    sla: tuple[SlaRule, ...] = ()


class Config(ConfigModel):
    referee: RefereeSection = RefereeSection()
    adapters: dict[str, AdapterConfig] = Field(default_factory=dict)
    identity: IdentityConfig = IdentityConfig()
    rules: RulesSection = RulesSection()
    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    teams: dict[str, TeamConfig] = Field(default_factory=dict)
    assignment: AssignmentConfig = AssignmentConfig()
    server: ServerConfig = ServerConfig()
    notify: NotifySection = NotifySection()
    exempt: tuple[ExemptConfig, ...] = ()
    safety: SafetySection = SafetySection()
    source: Path | None = Field(default=None, exclude=True)

    def ruleset(self) -> RuleSet:
        """The sections the pure rules engine reads."""
        assignment = self.assignment
        if "timezone" not in assignment.model_fields_set:
            assignment = assignment.model_copy(update={"timezone": self.referee.timezone})
        return RuleSet(
            identity=self.identity,
            pursuit=self.rules.pursuit,
            sla=self.rules.sla,
            calendars=self.calendars,
            teams=self.teams,
            assignment=assignment,
            timezone=self.referee.timezone,
            language=self.referee.language,
            exemptions=from_config(self.exempt, list(self.adapters)),
        )

    def state_url(self) -> str:
        """The store URL; a relative SQLite path is taken relative to the config file."""
        url = self.referee.state
        prefix = "sqlite:///"
        if url.startswith(prefix) and self.source is not None:
            path = Path(url[len(prefix):])
            if str(path) != ":memory:" and not path.is_absolute():
                return prefix + str((self.source.parent / path).resolve())
        return url

    def adapter(self, name: str) -> AdapterConfig:
        try:
            return self.adapters[name]
        except KeyError:
            known = ", ".join(sorted(self.adapters)) or "none configured"
            raise ConfigError(f'no adapter named "{name}" (configured: {known})') from None


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Load and validate ``path``; ``environ`` defaults to ``os.environ``."""
    path = Path(path)
    label = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (copy config.example.toml to start)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory; give the config file itself (e.g. -c {path}/config.toml)") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot read the config file (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: nests too deeply to be a config (check the brackets)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or type(exc).__name__})") from None
    return parse_config(raw, label=label, environ=os.environ if environ is None else environ, source=path)


def parse_config(
    raw: Mapping[str, Any], *, label: str = "config", environ: Mapping[str, str], source: Path | None = None
) -> Config:
    secret_paths: set[tuple[str | int, ...]] = set()
    try:
        resolved = _resolve_vars(raw, (), environ, secret_paths, label)
        secrets = {str(_lookup(resolved, p)): str(_lookup(raw, p)) for p in secret_paths}
        config = Config.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_redact(_describe(exc, resolved, secret_paths, label), secrets)) from None
    except (ArithmeticError, RecursionError, ValueError) as exc:  # a validator that overflowed
        raise ConfigError(
            f"{label}: a value is out of range or nested too deeply ({type(exc).__name__}); "
            "check the numbers and durations you changed"
        ) from None
    problems = validate_references(config.rules.sla, config.calendars, config.teams, config.assignment)
    problems += _rule_tag_problems(config)
    try:
        from_config(config.exempt, list(config.adapters))
    except UsageError as exc:
        problems.append(f"exempt: {exc}")
    if problems:
        raise ConfigError(_redact("\n".join(f"{label}: {problem}" for problem in problems), secrets))
    if source is None:
        return config
    adapters = {
        name: section.relative_to(source.parent) if isinstance(section, FileAdapterConfig) else section
        for name, section in config.adapters.items()
    }
    return config.model_copy(update={"source": source, "adapters": adapters})


def _redact(message: str, secrets: Mapping[str, str]) -> str:
    """No value that came from ``${VAR}`` is echoed, whatever key it was put in: it is shown as
    the ``${VAR}`` text the file holds."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            message = message.replace(secret, secrets[secret])
    return message


def _rule_tag_problems(config: Config) -> list[str]:
    """Adapters with their own tag rules (``rule_tag_problems``) check every tag a rule can write."""
    tags = [(f'rules.pursuit[{i}] "{r.name}"', r.tag) for i, r in enumerate(config.rules.pursuit)]
    tags += [(f'rules.sla[{i}] "{r.name}"', r.tag) for i, r in enumerate(config.rules.sla)]
    problems: list[str] = []
    for name, section in config.adapters.items():
        check = getattr(section, "rule_tag_problems", None)
        if callable(check):
            problems += check(name, tags)
    return problems


def _resolve_vars(
    value: Any, path: tuple[str | int, ...], environ: Mapping[str, str], secrets: set, label: str
) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_vars(v, (*path, k), environ, secrets, label) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_vars(v, (*path, i), environ, secrets, label) for i, v in enumerate(value)]
    if isinstance(value, str) and _VAR.search(value):
        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(
                    f"{label}: {_dotted(path)}: environment variable {name} is not set "
                    f"(export {name}=... before running, or write the value in the file)"
                )
            return environ[name]

        secrets.add(path)
        return _VAR.sub(substitute, value)
    return value


def _describe(exc: ValidationError, raw: Any, secrets: set, label: str) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = _clean_loc(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        key, sep, rest = message.partition(": ")
        node = _lookup(raw, loc)
        if sep and isinstance(node, dict) and key in node:  # a model-level check names one key
            loc, message = (*loc, key), rest
        where = _dotted(loc)
        value = _lookup(raw, loc)
        if error["type"] == "extra_forbidden":
            message = "unknown key " + _did_you_mean(str(loc[-1]) if loc else "")
        elif error["type"] == "missing":
            message = "is required but missing"
        elif _is_scalar(value) and loc not in secrets and not message.startswith('"'):
            message = f"{_show(value)}: {message}"
        lines.append(f"{label}: {where}: {message}")
    return "\n".join(lines)


_MISSING = object()


def _did_you_mean(key: str) -> str:
    """``(did you mean "timezone"?)`` from every key the config models know, or the spelling hint."""
    import difflib

    close = difflib.get_close_matches(key, sorted(_known_keys()), n=1, cutoff=0.75)
    if close:
        return f'(did you mean "{close[0]}"?)'
    return "(check its spelling; config.example.toml lists every key)"


def _known_keys() -> set[str]:
    """Field names of every model reachable from :class:`Config` (and their aliases)."""
    import typing

    from pydantic import BaseModel

    seen: set[type] = set()
    names: set[str] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            stack = [info.annotation]
            while stack:
                tp = stack.pop()
                if isinstance(tp, type) and issubclass(tp, BaseModel):
                    walk(tp)
                stack.extend(typing.get_args(tp))

    walk(Config)
    return names


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    cleaned: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        if i == 2 and loc[0] == "adapters" and part in _ADAPTER_KINDS:
            continue  # discriminated-union tag, not a key the user wrote
        cleaned.append(part)
    return tuple(cleaned)


def _lookup(raw: Any, loc: tuple[str | int, ...]) -> Any:
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
