"""Turn a verified webhook body into an :class:`InboundEvent`: records, ids to fetch, deletions.

A payload is one change or a list of them (``changes``), possibly for several modules at once
(HubSpot sends contact and company events in one array). Per change the record may be there in
full (mapped with its module's records endpoint), only as an id (fetched later through
``read.record``), or be a deletion. A change for a module nobody configured is ignored, so one
subscription can cover more than crm-referee reads. Anything unreadable is a 400 that says why.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from adapters.webhook.config_inbound import InboundConfig
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.mapping import BadItemError, RecordMapper
from adapters.webhook.values import boolean, module, text, texts
from connector.domain import Module, Record, RecordRef
from connector.errors import WebhookRejectedError
from connector.protocol import InboundEvent

MapperFor = Callable[[Module], RecordMapper | None]


class InboundParser:
    def __init__(self, adapter: str, inbound: InboundConfig, mapper_for: MapperFor) -> None:
        self.adapter = adapter
        self.inbound = inbound
        self.mapper_for = mapper_for

    def event(self, body: bytes) -> InboundEvent:
        payload = _parse_json(body)
        inbound = self.inbound
        event_id = text(self._search(inbound.event_id, payload, "event_id")) or (
            "sha256:" + hashlib.sha256(body).hexdigest()
        )
        records: list[Record] = []
        refs: list[RecordRef] = []
        deleted: list[RecordRef] = []
        for n, change in enumerate(self._changes(payload), start=1):
            kind = self._module(change, n)
            if kind is None:
                continue
            where = f"change {n}" if inbound.changes is not None else "the payload"
            gone = (
                boolean(self._search(inbound.deleted, change, "deleted"), False) if inbound.deleted else False
            )
            found = self._search(inbound.record, change, "record") if inbound.record else None
            ids = texts(self._search(inbound.record_id, change, "record_id")) if inbound.record_id else ()
            items = [] if not found else found if isinstance(found, list) else [found]
            if gone:
                ids = ids or tuple(t for t in (self._id_of(item, kind, where) for item in items) if t)
                deleted.extend(RecordRef(adapter=self.adapter, module=kind, id=i) for i in ids)
                if not ids:
                    raise WebhookRejectedError(f"{where} is a deletion but names no record id", status=400)
                continue
            if items:
                for item in items:
                    mapped = self._map(item, kind, where)
                    if isinstance(mapped, RecordRef):
                        deleted.append(mapped)
                    else:
                        records.append(mapped)
            elif ids:
                refs.extend(RecordRef(adapter=self.adapter, module=kind, id=i) for i in ids)
            else:
                paths = " or ".join(f'"{p}"' for p in (inbound.record, inbound.record_id) if p)
                raise WebhookRejectedError(f"{where} has no record or record id at {paths}", status=400)
        return InboundEvent(
            event_id=event_id,
            records=records,
            record_refs=refs,
            deleted=deleted,
            meta={"adapter": self.adapter},
        )

    def _changes(self, payload: Any) -> list[Any]:
        if self.inbound.changes is None:
            return [payload]
        found = self._search(self.inbound.changes, payload, "changes")
        if isinstance(found, dict):
            return [found]
        if not isinstance(found, list):
            raise WebhookRejectedError(
                f'the payload has no list of changes at "{self.inbound.changes}"', status=400
            )
        return found

    def _module(self, change: Any, n: int) -> Module | None:
        inbound = self.inbound
        if inbound.module_path is None:
            return inbound.module
        raw = text(self._search(inbound.module_path, change, "module_path"))
        if raw is None:
            return inbound.module
        if inbound.modules:  # a map names every module to read; anything else is not our business
            return inbound.modules.get(raw) or inbound.modules.get(raw.split(".", 1)[0])
        try:
            return module(raw)
        except ValueError:
            return None

    def _map(self, item: Any, kind: Module, where: str) -> Record | RecordRef:
        mapper = self.mapper_for(kind)
        if mapper is None:
            raise WebhookRejectedError(
                f"{where} carries a {kind} record, but no read.records endpoint maps {kind}", status=400
            )
        if not isinstance(item, dict):
            raise WebhookRejectedError(
                f'{where}: the record at "{self.inbound.record}" is not an object', status=400
            )
        try:
            return mapper.read(item, kind)
        except BadItemError as exc:
            raise WebhookRejectedError(str(exc), status=400) from None

    def _id_of(self, item: Any, kind: Module, where: str) -> str | None:
        mapped = self._map(item, kind, where) if isinstance(item, dict) else None
        return mapped.id if mapped is not None else None

    def _search(self, path: str | None, data: Any, key: str) -> Any:
        try:
            return search(path, data)
        except PathError as exc:
            raise WebhookRejectedError(f"inbound.{key}: {exc}", status=400) from None


def _parse_json(body: bytes) -> Any:
    try:
        payload = json.loads(body)
    except UnicodeDecodeError:
        raise WebhookRejectedError("the body is not UTF-8 text", status=400) from None
    except json.JSONDecodeError as exc:
        raise WebhookRejectedError(f"the body is not valid JSON: {exc}", status=400) from None
    except RecursionError:
        raise WebhookRejectedError("the body nests too deeply to be a CRM event", status=400) from None
    if not isinstance(payload, dict | list):
        raise WebhookRejectedError("the body is JSON but not an object", status=400)
    return payload
