"""Identity resolution: which CRM records are one customer (pure: no I/O, no clock)."""

from __future__ import annotations

from rules.identity.company import CompanyName, normalize_company
from rules.identity.config import DEFAULT_MATCH_RULES, FieldSpec, IdentityConfig, MatchRule, parse_field
from rules.identity.email import email_domain, free_mail_domains, normalize_email
from rules.identity.explain import explain_edges, record_label
from rules.identity.features import FeatureExtractor, Features
from rules.identity.keys import blocking_keys, candidate_keys
from rules.identity.match import FieldMatch, MatchEdge, match_pair
from rules.identity.person import normalize_person
from rules.identity.phone import normalize_phone
from rules.identity.places import normalize_city
from rules.identity.resolve import Resolution, ResolutionStats, customer_id_for, resolve
from rules.identity.taxid import is_valid_uscc, normalize_tax_id, uscc_check_digit
from rules.identity.web import normalize_domain

__all__ = [
    "DEFAULT_MATCH_RULES",
    "CompanyName",
    "FeatureExtractor",
    "Features",
    "FieldMatch",
    "FieldSpec",
    "IdentityConfig",
    "MatchEdge",
    "MatchRule",
    "Resolution",
    "ResolutionStats",
    "blocking_keys",
    "candidate_keys",
    "customer_id_for",
    "email_domain",
    "explain_edges",
    "free_mail_domains",
    "is_valid_uscc",
    "match_pair",
    "normalize_city",
    "normalize_company",
    "normalize_domain",
    "normalize_email",
    "normalize_person",
    "normalize_phone",
    "normalize_tax_id",
    "parse_field",
    "record_label",
    "resolve",
    "uscc_check_digit",
]
