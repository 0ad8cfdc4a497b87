"""A fake EspoCRM (open-source CRM) whose activities can only be listed per record.

Reads answer like EspoCRM's documented REST API, strictly:

- API-key auth in ``X-Api-Key``; a wrong key is ``401`` with an empty body
  (https://docs.espocrm.com/development/api/#authentication-by-api-key).
- ``GET {EntityType}`` lists as ``{"total": n, "list": [...]}`` with ``maxSize``, ``offset``,
  ``orderBy``/``order``, ``select`` (only the attributes asked for, plus ``id``) and
  ``where[i][type|attribute|value]`` filters; a ``maxSize`` above 200 is ``403`` "Max size should
  should not exceed 200. Use offset and limit." (https://docs.espocrm.com/development/api/crud/,
  https://docs.espocrm.com/development/api-search-params/, and the check in
  espocrm/espocrm ``application/Espo/Core/Controllers/Record.php``).
- Calls and meetings are reachable only through their parent record:
  ``GET Activities/{scope}/{id}/history/list/{Call|Meeting}`` (espocrm/espocrm
  ``application/Espo/Modules/Crm/Controllers/Activities.php``, ``getActionEntityTypeList``), and
  notes through ``GET {scope}/{id}/stream``. There is no global activity list to poll.
- Date-times are UTC without an offset (``"2026-11-20 09:00:00"``), as EspoCRM stores them.
- A record may have several assigned users (``assignedUsersIds``, the "Multiple Assigned Users"
  entity option) next to ``assignedUserId``.

Webhooks are signed the way Stripe documents (https://docs.stripe.com/webhooks#verify-manually):
``X-Crm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` over an event shaped
like Stripe's event object (``{"id", "object": "event", "type", "created", "data": {"object"}}``,
https://docs.stripe.com/api/events/object). EspoCRM's own webhooks use another header; the issue
this fake serves describes a CRM that signs like Stripe, which is what the config must handle.

Writes answer like EspoCRM's REST API too (https://docs.espocrm.com/development/api/crud/):

- ``PUT``/``PATCH {EntityType}/{id}`` updates the attributes sent and answers the whole record;
  ``modifiedAt``/``modifiedById`` become now and the API key's user. A link-multiple field is
  replaced as a whole: ``tagsIds`` (a custom ``Tag`` entity linked to leads and contacts, the
  way EspoCRM stores tags) is the complete new list, and unknown ids are a validation failure
  (https://docs.espocrm.com/development/api/relationships/ on ``{link}Ids``).
- ``GET Tag`` lists tags with ``where[0][type]=equals`` filters; ``POST Tag`` creates one and
  answers it with its new ``id``; ``POST Note`` with ``{"type": "Post", "parentType",
  "parentId", "post"}`` posts to a record's stream (https://docs.espocrm.com/development/api/stream/).
- A validation failure is ``400`` with ``X-Status-Reason`` and the body EspoCRM sends,
  ``{"messageTranslation": {"label": "validationFailure", "data": {"field", "type"}}}``
  (``application/Espo/Core/Exceptions/BadRequest.php``, ``Error/Body.php``); ``post`` has a
  ``maxLength`` of 2000 set in the Entity Manager.

Like the signatures, two behaviours are the CRM the issue describes rather than EspoCRM: every
error body also carries ``"error": true`` and a ``"message"``, and assigning a record to an
inactive user answers ``200 {"error": true, "message": …}`` and changes nothing (the 200 that
did nothing, which only a ``success`` expression can catch).

Seeded data, judged at 2026-11-27T10:00:00+08:00 with ``active_within = "30d"``, holds exactly five
duplicate pursuits; see :func:`seed`. Run it with ``python -m examples.fakes.espo --port 8766``
(API key ``espo-demo-key``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

from examples.fakes.base import FakeCrm, Reply, Request, run_forever

DEFAULT_KEY = "espo-demo-key"
INTEGRATION_USER = "u-api-referee"
MAX_SIZE = 200
POST_MAX_LENGTH = 2000
ENTITY_TYPES = ("Lead", "Contact")

USERS: list[dict[str, Any]] = [
    {
        "id": "u-li",
        "userName": "li.na",
        "name": "Li Na",
        "emailAddress": "li.na@espo.example",
        "isActive": True,
        "type": "regular",
    },
    {
        "id": "u-zhang",
        "userName": "zhang.wei",
        "name": "Zhang Wei",
        "emailAddress": "zhang.wei@espo.example",
        "isActive": True,
        "type": "regular",
    },
    {
        "id": "u-wang",
        "userName": "wang.fang",
        "name": "Wang Fang",
        "emailAddress": "wang.fang@espo.example",
        "isActive": True,
        "type": "regular",
    },
    {
        "id": "u-chen",
        "userName": "chen.jie",
        "name": "Chen Jie",
        "emailAddress": "chen.jie@espo.example",
        "isActive": True,
        "type": "regular",
    },
    {
        "id": "u-gone",
        "userName": "left.company",
        "name": "Former Rep",
        "emailAddress": None,
        "isActive": False,
        "type": "regular",
    },
    {
        "id": INTEGRATION_USER,
        "userName": "crm-referee",
        "name": "crm-referee",
        "emailAddress": None,
        "isActive": True,
        "type": "api",
    },
]


TAGS: dict[str, dict[str, Any]] = {
    "tag-vip": {"id": "tag-vip", "name": "vip", "createdAt": "2026-01-05 08:00:00"},
}


def _record(
    ident: str, owner: str, company: str, email: str, phone: str, created: str, **more: Any
) -> dict[str, Any]:
    first, last = more.pop("person", ("Wei", "Chen"))
    return {
        "id": ident,
        "name": f"{first} {last}",
        "firstName": first,
        "lastName": last,
        "accountName": company,
        "emailAddress": email,
        "phoneNumber": phone,
        "website": None,
        "status": "New",
        "addressCity": more.pop("city", "Shenzhen"),
        "addressCountry": "China",
        "assignedUserId": owner,
        "assignedUsersIds": more.pop("co_owners", [owner]),
        "createdAt": created,
        "modifiedAt": more.pop("modified", created),
        "modifiedById": owner,
        "tagsIds": more.pop("tags", []),
        "tagsNames": {},
        "deleted": False,
        **more,
    }


def seed() -> tuple[dict[str, dict[str, dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Records by entity type, activities (calls and meetings) and stream notes.

    The five pursuits: P1 same email on two leads (u-li, u-zhang); P2 same phone on a lead and a
    contact (u-wang, u-chen); P3 u-chen logging a call on u-wang's lead (poaching); P4 same email
    on a lead and a contact whose owner's only call was 29 days and 23 hours ago in UTC (read as
    Asia/Shanghai it would fall outside the 30 days); P5 a lead co-owned by u-li and u-wang and a
    contact of the same customer owned by u-chen. No pursuit: a lead co-owned by u-zhang and
    u-chen (co-owners are no conflict), and a lead the integration user called and noted on.
    """
    records = {
        "Lead": {
            "L1": _record(
                "L1",
                "u-li",
                "Bright Optics",
                "chen.wei@brightoptics.cn",
                "+86 755 2688 1001",
                "2026-11-18 01:00:00",
                tags=["tag-vip"],
            ),
            "L2": _record(
                "L2",
                "u-zhang",
                "Bright Optics Co., Ltd.",
                "chen.wei@brightoptics.cn",
                "",
                "2026-11-22 03:00:00",
                modified="2026-11-26 06:30:00",
            ),
            "L3": _record(
                "L3",
                "u-wang",
                "Harbor Tech",
                "liu.yang@harbortech.com",
                "+86 20 3888 2002",
                "2026-11-20 02:00:00",
                person=("Yang", "Liu"),
                city="Guangzhou",
            ),
            "L4": _record(
                "L4",
                "u-wang",
                "Blue Lake Foods",
                "xu.min@bluelakefoods.cn",
                "",
                "2026-11-19 02:00:00",
                person=("Min", "Xu"),
                city="Hangzhou",
            ),
            "L5": _record(
                "L5",
                "u-li",
                "Northwind Trading",
                "ma.jun@northwind.example",
                "",
                "2026-10-20 02:00:00",
                person=("Jun", "Ma"),
                city="Shanghai",
            ),
            "L6": _record(
                "L6",
                "u-li",
                "Sunrise Solar",
                "he.ping@sunrise-solar.cn",
                "",
                "2026-11-10 02:00:00",
                person=("Ping", "He"),
                co_owners=["u-li", "u-wang"],
            ),
            "L7": _record(
                "L7",
                "u-zhang",
                "Cedar Logistics",
                "gao.lin@cedar-logistics.cn",
                "",
                "2026-11-12 02:00:00",
                person=("Lin", "Gao"),
                co_owners=["u-zhang", "u-chen"],
            ),
            "L8": _record(
                "L8",
                "u-li",
                "Maple Dental",
                "sun.yu@mapledental.cn",
                "",
                "2026-11-15 02:00:00",
                person=("Yu", "Sun"),
            ),
        },
        "Contact": {
            "C1": _record(
                "C1",
                "u-chen",
                "Harbor Technology",
                "yang.liu@gmail.com",
                "+86 20 3888 2002",
                "2026-11-21 02:00:00",
                person=("Yang", "Liu"),
                city="Guangzhou",
            ),
            "C2": _record(
                "C2",
                "u-zhang",
                "Northwind",
                "ma.jun@northwind.example",
                "",
                "2026-10-21 02:00:00",
                person=("Jun", "Ma"),
                city="Shanghai",
            ),
            "C3": _record(
                "C3",
                "u-chen",
                "Sunrise Solar Ltd",
                "he.ping@sunrise-solar.cn",
                "",
                "2026-11-11 02:00:00",
                person=("Ping", "He"),
            ),
        },
    }
    for entity in records.values():
        for row in entity.values():
            row.pop("deleted")
            row["tagsNames"] = {t: TAGS[t]["name"] for t in row["tagsIds"]}
    rows = [
        ("a01", "Call", "Lead", "L1", "u-li", "2026-11-24 02:00:00"),
        ("a02", "Call", "Lead", "L2", "u-zhang", "2026-11-26 06:00:00"),
        ("a03", "Meeting", "Lead", "L3", "u-wang", "2026-11-25 01:00:00"),
        ("a04", "Call", "Contact", "C1", "u-chen", "2026-11-25 08:00:00"),
        ("a05", "Meeting", "Lead", "L4", "u-wang", "2026-11-20 03:00:00"),
        ("a06", "Call", "Lead", "L4", "u-chen", "2026-11-26 03:00:00"),
        ("a07", "Call", "Lead", "L5", "u-li", "2026-11-22 05:00:00"),
        ("a08", "Call", "Contact", "C2", "u-zhang", "2026-10-28 03:00:00"),
        ("a09", "Call", "Lead", "L6", "u-li", "2026-11-23 02:00:00"),
        ("a10", "Meeting", "Lead", "L6", "u-wang", "2026-11-24 02:00:00"),
        ("a11", "Call", "Contact", "C3", "u-chen", "2026-11-25 02:00:00"),
        ("a12", "Call", "Lead", "L7", "u-zhang", "2026-11-23 02:00:00"),
        ("a13", "Call", "Lead", "L7", "u-chen", "2026-11-24 02:00:00"),
        ("a14", "Call", "Lead", "L8", "u-li", "2026-11-20 02:00:00"),
        ("a15", "Call", "Lead", "L8", INTEGRATION_USER, "2026-11-25 02:00:00"),
    ]
    activities = [
        {
            "id": ident,
            "_scope": scope,
            "name": f"{scope} {ident}",
            "status": "Held",
            "dateStart": start,
            "dateEnd": start,
            "parentType": parent_type,
            "parentId": parent_id,
            "assignedUserId": user,
            "createdById": user,
            "createdAt": start,
        }
        for ident, scope, parent_type, parent_id, user, start in rows
    ]
    notes = [
        {
            "id": "n1",
            "type": "Post",
            "post": 'crm-referee: 2 reps are pursuing the same customer "Maple Dental".',
            "parentType": "Lead",
            "parentId": "L8",
            "createdById": INTEGRATION_USER,
            "createdAt": "2026-11-26 02:00:00",
        },
        {
            "id": "n2",
            "type": "Post",
            "post": "Called, sent the brochure.",
            "parentType": "Lead",
            "parentId": "L1",
            "createdById": "u-li",
            "createdAt": "2026-11-24 02:10:00",
        },
    ]
    return records, activities, notes


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


