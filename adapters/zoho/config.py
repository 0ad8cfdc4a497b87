"""``[adapters.<name>]`` with ``kind = "zoho"``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from adapters.zoho.related import DEFAULT_MOVE_RELATED, RelatedModule
from connector.config_base import ConfigModel, check_http_url
from connector.domain import Module
from connector.durations import Duration
from connector.links import check_record_url

DataCenter = Literal["us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk"]
MAX_TAG_LENGTH = 25
_TAG_FORBIDDEN = frozenset("<>,")
WEB_HOSTS: dict[str, str] = {
    "us": "crm.zoho.com", "eu": "crm.zoho.eu", "in": "crm.zoho.in", "au": "crm.zoho.com.au",
    "jp": "crm.zoho.jp", "ca": "crm.zohocloud.ca", "sa": "crm.zoho.sa", "cn": "crm.zoho.com.cn",
    "uk": "crm.zoho.uk",
}
"""Zoho CRM's web UI per data center (the API hosts are ``www.zohoapis.<tld>``)."""
ActivityModule = Literal["Calls", "Events", "Tasks"]

# Domain fields a ``fields`` entry may point at a Zoho API name (single-valued text or datetime).
MAPPABLE_FIELDS = frozenset(
    {
        "status",
        "company",
        "first_name",
        "last_name",
        "website",
        "tax_id",
        "country",
        "city",
        "account_id",
        "assigned_at",
        "emails",
        "phones",
    }
)


