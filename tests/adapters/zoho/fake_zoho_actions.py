"""Org mode, continued: writes, Bulk Read jobs and notification channels of :class:`FakeZohoOrg`.

Pages (``https://www.zoho.com/crm/developer/docs/api/v8/<page>``):
``change-owner.html`` (≤500 ids, ``ZohoCRM.change_owner.CREATE``; ``related_modules`` entries
``{"api_name", "id"}`` — "only one of them valid, the system proceeds with the valid one" — move
the record's related Tasks, Events and Calls, linked through ``What_Id`` + ``$se_module`` or
``Who_Id``, to the new owner too; without it they stay), ``add-tags.html`` (≤500 ids;
tag names ≤25 characters without ``<``, ``>`` or commas; at most 10 tags per record,
``LIMIT_REACHED`` per record), ``get-tag-list.html`` and ``create-tag.html`` (``GET``/``POST /settings/tags?module=…``, scope
``ZohoCRM.settings.tags.{READ|CREATE}``; a new name over 25 characters is ``INVALID_DATA`` with
``maximum_length``, an existing one ``DUPLICATE_DATA``: the ``Action_Wrapper`` errors of the v8 OAS
``tags.json``; 201 when all were created, else 400 listing every item), ``add_tags`` of a name
the module lacks creates it only when the user may create tags (``may_create_tags``), else that
record's item is ``NOT_ALLOWED`` (the OAS ``Record_Action_Wrapper_Error``), ``update-records.html`` (≤100 records), ``create-notes.html``
(≤100 notes), ``bulk-read/create-job.html``, ``get-job-details.html``, ``download-result.html``
(states ADDED → IN PROGRESS → COMPLETED, 200,000 records per page, a ZIP'd CSV with ``Id`` and
the requested columns), ``notifications/enable.html``, ``update-info.html``, ``disable.html``
(channels expire after at most 7 days; an unknown channel is ``NOT_SUBSCRIBED``).
Every accepted write also stamps ``Modified_Time`` and ``Modified_By`` (the token's user).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from strict_zoho import Reply, csv_zip, error

MAX_CHANGE_OWNER = 500
MAX_TAG_IDS = 500
MAX_UPDATE = 100
MAX_NOTES = 100
MAX_TAGS_PER_RECORD = 10
RELATED_MODULES = frozenset({"Tasks", "Events", "Calls"})
BULK_PAGE = 200_000
MAX_CHANNEL_LIFE = timedelta(days=7)
_ACTION = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/actions/(?P<action>change_owner|add_tags)$")
_RECORD = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)$")
_JOB = re.compile(r"^/crm/bulk/v8/read/(?P<job>\d+)(?P<result>/result)?$")
_LOOKUPS = frozenset(
    {"Owner", "Modified_By", "Created_By", "What_Id", "Who_Id", "Account_Name", "Contact_Name"}
)


def _item(code: str, message: str, details: Mapping[str, Any], ok: bool = True) -> dict[str, Any]:
    return {
        "code": code,
        "details": dict(details),
        "message": message,
        "status": "success" if ok else "error",
    }


def _answer(items: list[dict[str, Any]], ok_status: int = 200) -> Reply:
    mixed = any(i["status"] != "success" for i in items)
    return Reply.of_json(202 if mixed else ok_status, {"data": items})


class ActionsMixin:
    """Expects the attributes :class:`fake_zoho_org.FakeZohoOrg` defines."""

    clock: Callable[[], datetime]
    records: dict[str, dict[str, dict[str, Any]]]
    sources: dict[str, Sequence[dict[str, Any]]]
    schema: dict[str, frozenset[str]]
    current_user: str
    _need: Callable[..., Reply | None]

    def init_actions(self) -> None:
        self.notes: list[dict[str, Any]] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, Any]]] = {}
        self.may_create_tags = True

    def dispatch_action(self, method: str, path: str, query: Mapping[str, str], body: Any) -> Reply | None:
        if method == "POST" and (match := _ACTION.match(path)):
            handler = self._change_owner if match["action"] == "change_owner" else self._add_tags
            return handler(match["module"], body or {})
        if path == "/crm/v8/settings/tags" and method in ("GET", "POST"):
            return self._list_tags(query) if method == "GET" else self._create_tags(query, body or {})
        if method == "PUT" and (match := _RECORD.match(path)):
            return self._update(match["module"], body or {})
        if method == "POST" and path == "/crm/v8/Notes":
            return self._notes(body or {})
        if path == "/crm/v8/actions/watch" and method in ("POST", "PATCH", "DELETE"):
            return self._watch(method, query, body or {})
        if method == "POST" and path == "/crm/bulk/v8/read":
            return self._create_job(body or {})
        if method == "GET" and (match := _JOB.match(path)):
            return self._job_result(match["job"]) if match["result"] else self._job_state(match["job"])
        return None

    # --- writes -----------------------------------------------------------------------------------

    def _touch(self, raw: dict[str, Any]) -> None:
        raw["Modified_Time"] = self.clock().isoformat()
        raw["Modified_By"] = {"id": self.current_user, "name": "Referee Bot"}

    def _each(
        self, module: str, ids: list[Any], items: list[dict[str, Any]]
    ) -> Iterator[tuple[Any, dict[str, Any]]]:
        """The stored records behind ``ids``; an unknown id gets Zoho's per-record INVALID_DATA."""
        for record_id in ids:
            raw = self.records.get(module, {}).get(str(record_id))
            if raw is None:
                items.append(
                    _item("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}, ok=False)
                )
            else:
                yield record_id, raw

    def _change_owner(self, module: str, body: Mapping[str, Any]) -> Reply:
        if refused := self._need("ZohoCRM.change_owner.CREATE"):
            return refused
        ids, owner = body.get("ids") or [], (body.get("owner") or {}).get("id")
        if not ids or not owner:
            return error(
                400,
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "ids" if not ids else "owner"},
            )
        if len(ids) > MAX_CHANGE_OWNER:
            return error(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_CHANGE_OWNER})
        related = [r.get("api_name") for r in body.get("related_modules") or []]
        if any(name not in RELATED_MODULES for name in related):
            return error(400, "INVALID_DATA", "invalid data", {"api_name": "related_modules"})
        items = []
        linked = self._linked(module, related)
        for record_id, raw in self._each(module, ids, items):
            raw["Owner"] = {"id": owner, "name": owner}
            self._touch(raw)
            for activity in linked.get(str(record_id), ()):
                activity["Owner"] = {"id": owner, "name": owner}
                self._touch(activity)
            items.append(_item("SUCCESS", "owner is successfully updated", {"id": record_id}))
        return _answer(items)

    def _linked(self, module: str, related: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Record id → its activities in ``related`` modules (What_Id + $se_module, or Who_Id)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for activity_module in related:
            for raw in self.records.get(activity_module, {}).values():
                what, who = raw.get("What_Id") or {}, raw.get("Who_Id") or {}
                ids = {str(what["id"])} if what.get("id") and raw.get("$se_module") == module else set()
                if who.get("id") and module in ("Leads", "Contacts"):
                    ids.add(str(who["id"]))
                for record_id in ids:
                    out.setdefault(record_id, []).append(raw)
        return out

    def _add_tags(self, module: str, body: Mapping[str, Any]) -> Reply:
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.WRITE"):
            return refused
        ids, tags = body.get("ids") or [], [t.get("name", "") for t in body.get("tags") or []]
        if len(ids) > MAX_TAG_IDS:
            return error(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_TAG_IDS})
        for name in tags:
            if not name or len(name) > 25 or any(c in name for c in "<>,"):
                return error(400, "INVALID_DATA", "invalid data", {"api_name": "name", "value": name})
        unknown = [t for t in tags if t not in {x["name"] for x in self.tags.get(module, [])}]
        if unknown and self.may_create_tags:
            self._new_tags(module, unknown)
        items = []
        for record_id, raw in self._each(module, ids, items):
            if unknown and not self.may_create_tags:
                items.append(
                    _item("NOT_ALLOWED", "permission denied to create tags", {"id": record_id}, ok=False)
                )
                continue
            have = [t["name"] for t in raw.get("Tag") or []]
            merged = have + [t for t in tags if t not in have]
            if len(merged) > MAX_TAGS_PER_RECORD:
                items.append(
                    _item(
                        "LIMIT_REACHED",
                        "Maximum tags limit reached for the record",
                        {"id": record_id},
                        ok=False,
                    )
                )
                continue
            raw["Tag"] = [{"name": t, "id": str(abs(hash(t)) % 10**12)} for t in merged]
            self._touch(raw)
            items.append(_item("SUCCESS", "tags updated successfully", {"id": record_id, "tags": merged}))
        return _answer(items)

    def _new_tags(self, module: str, names: Sequence[str]) -> list[dict[str, Any]]:
        made = []
        for name in names:
            tag = {
                "name": name,
                "id": str(10**17 + 990_000 + sum(len(v) for v in self.tags.values())),
                "color_code": None,
                "created_time": self.clock().isoformat(),
                "modified_time": self.clock().isoformat(),
                "created_by": {"id": self.current_user, "name": "Referee Bot"},
                "modified_by": {"id": self.current_user, "name": "Referee Bot"},
            }
            self.tags.setdefault(module, []).append(tag)
            made.append(tag)
        return made

    def _tag_module(self, query: Mapping[str, str]) -> tuple[str, Reply | None]:
        module = query.get("module", "")
        if not module:
            return module, error(400, "REQUIRED_PARAM_MISSING", "required param missing", {"param": "module"})
        if module not in self.schema:
            return module, error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        return module, None

    def _list_tags(self, query: Mapping[str, str]) -> Reply:
        if refused := self._need("ZohoCRM.settings.tags.READ"):
            return refused
        module, bad = self._tag_module(query)
        if bad:
            return bad
        tags = self.tags.get(module, [])
        return Reply.of_json(200, {"tags": tags, "info": {"count": len(tags), "allowed_count": 100}})

    def _create_tags(self, query: Mapping[str, str], body: Mapping[str, Any]) -> Reply:
        if refused := self._need("ZohoCRM.settings.tags.CREATE"):
            return refused
        module, bad = self._tag_module(query)
        if bad:
            return bad
        items = []
        for i, tag in enumerate(body.get("tags") or []):
            name = str(tag.get("name") or "")
            existing = next((t for t in self.tags.get(module, []) if t["name"] == name), None)
            if not name:
                items.append(
                    _item("MANDATORY_NOT_FOUND", "required field not found",
                          {"api_name": "name", "json_path": f"$.tags[{i}].name"}, ok=False)
                )
            elif len(name) > 25:
                items.append(
                    _item("INVALID_DATA", "invalid data",
                          {"api_name": "name", "json_path": f"$.tags[{i}].name", "maximum_length": 25}, ok=False)
                )
            elif existing is not None:
                items.append(
                    _item("DUPLICATE_DATA", "duplicate data", {"id": existing["id"], "api_name": "name"}, ok=False)
                )
            else:
                [made] = self._new_tags(module, [name])
                details = {k: v for k, v in made.items() if k != "name"}
                items.append(_item("SUCCESS", "tags created successfully", details))
        failed = any(i["status"] != "success" for i in items)
        return Reply.of_json(400 if failed else 201, {"tags": items})

    def _update(self, module: str, body: Mapping[str, Any]) -> Reply:
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.WRITE"):
            return refused
        data = body.get("data") or []
        if len(data) > MAX_UPDATE:
            return error(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_UPDATE})
        items = []
        for change in data:
            raw = self.records.get(module, {}).get(str(change.get("id")))
            if raw is None:
                items.append(
                    _item(
                        "INVALID_DATA", "the id given seems to be invalid", {"id": change.get("id")}, ok=False
                    )
                )
                continue
            raw.update({k: v for k, v in change.items() if k != "id"})
            self._touch(raw)
            items.append(
                _item("SUCCESS", "record updated", {"id": raw["id"], "Modified_Time": raw["Modified_Time"]})
            )
        return _answer(items)

    def _notes(self, body: Mapping[str, Any]) -> Reply:
        if refused := self._need("ZohoCRM.modules.notes.CREATE"):
            return refused
        data = body.get("data") or []
        if len(data) > MAX_NOTES:
            return error(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_NOTES})
        items = []
        for note in data:
            parent = note.get("Parent_Id") or {}
            module = (parent.get("module") or {}).get("api_name", "")
            if str(parent.get("id")) not in self.records.get(module, {}):
                items.append(_item("INVALID_DATA", "invalid data", {"api_name": "Parent_Id"}, ok=False))
                continue
            note_id = str(10**17 + len(self.notes))
            self.notes.append({**note, "id": note_id})
            items.append(_item("SUCCESS", "record added", {"id": note_id}))
        return _answer(items, ok_status=201)

    # --- notification channels ------------------------------------------------------------------

    def _watch(self, method: str, query: Mapping[str, str], body: Mapping[str, Any]) -> Reply:
        if refused := self._need("ZohoCRM.notifications.ALL"):
            return refused
        now = self.clock()
        if method == "DELETE":
            ids = [i for i in query.get("channel_ids", "").split(",") if i]
            gone = [i for i in ids if self.channels.pop(i, None) is not None]
            if not gone:
                return Reply.of_json(
                    400, {"watch": [_item("NOT_SUBSCRIBED", "the channel is not subscribed", {}, ok=False)]}
                )
            return Reply.of_json(
                200,
                {
                    "watch": [
                        _item(
                            "SUCCESS",
                            "Successfully un-subscribed from actions-watch",
                            {"channel_id": gone[0]},
                        )
                    ]
                },
            )
        [spec] = body.get("watch") or [{}]
        channel_id = str(spec.get("channel_id"))
        known = self.channels.get(channel_id)
        if method == "PATCH" and (known is None or datetime.fromisoformat(known["channel_expiry"]) <= now):
            self.channels.pop(channel_id, None)
            return Reply.of_json(
                400, {"watch": [_item("NOT_SUBSCRIBED", "the channel is not subscribed", {}, ok=False)]}
            )
        if len(str(spec.get("token", ""))) > 50:
            return Reply.of_json(
                400, {"watch": [_item("INVALID_DATA", "invalid data", {"api_name": "token"}, ok=False)]}
            )
        asked = datetime.fromisoformat(spec["channel_expiry"]) if spec.get("channel_expiry") else now
        expiry = asked if now < asked <= now + MAX_CHANNEL_LIFE else now + timedelta(hours=1)
        self.channels[channel_id] = {**(known or {}), **spec, "channel_expiry": expiry.isoformat()}
        events = [
            {"channel_expiry": expiry.isoformat(), "resource_name": e.split(".")[0], "channel_id": channel_id}
            for e in self.channels[channel_id].get("events", [])
        ]
        message = "Successfully subscribed for actions-watch of the given module"
        return Reply.of_json(
            201 if method == "POST" else 200, {"watch": [_item("SUCCESS", message, {"events": events})]}
        )

    # --- Bulk Read --------------------------------------------------------------------------------

    def _create_job(self, body: Mapping[str, Any]) -> Reply:
        query = body.get("query") or {}
        module = (query.get("module") or {}).get("api_name", "")
        if refused := self._need("ZohoCRM.bulk.read", f"ZohoCRM.modules.{module.lower()}.READ"):
            return refused
        fields = list(query.get("fields") or [])
        unknown = [f for f in fields if f.split(".")[0] not in self.schema.get(module, frozenset())]
        if module not in self.schema or unknown:
            return Reply.of_json(
                400,
                {
                    "data": [
                        _item(
                            "FIELD_NOT_AVAILABLE",
                            "field not available",
                            {"api_name": (unknown or [module])[0]},
                            ok=False,
                        )
                    ]
                },
            )
        job_id = str(10**17 + 850_000 + len(self.jobs))
        page = (
            int(query["page_token"].removeprefix("p"))
            if query.get("page_token")
            else int(query.get("page", 1))
        )
        self.jobs[job_id] = {"module": module, "fields": fields, "page": page, "polls": 0}
        details = {
            "id": job_id,
            "operation": "read",
            "state": "ADDED",
            "created_time": self.clock().isoformat(),
            "created_by": {"id": self.current_user},
        }
        return Reply.of_json(
            201, {"data": [_item("ADDED_SUCCESSFULLY", "Added successfully.", details)], "info": {}}
        )

    def _exported(self, module: str) -> Sequence[dict[str, Any]]:
        if module in self.sources:
            return self.sources[module]
        return sorted(self.records.get(module, {}).values(), key=lambda r: int(r["id"]))

    def _job_state(self, job_id: str) -> Reply:
        job = self.jobs.get(job_id)
        if job is None:
            return error(400, "RESOURCE_NOT_FOUND", "the requested resource is not found")
        job["polls"] += 1
        detail: dict[str, Any] = {
            "id": job_id,
            "operation": "read",
            "state": "IN PROGRESS" if job["polls"] < 2 else "COMPLETED",
            "file_type": "csv",
        }
        if detail["state"] == "COMPLETED":
            total = len(self._exported(job["module"]))
            start = (job["page"] - 1) * BULK_PAGE
            more = start + BULK_PAGE < total
            detail["result"] = {
                "page": job["page"],
                "per_page": BULK_PAGE,
                "count": max(0, min(BULK_PAGE, total - start)),
                "download_url": f"/crm/bulk/v8/read/{job_id}/result",
                "more_records": more,
                **({"next_page_token": f"p{job['page'] + 1}"} if more else {}),
            }
        return Reply.of_json(200, {"data": [detail]})

    def _job_result(self, job_id: str) -> Reply:
        job = self.jobs.get(job_id)
        if job is None or job["polls"] < 2:
            return error(400, "RESOURCE_NOT_FOUND", "the requested resource is not found")
        rows = self._exported(job["module"])
        start = (job["page"] - 1) * BULK_PAGE
        cells = [
            [str(r["id"]), *(_cell(r, f) for f in job["fields"])] for r in rows[start : start + BULK_PAGE]
        ]
        content = csv_zip(job_id, ["Id", *job["fields"]], cells)
        return Reply(
            200,
            content,
            {
                "Content-Type": "application/zip",
                "Content-Disposition": f'attachment; filename="{job_id}.zip"',
            },
        )


def _cell(raw: Mapping[str, Any], column: str) -> str:
    """A CSV cell as Bulk Read writes it: lookups as ids, ``Lookup.Field`` as that field, tags joined."""
    name, _, sub = column.partition(".")
    value = raw.get(name)
    if value is None:
        return ""
    if sub:
        return str(value.get("name", "")) if isinstance(value, Mapping) else ""
    if name in _LOOKUPS and isinstance(value, Mapping):
        return str(value.get("id", ""))
    if name == "Tag":
        return ",".join(t["name"] for t in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