class EspoCrm(FakeCrm):
    prefix = "/api/v1"

    def __init__(self, api_key: str = DEFAULT_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.users = copy.deepcopy(USERS)
        self.records, self.activities, self.notes = seed()
        self.tags = copy.deepcopy(TAGS)
        self._by_parent: dict[tuple[str, str], list[dict[str, Any]]] | None = None
        self._serial = 0
        for entity in ENTITY_TYPES:
            self.route("GET", rf"/({entity})", self._list)
            self.route("GET", rf"/({entity})/([\w-]+)", self._one)
            self.route("PUT", rf"/({entity})/([\w-]+)", self._update)
            self.route("PATCH", rf"/({entity})/([\w-]+)", self._update)
            self.route("GET", rf"/({entity})/([\w-]+)/stream", self._stream)
        self.route("GET", r"/User", self._users)
        self.route("GET", r"/Tag", self._tag_list)
        self.route("POST", r"/Tag", self._tag_create)
        self.route("POST", r"/Note", self._note_create)
        self.route(
            "GET", r"/Activities/(\w+)/([\w-]+)/(activities|history)/list/(Call|Meeting)", self._activities
        )

    def authorize(self, request: Request) -> Reply | None:
        if request.header("X-Api-Key") != self.api_key:
            return Reply(401, None, {"X-Status-Reason": "Unauthorized"})
        return None

    def not_found(self, request: Request) -> Reply:
        return Reply(404, None, {"X-Status-Reason": "Not Found"})

    def delete(self, entity: str, ident: str) -> None:
        with self.lock:
            self.records[entity].pop(ident)

    def set_owner(self, entity: str, ident: str, owner: str) -> None:
        """A person reassigns a record in the CRM (tests: the change between plan and write)."""
        with self.lock:
            row = self.records[entity][ident]
            row.update(assignedUserId=owner, assignedUsersIds=[owner], modifiedById=owner)

    def writes(self) -> int:
        """Requests that could change data (everything but GET)."""
        return sum(1 for method, _, _ in self.requests if method != "GET")

    # -- reads ----------------------------------------------------------------------------------

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Reply:
        max_size = int(request.arg("maxSize") or MAX_SIZE)
        if max_size > MAX_SIZE:
            reason = f"Max size should should not exceed {MAX_SIZE}. Use offset and limit."
            return Reply(403, None, {"X-Status-Reason": reason})
        offset = int(request.arg("offset") or 0)
        order_by = request.arg("orderBy")
        if order_by:
            rows = sorted(
                rows,
                key=lambda r: (str(r.get(order_by) or ""), r["id"]),
                reverse=request.arg("order") == "desc",
            )
        select = request.arg("select")
        page = rows[offset : offset + max_size]
        if select:
            wanted = {"id", *select.split(",")}
            page = [{k: v for k, v in row.items() if k in wanted} for row in page]
        return Reply(200, {"total": len(rows), "list": page})

    def _list(self, request: Request, entity: str) -> Reply:
        with self.lock:
            rows = list(self.records[entity].values())
        return self._filtered(request, rows)

    def _filtered(self, request: Request, rows: list[dict[str, Any]]) -> Reply:
        for clause in _where(request):
            kind, attribute, value = clause.get("type"), clause.get("attribute"), clause.get("value")
            if kind not in ("greaterThanOrEquals", "equals") or attribute is None or value is None:
                return Reply(400, None, {"X-Status-Reason": "Bad where clause."})
            if kind == "equals":
                rows = [r for r in rows if str(r.get(attribute)) == value]
            else:
                rows = [r for r in rows if r.get(attribute) and _ts(r[attribute]) >= _ts(value)]
        return self._page(request, rows)

    def _one(self, request: Request, entity: str, ident: str) -> Reply:
        with self.lock:
            row = self.records[entity].get(ident)
        return Reply(200, row) if row is not None else self.not_found(request)

    def _stream(self, request: Request, entity: str, ident: str) -> Reply:
        if ident not in self.records[entity]:
            return self.not_found(request)
        rows = [n for n in self._children(entity, ident) if n.get("type") == "Post"]
        return self._page(request, sorted(rows, key=lambda n: n["createdAt"], reverse=True))

    def _users(self, request: Request) -> Reply:
        return self._page(request, self.users)

    def _activities(self, request: Request, scope: str, ident: str, name: str, kind: str) -> Reply:
        if scope not in self.records or ident not in self.records[scope]:
            return self.not_found(request)
        rows = [
            {k: v for k, v in a.items() if k != "_scope"}
            for a in self._children(scope, ident)
            if a.get("_scope") == kind and (a["status"] == "Held") == (name == "history")
        ]
        return self._page(request, rows)

    # -- writes ---------------------------------------------------------------------------------

    def _now(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())

    def _update(self, request: Request, entity: str, ident: str) -> Reply:
        data = request.json()
        if not isinstance(data, dict):
            return _bad_request("Bad payload.")
        with self.lock:
            row = self.records[entity].get(ident)
            if row is None:
                return self.not_found(request)
            owner = data.get("assignedUserId")
            if owner is not None:
                user = next((u for u in self.users if u["id"] == owner), None)
                if user is None:
                    return _validation_failure("assignedUser", "valid")
                if not user["isActive"]:
                    message = f"{user['name']} is not active; the assignment was not changed."
                    return Reply(200, {"error": True, "message": message})
            if "tagsIds" in data:
                tags = data["tagsIds"]
                if not isinstance(tags, list) or any(t not in self.tags for t in tags):
                    return _validation_failure("tags", "valid")
                data["tagsNames"] = {t: self.tags[t]["name"] for t in tags}
            row.update({k: v for k, v in data.items() if k in row and k not in ("id", "createdAt")})
            row.update(modifiedAt=self._now(), modifiedById=INTEGRATION_USER)
            return Reply(200, copy.deepcopy(row))

    def _tag_list(self, request: Request) -> Reply:
        with self.lock:
            rows = list(self.tags.values())
        return self._filtered(request, rows)

    def _tag_create(self, request: Request) -> Reply:
        data = request.json()
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            return _validation_failure("name", "required")
        if len(name) > 100:
            return _validation_failure("name", "maxLength")
        with self.lock:
            self._serial += 1
            tag = {"id": f"tag-{self._serial:04d}", "name": name, "createdAt": self._now()}
            self.tags[tag["id"]] = tag
        return Reply(200, tag)

    def _note_create(self, request: Request) -> Reply:
        data = request.json()
        if not isinstance(data, dict) or data.get("type") != "Post":
            return _bad_request("Only posts can be created.")
        parent_type, parent_id, post = data.get("parentType"), data.get("parentId"), data.get("post")
        if parent_type not in self.records or parent_id not in self.records[parent_type]:
            return _validation_failure("parent", "valid")
        if not isinstance(post, str) or not post:
            return _validation_failure("post", "required")
        if len(post) > POST_MAX_LENGTH:
            return _validation_failure("post", "maxLength")
        with self.lock:
            self._serial += 1
            note = {
                "id": f"n-{self._serial:04d}",
                "type": "Post",
                "post": post,
                "parentType": parent_type,
                "parentId": parent_id,
                "createdById": INTEGRATION_USER,
                "createdAt": self._now(),
            }
            self.notes.append(note)
            self._by_parent = None
        return Reply(200, note)

    def _children(self, scope: str, ident: str) -> list[dict[str, Any]]:
        """Activities and notes of one record (indexed on first use, again after a note is posted)."""
        with self.lock:
            if self._by_parent is None:
                self._by_parent = {}
                for row in [*self.activities, *self.notes]:
                    self._by_parent.setdefault((row["parentType"], row["parentId"]), []).append(row)
            return self._by_parent.get((scope, ident), [])

    def generate(self, leads: int) -> None:
        """Replace the seed with ``leads`` leads, each with two calls, a meeting and a note (benchmarks)."""
        template = next(iter(self.records["Lead"].values()))
        self.records = {"Lead": {}, "Contact": {}}
        self.activities, self.notes, self._by_parent = [], [], None
        for i in range(leads):
            ident = f"L{i:06d}"
            self.records["Lead"][ident] = {**template, "id": ident, "emailAddress": f"p{i}@example{i % 997}.cn"}
            for n, scope in enumerate(("Call", "Call", "Meeting")):
                self.activities.append({
                    "id": f"a{i}-{n}", "_scope": scope, "status": "Held", "dateStart": "2026-11-24 02:00:00",
                    "parentType": "Lead", "parentId": ident, "assignedUserId": "u-li", "createdById": "u-li",
                })
            self.notes.append({
                "id": f"n{i}", "type": "Post", "post": "called", "parentType": "Lead", "parentId": ident,
                "createdById": "u-li", "createdAt": "2026-11-24 02:10:00",
            })


def _bad_request(reason: str) -> Reply:
    return Reply(400, {"error": True, "message": reason}, {"X-Status-Reason": reason})


def _validation_failure(field: str, kind: str) -> Reply:
    """EspoCRM's answer to an invalid field, plus the ``error``/``message`` the issue's CRM adds."""
    body = {
        "error": True,
        "message": f"Validation failure: field {field} is not {kind}.",
        "messageTranslation": {"label": "validationFailure", "scope": None, "data": {"field": field, "type": kind}},
    }
    return Reply(400, body, {"X-Status-Reason": "validationFailure"})


def _where(request: Request) -> list[dict[str, str]]:
    """``where[0][type]=…&where[0][attribute]=…`` → ``[{"type": …, "attribute": …}]``."""
    clauses: dict[int, dict[str, str]] = {}
    for key, values in request.query.items():
        if key.startswith("where[") and key.count("[") == 2:
            index, part = key[len("where[") :].rstrip("]").split("][")
            clauses.setdefault(int(index), {})[part] = values[-1]
    return [clauses[i] for i in sorted(clauses)]


def signed_event(
    event_type: str, record_id: str, secret: str, *, event_id: str, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one webhook delivery, e.g. ``signed_event("Lead.update", "L1", …)``."""
    ts = int(time.time()) if timestamp is None else timestamp
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": ts,
            "data": {"object": {"id": record_id}},
        }
    ).encode()
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Crm-Signature": f"t={ts},v1={digest}"}, body


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake EspoCRM.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--leads", type=int, default=0, help="generate this many leads instead of the seed")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer waits")
    args = parser.parse_args()
    crm = EspoCrm()
    if args.leads:
        crm.generate(args.leads)
    crm.latency = args.latency
    run_forever(crm, args.port, f"X-Api-Key {DEFAULT_KEY}")


if __name__ == "__main__":
    main()