class ZohoAdapterConfig(ConfigModel):
    kind: Literal["zoho"]
    data_center: DataCenter = "us"
    client_id: SecretStr
    client_secret: SecretStr
    # Optional so ``referee zoho auth`` can run before a refresh token exists.
    refresh_token: SecretStr | None = None
    modules: tuple[Module, ...] = (Module.LEADS, Module.CONTACTS, Module.ACCOUNTS, Module.DEALS)
    activity_modules: tuple[ActivityModule, ...] = ("Calls", "Events", "Tasks")
    fields: dict[str, str] = Field(default_factory=dict)
    conflict_tag: str = "referee-conflict"
    flag_field: str = ""
    empty_ok: ClassVar[frozenset[str]] = frozenset({"flag_field", "refresh_token"})  # "" = none (yet)
    notes: bool = True
    notify: bool = False
    move_related: tuple[RelatedModule, ...] = DEFAULT_MOVE_RELATED
    """Related modules whose records ``change_owner`` moves to the new owner (``[]`` = none)."""
    trigger_workflows: bool = False
    max_api_calls: int | None = Field(default=5000, ge=1)
    poll_deleted: bool = True
    pull_unavailability: bool = True  # users' absences; needs ZohoCRM.settings.users_unavailability.READ
    watch_renew_before: Duration = timedelta(days=1)
    accounts_url: str | None = None
    api_domain: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)
    # First loads of a module with more records than this use Bulk Read (0 = always Get Records).
    bulk_read_above: int = Field(default=20_000, ge=0)
    bulk_poll_interval: Duration = timedelta(seconds=10)
    # Timeline calls per run to find when the owner got a record an SLA rule is about to act on.
    timeline_lookups: int = Field(default=100, ge=0, le=10_000)
    bulk_timeout: Duration = timedelta(minutes=30)
    org_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")
    """The org id in Zoho's web URLs (``crm.zoho.com/crm/org<ID>/…``), for exact record links."""
    record_url: str | None = None
    """Links to records in reports and digests; default: Zoho's web UI of the data center."""

    @field_validator("accounts_url", "api_domain")
    @classmethod
    def _http_urls(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_http_url(value, str(info.field_name), "https://www.zohoapis.com")

    @field_validator("record_url")
    @classmethod
    def _record_url(cls, value: str | None) -> str | None:
        return check_record_url(value)

    def record_url_template(self) -> str:
        """``https://crm.zoho.<tld>/crm/[org<ID>/]tab/{module}/{id}``: how Zoho's web UI opens a record."""
        if self.record_url:
            return self.record_url
        org = f"org{self.org_id}/" if self.org_id else ""
        return f"https://{WEB_HOSTS[self.data_center]}/crm/{org}tab/{{module}}/{{id}}"

    @field_validator("bulk_poll_interval", "bulk_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError('must be longer than zero (write e.g. "10s" or "30m")')
        return value

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - MAPPABLE_FIELDS)
        if unknown:
            allowed = ", ".join(sorted(MAPPABLE_FIELDS))
            raise ValueError(f"unknown domain field {', '.join(unknown)} (map one of: {allowed})")
        for key, api_name in value.items():
            if not api_name or "," in api_name or " " in api_name:
                raise ValueError(f'fields.{key} = "{api_name}" is not a Zoho API name (write e.g. "Tax_ID")')
        return value

    @field_validator("conflict_tag")
    @classmethod
    def _valid_tag(cls, value: str) -> str:
        problem = tag_problem(value)
        if problem:
            raise ValueError(f'"{value}" {problem} (change conflict_tag)')
        return value

    def rule_tag_problems(self, adapter: str, tags: Iterable[tuple[str, str]]) -> list[str]:
        """``"<rule>: <what is wrong> (<fix>)"`` for every rule tag Zoho would refuse.

        ``tags`` are (where the tag is configured, tag) pairs, e.g. ``('rules.sla[0] "first-call"',
        "referee:sla-breach")``; the config loader passes every tag a rule can write.
        """
        return [
            f'{where}.tag = "{tag}" {problem}, and adapter "{adapter}" writes tags to Zoho (change the tag)'
            for where, tag in tags
            if (problem := tag_problem(tag))
        ]

    @field_validator("accounts_url", "api_domain")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as https://accounts.zoho.eu")
        return value.rstrip("/") if value else value

    @field_validator("modules", "activity_modules", "move_related")
    @classmethod
    def _no_duplicates(cls, value: tuple) -> tuple:
        if len(set(value)) != len(value):
            raise ValueError("lists a module twice (remove the duplicate)")
        return value


def describe(config: ZohoAdapterConfig) -> list[str]:
    """Lines for ``referee validate`` (never a secret)."""
    from adapters.zoho.auth import accounts_url

    writes = "notes, tags" + (f", field {config.flag_field}" if config.flag_field else "") + ", change_owner"
    return [
        f"data center {config.data_center} (token from {accounts_url(config)})",
        f"modules {', '.join(config.modules)}; activities from {', '.join(config.activity_modules)}",
        f"writes: {writes}; {workflows_line(config)}",
        (
            f"change_owner moves the record's {', '.join(config.move_related)} too"
            if config.move_related
            else "change_owner moves the record only (move_related = [])"
        ),
        f"budget {config.max_api_calls or 'unlimited'} API calls per run",
        (
            f"first loads above {config.bulk_read_above:,} records per module use Bulk Read"
            if config.bulk_read_above
            else "Bulk Read off (first loads use Get Records)"
        ),
        (
            f"up to {config.timeline_lookups} Timeline calls per run confirm SLA clocks"
            if config.timeline_lookups
            else "Timeline lookups off (SLA clocks of reassigned records start at creation)"
        ),
        "refresh token: set" if config.refresh_token else "refresh token: missing (run `referee zoho auth`)",
    ]


def workflows_line(config: ZohoAdapterConfig) -> str:
    """What ``trigger_workflows`` really covers: only field updates carry Zoho's ``trigger`` switch."""
    if not config.flag_field:
        return "no field updates, so trigger_workflows has nothing to switch (Zoho has no switch for change_owner, tags or notes)"
    state = "run" if config.trigger_workflows else 'are suppressed ("trigger": [])'
    return f"workflows on the {config.flag_field} update {state}; change_owner, tags and notes have no switch in Zoho"


def tag_problem(tag: str) -> str | None:
    """Why Zoho would refuse ``tag`` as a tag name, or ``None``.

    Zoho tag names are 1-25 characters without ``<``, ``>``, commas or emoji (Tags API,
    https://www.zoho.com/crm/developer/docs/api/v8/add-tags.html and create-tags.html).
    """
    if not tag.strip():
        return "is empty"
    if len(tag) > MAX_TAG_LENGTH:
        return f"is {len(tag)} characters long; Zoho allows at most {MAX_TAG_LENGTH}"
    bad = sorted({c for c in tag if c in _TAG_FORBIDDEN})
    if bad:
        return f"contains {' '.join(repr(c) for c in bad)}, which Zoho does not allow in tags"
    if any(_is_emoji(c) for c in tag):
        return "contains an emoji, which Zoho does not allow in tags"
    return None


def _is_emoji(char: str) -> bool:
    """Pictographs, dingbats, flags, and the joiners that build emoji sequences."""
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FFFF
        or 0xE0000 <= code <= 0xE007F
        or 0x2300 <= code <= 0x23FF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or char in "\u200d\ufe0f\u20e3"
    )
