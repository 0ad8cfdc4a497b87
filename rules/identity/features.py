"""One record's normalized identity values, computed once per record and compared many times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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


_EXACT_ATTRS = {
    "email": "emails", "phone": "phones", "domain": "domains", "tax_id": "tax_ids", "company": "companies",
    "person": "persons", "city": "cities", "account": "accounts",
}


@dataclass(frozen=True, slots=True)
class Features:
    """Normalized values of one record; empty tuples/None when a field is missing or junk.

    Single-valued fields are also kept as 0- or 1-tuples (``cities``) so that every exact field is
    read the same way, by :meth:`exact`, in the hot loops of resolution.
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
    companies: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def exact(self, name: str) -> tuple[str, ...]:
        """The values an exact comparison of field ``name`` uses (several for emails/phones)."""
        attr = _EXACT_ATTRS.get(name)
        if attr is not None:
            return getattr(self, attr)  # type: ignore[no-any-return]
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

    def region_of(self, record: Record) -> str:
        country = (record.country or "").strip()
        if len(country) == 2 and country.isalpha():
            return country.upper()
        return _COUNTRY_REGIONS.get(country.casefold(), self.default_region)

    def extract(self, record: Record) -> Features:
        emails = _unique(normalize_email(e) for e in record.emails)
        region = self.region_of(record) if record.phones else self.default_region
        phones = _unique(normalize_phone(p, region) for p in record.phones)
        domains = _unique(
            [normalize_domain(record.website) if record.website else None]
            + [normalize_domain(d) for e in emails if (d := email_domain(e, self.free_mail))]
        )
        tax_ids = _unique([normalize_tax_id(record.tax_id)] if record.tax_id else [])
        company = normalize_company(record.company) if record.company else None
        city = normalize_city(record.city) if record.city else None
        if city is None and company is not None:
            city = company.city
        person = normalize_person(record.first_name, record.last_name) if self.need_person else None
        if record.module == Module.ACCOUNTS:
            account = f"{record.adapter}:{record.id}"
        else:
            account = f"{record.adapter}:{record.account_id}" if record.account_id else None
        extra = {
            name: str(value).strip()
            for name in self.extra_fields
            if (value := record.extra.get(name)) is not None and str(value).strip()
        } if self.extra_fields else _NO_EXTRA
        return Features(
            emails, phones, domains, tax_ids, company, person, city, account, extra,
            (company.key,) if company else (), (person,) if person else (), (city,) if city else (),
            (account,) if account else (),
        )


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)
