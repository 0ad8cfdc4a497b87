"""``referee doctor`` for Zoho CRM: token refresh, the integration user, one read per module.

Reads are ``GET /{module}?per_page=1&fields=id`` (1 credit each) and ``GET /users?type=CurrentUser``.
Zoho has no way to test a write scope without writing, so the write scopes the rules need are
listed for the operator to compare with the grant (docs/zoho.md, "Scopes"), not proven.
https://www.zoho.com/crm/developer/docs/api/v8/get-records.html ;
https://www.zoho.com/crm/developer/docs/api/v8/get-users.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.client import API
from connector.doctor import Check, from_error, note, passed
from connector.domain import ActionType
from connector.errors import ConnectorError
from connector.protocol import CrmAdapter

_WRITE_SCOPES = {
    ActionType.REASSIGN: "ZohoCRM.modules.<module>.UPDATE (or .ALL) and ZohoCRM.change_owner.CREATE",
    ActionType.FLAG: "ZohoCRM.modules.<module>.ALL (tags) or .UPDATE (flag_field)",
    ActionType.NOTE: "ZohoCRM.modules.notes.CREATE (or .ALL)",
}
_AUTH_FIX = "run `referee zoho auth -c FILE --grant-token CODE` with the scopes in docs/zoho.md"


def doctor(name: str, adapter: CrmAdapter, writes: Mapping[ActionType, Sequence[str]]) -> list[Check]:
    assert isinstance(adapter, ZohoAdapter)
    checks: list[Check] = []
    try:
        token = adapter.tokens.refresh()
        checks.append(passed(f"adapter {name}: auth", f"access token refreshed; API at {token.api_domain}"))
    except ConnectorError as exc:
        return [from_error(f"adapter {name}: auth", exc, _AUTH_FIX)]
    try:
        me = adapter.integration_user_id()
        checks.append(passed(f"adapter {name}: integration user", f"user id {me}" if me else "unknown"))
    except ConnectorError as exc:
        checks.append(from_error(f"adapter {name}: users", exc, "grant ZohoCRM.users.READ"))
    modules = [m.value for m in adapter.config.modules] + list(adapter.config.activity_modules)
    for module in modules:
        subject = f"adapter {name}: read {module}"
        try:
            adapter.client.get(
                f"{API}/{module}", endpoint=f"GET /{module}", scope=f"ZohoCRM.modules.{module.lower()}.READ",
                params={"fields": "Modified_Time", "per_page": 1},
            )
            checks.append(passed(subject, "readable"))
        except ConnectorError as exc:
            checks.append(from_error(subject, exc, f"grant ZohoCRM.modules.{module.lower()}.READ (see docs/zoho.md)"))
    for kind, rules in writes.items():
        checks.append(note(f"adapter {name}: write {kind.value}",
                           f"needed by {', '.join(rules)}; Zoho cannot test it without writing: the grant must "
                           f"include {_WRITE_SCOPES[kind]}"))
    return checks
