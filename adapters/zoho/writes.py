"""Carry out planned actions in as few calls as Zoho allows, and report one result per action.

- reassign → ``POST /{module}/actions/change_owner``, ≤500 ids per call, grouped by new owner;
- flag → ``POST /{module}/actions/add_tags`` (≤500 ids) and, when ``flag_field`` is set,
  ``PUT /{module}`` in batches of 100;
- note → ``POST /Notes``, ≤100 notes per call, ``Parent_Id`` naming module and record.

Before writing, actions that carry ``previous_owner_id`` are re-checked with one fresh read per
module; if someone changed the owner meanwhile, the action is skipped with that reason. Every
``data[i]`` status of a 200/202/207 answer is read, so partial failures come back as failed
results with Zoho's code and message.

When the org's daily credits (or the run's ``max_api_calls``) run out, the refused call and every
call after it are not sent: their actions come back ``planned`` ("not attempted: …"), so the
journal keeps them for the next run, and :attr:`Writer.stopped_by` says why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from adapters.zoho.client import API, ZohoClient
from adapters.zoho.config import ZohoAdapterConfig
from adapters.zoho.related import related_modules
from adapters.zoho.tags import TagCatalog
from adapters.zoho.wire import Outcome, item_outcomes
from connector.domain import Action, ActionResult, ActionStatus, ActionType
from connector.errors import AuthError, BudgetExhaustedError, CrmApiError

CHANGE_OWNER_BATCH = 500
TAGS_BATCH = 500
UPDATE_BATCH = 100
NOTES_BATCH = 100
SUPPORTED = frozenset({ActionType.REASSIGN.value, ActionType.FLAG.value, ActionType.NOTE.value})


@dataclass(frozen=True)
class _Call:
    """One write request and the actions whose records it carries, in body order."""

    method: str
    path: str
    endpoint: str
    scope: str
    body: dict[str, Any]
    record_ids: tuple[str, ...]
    actions: tuple[tuple[int, Action], ...]
    success: str


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_scope(module: str) -> str:
    """What ``add_tags`` and ``PUT /{module}`` need: module WRITE or ALL (Zoho's add-tags and
    update-records pages; ``….UPDATE`` alone is not enough)."""
    return f"ZohoCRM.modules.{module.lower()}.WRITE (or ZohoCRM.modules.ALL)"


def _add_tags_call(module: str, tag: str, ids: Sequence[str]) -> _Call:
    return _Call(
        "POST",
        f"{API}/{module}/actions/add_tags",
        f"POST /{module}/actions/add_tags",
        write_scope(module),
        {"tags": [{"name": tag}], "ids": list(ids), "over_write": False},
        tuple(ids),
        (),
        f"tagged {tag}",
    )


class Writer:
    """Applies one batch of actions for one adapter."""

    def __init__(
        self,
        client: ZohoClient,
        config: ZohoAdapterConfig,
        clock: Callable[[], datetime],
        *,
        tags: TagCatalog | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.tags = tags
        self._results: dict[int, ActionResult] = {}
        self._stopped: str | None = None
        self.stopped_by: BudgetExhaustedError | None = None
        """Set when credits or the run's budget ran out: the rest stays planned for the next run."""

    def apply(self, actions: Sequence[Action]) -> list[ActionResult]:
        self._results = {}
        self._stopped = None
        self.stopped_by = None
        pending: list[tuple[int, Action]] = []
        for i, action in enumerate(actions):
            if action.type.value not in SUPPORTED:
                self._done(i, action, ActionStatus.SKIPPED, f"zoho cannot carry out {action.type} actions")
            elif action.type is ActionType.NOTE and not self.config.notes:
                self._done(i, action, ActionStatus.SKIPPED, "notes are turned off (notes = false)")
            else:
                pending.append((i, action))
        pending = self._recheck_owners(pending)
        calls = self._plan(pending)
        self._prepare_tags(calls)
        for call in calls:
            self._send(call)
        return [self._results[i] for i in sorted(self._results)]

    # --- concurrency guard -----------------------------------------------------------------

    def _recheck_owners(self, pending: list[tuple[int, Action]]) -> list[tuple[int, Action]]:
        by_module: dict[str, set[str]] = defaultdict(set)
        for _, action in pending:
            if action.previous_owner_id is not None:
                by_module[action.target.module.value].add(action.target.id)
        owners: dict[tuple[str, str], str | None] = {}
        for module, ids in sorted(by_module.items()):
            try:
                if self.stopped_by is not None:  # no call after the one that said credits are gone
                    raise self.stopped_by
                rows = self.client.get_by_ids(module, sorted(ids), ["Owner", "Modified_Time"])
            except CrmApiError as exc:
                if isinstance(exc, BudgetExhaustedError):
                    self._stop(exc)
                status, why = (
                    (ActionStatus.PLANNED, f"not attempted: {exc}")
                    if isinstance(exc, BudgetExhaustedError)
                    else (ActionStatus.FAILED, f"could not re-check the owner: {exc}")
                )
                for i, action in pending:
                    if action.target.module.value == module and action.previous_owner_id is not None:
                        self._done(i, action, status, why)
                continue
            for row in rows:
                raw_owner = row.get("Owner")
                owner: dict[str, Any] = raw_owner if isinstance(raw_owner, dict) else {}
                owners[(module, str(row.get("id")))] = str(owner["id"]) if owner.get("id") else None
        keep: list[tuple[int, Action]] = []
        for i, action in pending:
            if i in self._results:
                continue
            if action.previous_owner_id is None:
                keep.append((i, action))
                continue
            key = (action.target.module.value, action.target.id)
            if key not in owners:
                self._done(i, action, ActionStatus.SKIPPED, "record no longer exists in Zoho")
            elif action.type is ActionType.REASSIGN and owners[key] == action.new_owner_id:
                self._done(i, action, ActionStatus.APPLIED, f"already owned by {action.new_owner_id}")
            elif owners[key] != action.previous_owner_id:
                self._done(
                    i,
                    action,
                    ActionStatus.SKIPPED,
                    f"owner changed meanwhile (planned from {action.previous_owner_id}, now {owners[key]})",
                )
            else:
                keep.append((i, action))
        return keep

    # --- planning --------------------------------------------------------------------------

    def _trigger(self) -> dict[str, Any]:
        return {} if self.config.trigger_workflows else {"trigger": []}

    def _plan(self, pending: list[tuple[int, Action]]) -> list[_Call]:
        owners: dict[tuple[str, str], list[tuple[int, Action]]] = defaultdict(list)
        tags: dict[tuple[str, str], list[tuple[int, Action]]] = defaultdict(list)
        flags: dict[str, list[tuple[int, Action]]] = defaultdict(list)
        notes: list[tuple[int, Action]] = []
        for i, action in pending:
            module = action.target.module.value
            if action.type is ActionType.REASSIGN:
                if not action.new_owner_id:
                    self._done(i, action, ActionStatus.FAILED, "reassign action has no new_owner_id")
                    continue
                owners[(module, action.new_owner_id)].append((i, action))
            elif action.type is ActionType.FLAG:
                tags[(module, action.tag or self.config.conflict_tag)].append((i, action))
                if self.config.flag_field:
                    flags[module].append((i, action))
            else:
                notes.append((i, action))
        calls: list[_Call] = []
        for (module, owner), group in sorted(owners.items()):
            calls += self._batched(group, CHANGE_OWNER_BATCH, partial(self._change_owner_call, module, owner))
        for (module, tag), group in sorted(tags.items()):
            calls += self._batched(group, TAGS_BATCH, partial(_add_tags_call, module, tag))
        for module, group in sorted(flags.items()):
            calls += self._flag_field_calls(module, group)
        for chunk in _chunks(notes, NOTES_BATCH):
            data = [
                {
                    "Note_Title": f"crm-referee: {action.rule}"[:120],
                    "Note_Content": action.text or action.reason,
                    "Parent_Id": {"module": {"api_name": action.target.module.value}, "id": action.target.id},
                }
                for _, action in chunk
            ]
            calls.append(
                _Call(
                    "POST",
                    f"{API}/Notes",
                    "POST /Notes",
                    "ZohoCRM.modules.notes.CREATE",
                    {"data": data},  # the Notes OAS declares no "trigger" key
                    tuple(a.target.id for _, a in chunk),
                    tuple(chunk),
                    "note added",
                )
            )
        return calls

    def _change_owner_call(self, module: str, owner: str, ids: Sequence[str]) -> _Call:
        return _Call(
            "POST",
            f"{API}/{module}/actions/change_owner",
            f"POST /{module}/actions/change_owner",
            "ZohoCRM.change_owner.CREATE",
            {
                "ids": list(ids),
                "owner": {"id": owner},
                "notify": self.config.notify,
                **related_modules(self.config.move_related),
            },
            tuple(ids),
            (),
            f"owner changed to {owner}",
        )

    def _batched(
        self, group: list[tuple[int, Action]], size: int, make: Callable[[Sequence[str]], _Call]
    ) -> list[_Call]:
        """One call per ``size`` distinct record ids; actions on the same record share its item."""
        ids = list(dict.fromkeys(a.target.id for _, a in group))
        calls = []
        for chunk in _chunks(ids, size):
            wanted = set(chunk)
            call = make(chunk)
            members = tuple((i, a) for i, a in group if a.target.id in wanted)
            calls.append(replace(call, actions=members))
        return calls

    def _flag_field_calls(self, module: str, group: list[tuple[int, Action]]) -> list[_Call]:
        by_id: dict[str, tuple[int, Action]] = {}
        for i, action in group:
            by_id.setdefault(action.target.id, (i, action))
        calls = []
        for chunk in _chunks(list(by_id), UPDATE_BATCH):
            data = [
                {"id": rid, self.config.flag_field: (by_id[rid][1].text or by_id[rid][1].reason)[:255]}
                for rid in chunk
            ]
            wanted = set(chunk)
            calls.append(
                _Call(
                    "PUT",
                    f"{API}/{module}",
                    f"PUT /{module}",
                    write_scope(module),
                    {"data": data, **self._trigger()},
                    tuple(chunk),
                    tuple((i, a) for i, a in group if a.target.id in wanted),
                    f"set {self.config.flag_field}",
                )
            )
        return calls

    # --- sending ---------------------------------------------------------------------------

    def _send(self, call: _Call) -> None:
        live = [(i, a) for i, a in call.actions if not self._failed(i)]
        if not live:
            return
        if self._stopped:
            for i, action in live:
                self._done(i, action, ActionStatus.PLANNED, f"not attempted: {self._stopped}")
            return
        try:
            reply = self.client.call(
                call.method, call.path, endpoint=call.endpoint, json=call.body, scope=call.scope
            )
        except BudgetExhaustedError as exc:  # refused before Zoho did anything: nothing was written
            self._stop(exc)
            for i, action in live:
                self._done(i, action, ActionStatus.PLANNED, f"not attempted: {exc}")
            return
        except (AuthError, CrmApiError) as exc:
            for i, action in live:
                self._done(i, action, ActionStatus.FAILED, str(exc))
            return
        if reply.answer.outcome is not Outcome.OK and not isinstance(reply.body.get("data"), list):
            message = f"{reply.answer.code}: {reply.answer.message}".strip(": ")
            for i, action in live:
                self._done(i, action, ActionStatus.FAILED, f"zoho refused {call.endpoint} ({message})")
            return
        outcomes = item_outcomes(reply.body)
        by_id = {o.record_id: o for o in outcomes if o.record_id is not None}
        for i, action in live:
            if call.endpoint == "POST /Notes":
                position = next(p for p, (j, _) in enumerate(call.actions) if j == i)
                outcome = outcomes[position] if position < len(outcomes) else None
            else:
                outcome = by_id.get(action.target.id)
                if outcome is None:
                    position = call.record_ids.index(action.target.id)
                    outcome = outcomes[position] if position < len(outcomes) else None
            if outcome is None:
                self._done(
                    i, action, ActionStatus.FAILED, f"{call.endpoint}: no status returned for this record"
                )
            elif outcome.ok:
                self._done(i, action, ActionStatus.APPLIED, call.success)
            else:
                detail = f"{outcome.code}: {outcome.message}".strip(": ")
                self._done(
                    i, action, ActionStatus.FAILED, f"{call.endpoint} failed for this record ({detail})"
                )

    def _prepare_tags(self, calls: Sequence[_Call]) -> None:
        """Create the tags the ``add_tags`` calls name where the module lacks them (see ``tags.py``)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for call in calls:
            if call.endpoint.endswith("/actions/add_tags") and any(not self._failed(i) for i, _ in call.actions):
                wanted[call.path.split("/")[-3]] |= {t["name"] for t in call.body["tags"]}
        if self.tags is None or not wanted:
            return
        try:
            self.tags.prepare(wanted)
        except BudgetExhaustedError as exc:
            self._stop(exc)

    def _stop(self, exc: BudgetExhaustedError) -> None:
        self._stopped = str(exc)
        self.stopped_by = self.stopped_by or exc

    def _failed(self, index: int) -> bool:
        result = self._results.get(index)
        return result is not None and result.status is not ActionStatus.APPLIED

    def _done(self, index: int, action: Action, status: ActionStatus, message: str) -> None:
        previous = self._results.get(index)
        if (
            previous is not None
            and previous.status is ActionStatus.APPLIED
            and status is ActionStatus.APPLIED
        ):
            message = f"{previous.message}; {message}"
        applied_at = self.clock() if status is ActionStatus.APPLIED else None
        self._results[index] = ActionResult(
            action=action, status=status, message=message, applied_at=applied_at
        )
