"""Exemptions added with ``referee exempt add`` (the config's ``[[exempt]]`` are not stored)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select

from connector.domain import RecordRef
from connector.store import schema
from connector.store.base import StoreBase, upsert
from rules.exemptions import Exemption

_table = schema.exemptions


class ExemptionStore(StoreBase):
    def add_exemption(self, exemption: Exemption, *, now: datetime) -> None:
        """Store ``exemption``; adding the same one again only updates its reason."""
        row = {
            "exemption_id": exemption.id,
            "kind": exemption.kind,
            "records": json.dumps([[r.adapter, r.module.value, r.id] for r in exemption.records], ensure_ascii=False),
            "users": json.dumps(list(exemption.users), ensure_ascii=False),
            "reason": exemption.reason,
            "created_at": now,
        }
        with self._write() as conn:
            conn.execute(upsert(self.dialect, _table, ("exemption_id",)), row)

    def list_exemptions(self) -> list[Exemption]:
        with self._read() as conn:
            rows = conn.execute(select(_table).order_by(_table.c.created_at, _table.c.exemption_id))
            return [
                Exemption(
                    id=row.exemption_id,
                    kind=row.kind,
                    records=tuple(RecordRef(adapter=a, module=m, id=i) for a, m, i in json.loads(row.records)),
                    users=tuple(json.loads(row.users)),
                    reason=row.reason,
                )
                for row in rows
            ]

    def remove_exemption(self, exemption_id: str) -> bool:
        with self._write() as conn:
            return bool(conn.execute(delete(_table).where(_table.c.exemption_id == exemption_id)).rowcount)
