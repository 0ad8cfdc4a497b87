"""One record's normalized identity values, computed once per record and compared many times."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from connector.domain import Module, Record
from rules.identity.company import CompanyName, normalize_company
from rules.identity.config import IdentityConfig
from rules.identity.email import email_domain, free_mail_domains, normalize_email
from rules.identity.person import normalize_person
from rules.identity.phone import normalize_phone
from rules.identity.places import normalize_city
from rules.identity.taxid import normalize_tax_id
from rules.identity.web import normalize_domain

_COUNTRY_REGIONS = {
    "china": "CN", "中国": "CN", "prc": "CN", "united states": "US", "usa": "US", "us": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "hong kong": "HK", "香港": "HK",
    "taiwan": "TW", "台湾": "TW", "singapore": "SG", "germany": "DE", "japan": "JP", "canada": "CA",
}


_MULTI_VALUED = {"email": "emails", "phone": "phones", "domain": "domains", "tax_id": "tax_ids"}
_SINGLE_VALUED = {"person": "person", "city": "city", "account": "account"}


@dataclass(frozen=True, slots=True)
class Features:
    """Normalized values of one record; empty tuples/None when a field is missing or junk.

    Every exact field is read the same way, as a tuple, by :meth:`exact` (single-valued fields
    as 0- or 1-tuples built on demand: stored, they cost ~150 bytes a record at a million records).
    """

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    tax_ids: tuple[str, ...] = ()
    company: CompanyName | None = None
    person: str | None = None
    city: str | None = None
    account: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def exact(self, name: str) -> tuple[str, ...]:
        """The values an exact comparison of field ``name`` uses (several for emails/phones)."""
        attr = _MULTI_VALUED.get(name)
        if attr is not None:
            values: tuple[str, ...] = getattr(self, attr)
            return values
        if name == "company":
            return (self.company.key,) if self.company is not None else ()
        attr = _SINGLE_VALUED.get(name)
        if attr is not None:
            value = getattr(self, attr)
            return (value,) if value else ()
        value = self.extra.get(name.removeprefix("extra."))
        return (value,) if value else ()


_NO_EXTRA: dict[str, str] = {}


class FeatureExtractor:
    """Holds the config-derived settings (free-mail list, default region) the normalizers need."""

    def __init__(self, config: IdentityConfig) -> None:
        self.free_mail = free_mail_domains(config.free_email_domains)
        self.default_region = config.default_region
        used = {s.name for r in config.match for s in r.fields}
        self.need_person = "person" in used
        self.extra_fields = sorted(
            {s.name.removeprefix("extra.") for r in config.match for s in r.fields if s.name.startswith("extra.")}
        )

    @staticmethod
    def _needs(fields: Collection[str]) -> _Needs:
        return _needs_of(fields if isinstance(fields, frozenset) else frozenset(fields))

    def region_of(self, record: Record) -> str:
        country = (record.country or "").strip()
        if len(country) == 2 and country.isalpha():
            return country.upper()
        return _COUNTRY_REGIONS.get(country.casefold(), self.default_region)

    def extract(self, record: Record, fields: Collection[str] | None = None) -> Features:
        """The record's features; ``fields`` (match field names) limits the work to what they read.

        Fields outside ``fields`` stay empty, so compare such partial features only under rules
        whose fields are all in ``fields`` (``check`` does this for records found by a name token).
        """
        need = _ALL if fields is None else self._needs(fields)
        emails = _unique(normalize_email(e) for e in record.emails) if need.emails else ()
        if need.phones:
            region = self.region_of(record) if record.phones else self.default_region
            phones = _unique(normalize_phone(p, region) for p in record.phones)
        else:
            phones = ()
        domains = _unique(
            [normalize_domain(record.website) if record.website else None]
            + [normalize_domain(d) for e in emails if (d := email_domain(e, self.free_mail))]
        ) if need.domains else ()
        tax_ids = _unique([normalize_tax_id(record.tax_id)] if record.tax_id and need.tax_id else [])
        company = normalize_company(record.company) if record.company and need.company else None
        city = normalize_city(record.city) if record.city and need.city else None
        if city is None and company is not None and need.city:
            city = company.city
        person = (
            normalize_person(record.first_name, record.last_name) if self.need_person and need.person else None
        )
        if not need.account:
            account = None
        elif record.module == Module.ACCOUNTS:
            account = f"{record.adapter}:{record.id}"
        else:
            account = f"{record.adapter}:{record.account_id}" if record.account_id else None
        extra = {
            name: str(value).strip()
            for name in self.extra_fields
            if (need.extra is None or name in need.extra) and (value := record.extra.get(name)) is not None and str(value).strip()
        } if self.extra_fields else _NO_EXTRA
        if not need.company_itself:
            company = None  # read only to place the city
        return Features(emails, phones, domains, tax_ids, company, person, city, account, extra)


class _Needs(NamedTuple):
    """Which features one set of match fields reads (``extra``: the extra names; ``None``: all)."""

    emails: bool
    phones: bool
    domains: bool
    tax_id: bool
    company: bool
    company_itself: bool
    city: bool
    person: bool
    account: bool
    extra: frozenset[str] | None


_ALL = _Needs(True, True, True, True, True, True, True, True, True, None)


@lru_cache(maxsize=64)
def _needs_of(fields: frozenset[str]) -> _Needs:
    return _Needs(
        emails="email" in fields or "domain" in fields, phones="phone" in fields, domains="domain" in fields,
        tax_id="tax_id" in fields, company="company" in fields or "city" in fields,
        company_itself="company" in fields, city="city" in fields, person="person" in fields,
        account="account" in fields,
        extra=frozenset(f.removeprefix("extra.") for f in fields if f.startswith("extra.")),
    )


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)
