"""Make sure the tags a flag writes exist in Zoho before ``add_tags`` uses them.

Zoho keeps tags per module (``GET /settings/tags?module=…`` lists them, ``POST /settings/tags?module=…``
creates them: https://www.zoho.com/crm/developer/docs/api/v8/get-tag-list.html and create-tag.html,
``tags.json`` in the v8 OAS). Adding a tag the module does not have yet needs the right to create
tags; without it every record of the ``add_tags`` call fails. So before the first ``add_tags`` of a
module the writer asks once which of its tags exist and creates the missing ones, which needs
``ZohoCRM.settings.tags.ALL`` (READ to list, CREATE to create).

A token without that scope (or a user without the permission) is not an error: one run warning
(``tags_not_created``) names the tags and the two fixes, and ``add_tags`` goes ahead (it works
where the integration user may create tags). Tags known to exist are kept in the state store
(``zoho:<adapter>`` / ``tags``), so a module costs these calls once, not once per run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from adapters.zoho.client import API, ZohoClient
from adapters.zoho.wire import Outcome
from connector.errors import BudgetExhaustedError, CrmApiError
from connector.run_warnings import WarningLog

TAGS_SCOPE = "ZohoCRM.settings.tags.ALL"
ASK_AGAIN_AFTER = timedelta(hours=1)
_STORE_KEY = "tags"
_REFUSED = frozenset({"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "NOT_ALLOWED"})


class KeyValue(Protocol):
    def get_value(self, ns: str, key: str) -> str | None: ...
    def set_value(self, ns: str, key: str, value: str) -> None: ...


class TagCatalog:
    """Which tags each module has, and creating the ones a run is about to write."""

    def __init__(
        self,
        adapter: str,
        client: ZohoClient,
        store: KeyValue | None,
        warnings: WarningLog,
        clock: Callable[[], datetime],
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.store = store
        self.warnings = warnings
        self.clock = clock
        self._known: dict[str, set[str]] | None = None
        self._refused_at: datetime | None = None
        """When Zoho last refused: a long-running ``referee serve`` asks again only an hour later."""

    def prepare(self, wanted: Mapping[str, Iterable[str]]) -> None:
        """:meth:`ensure` per module; a failure other than the budget only warns (add_tags reports)."""
        for module, names in sorted(wanted.items()):
            try:
                self.ensure(module, names)
            except BudgetExhaustedError:
                raise
            except CrmApiError as exc:
                self.warnings.add("tags_not_created", f"zoho: could not check the {module} tags up front: {exc}")

    def ensure(self, module: str, names: Iterable[str]) -> None:
        """Create the tags of ``names`` that ``module`` lacks (budget errors propagate)."""
        known = self._load().setdefault(module, set())
        missing = sorted(set(names) - known)
        if not missing or self._refused_recently():
            return
        listing = self.client.call(
            "GET",
            f"{API}/settings/tags",
            endpoint="GET /settings/tags",
            params={"module": module},
            scope=TAGS_SCOPE,
            tolerate=frozenset({Outcome.SCOPE}),
        )
        if self._not_ok(listing.answer, "GET /settings/tags", module, missing):
            return
        known |= _names(listing.body, "tags")
        missing = [name for name in missing if name not in known]
        if missing:
            created = self.client.call(
                "POST",
                f"{API}/settings/tags",
                endpoint="POST /settings/tags",
                params={"module": module},
                json={"tags": [{"name": name} for name in missing]},
                scope=TAGS_SCOPE,
                tolerate=frozenset({Outcome.SCOPE}),
            )
            items = created.body.get("tags") if isinstance(created.body, Mapping) else None
            if not isinstance(items, list) and self._not_ok(created.answer, "POST /settings/tags", module, missing):
                return
            failed = []
            for name, item in zip(missing, items if isinstance(items, list) else [], strict=False):
                code = str(item.get("code") or "") if isinstance(item, Mapping) else ""
                if code in ("SUCCESS", "DUPLICATE_DATA"):  # DUPLICATE_DATA: someone created it meanwhile
                    known.add(name)
                else:
                    message = str(item.get("message") or "") if isinstance(item, Mapping) else ""
                    failed.append(f'"{name}" ({code}: {message})'.replace(" (: )", ""))
            if failed:
                self.warnings.add(
                    "tags_not_created",
                    f"zoho: could not create the {module} tag(s) {', '.join(failed)}; "
                    "flags that use them may fail (create them in Zoho under Setup → Tags, or change the rule's tag)",
                )
        self._save()

    def _not_ok(self, answer: Any, endpoint: str, module: str, missing: list[str]) -> bool:
        """Warn once and stop asking this run when Zoho did not answer the tag call normally."""
        if answer.outcome is Outcome.OK:
            return False
        self._refused_at = self.clock()
        quoted = ", ".join(f'"{name}"' for name in missing)
        if answer.outcome is Outcome.SCOPE or answer.code in _REFUSED:
            fix = (
                f"grant {TAGS_SCOPE} and run `referee zoho auth`, or create the tags in Zoho under Setup → Tags"
            )
        else:
            fix = "create the tags in Zoho under Setup → Tags"
        self.warnings.add(
            "tags_not_created",
            f"zoho: could not check or create the {module} tag(s) {quoted} up front ({endpoint} answered "
            f"{answer.code or answer.outcome}); add_tags goes ahead and works only if the integration user "
            f"may create tags ({fix})",
        )
        return True

    def _refused_recently(self) -> bool:
        return self._refused_at is not None and self.clock() - self._refused_at < ASK_AGAIN_AFTER

    def _load(self) -> dict[str, set[str]]:
        if self._known is None:
            raw = self.store.get_value(f"zoho:{self.adapter}", _STORE_KEY) if self.store is not None else None
            try:
                parsed = json.loads(raw) if raw else {}
            except ValueError:
                parsed = {}
            self._known = {
                str(m): {str(n) for n in names}
                for m, names in (parsed.items() if isinstance(parsed, dict) else ())
                if isinstance(names, list)
            }
        return self._known

    def _save(self) -> None:
        if self.store is not None and self._known is not None:
            value = json.dumps({m: sorted(n) for m, n in sorted(self._known.items()) if n})
            self.store.set_value(f"zoho:{self.adapter}", _STORE_KEY, value)


def _names(body: Any, key: str) -> set[str]:
    items = body.get(key) if isinstance(body, Mapping) else None
    return {str(i["name"]) for i in items or [] if isinstance(i, Mapping) and i.get("name")}
