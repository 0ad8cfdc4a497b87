"""A fake Pipedrive (API v1) for the example config in ``examples/pipedrive/``.

It answers like Pipedrive's public documentation (https://developers.pipedrive.com/docs/api/v1),
strictly:

- Auth: ``?api_token=…`` on every request; without a valid one ``401 {"success": false, "error":
  "unauthorized access", "errorCode": 401, "error_info": "Please check developers.pipedrive.com…"}``.
- Lists answer ``{"success": true, "data": [...] | null, "additional_data": {"pagination": {"start",
  "limit", "more_items_in_collection", "next_start"}}}`` with ``start``/``limit`` (limit at most 500);
  ``next_start`` is absent on the last page (https://pipedrive.readme.io/docs/core-api-concepts-pagination).
- ``GET /v1/persons``: ``owner_id`` is an object (``{"id", "name", "email", "value"}``), ``email``
  and ``phone`` are lists of ``{"label", "value", "primary"}``, ``add_time``/``update_time`` are
  UTC without an offset (``"2026-11-20 09:00:00"``); deleted persons are simply absent.
- ``GET /v1/leads``: ``owner_id`` is a number, times are ISO 8601 with ``Z``, ``is_archived`` marks
  archived leads, which only ``archived_status=all`` returns.
- ``GET /v1/activities?user_id=0`` lists every user's activities (without ``user_id`` only the
  token owner's): ``user_id``, ``type``, ``done``, ``person_id``/``lead_id``, ``marked_as_done_time``.
- Webhooks (v1) post ``{"v": 1, "meta": {"action", "object", "id", ...}, "current", "previous",
  "event": "updated.person"}`` authenticated with HTTP Basic credentials set on the webhook
  (https://pipedrive.readme.io/docs/guide-for-webhooks).

Writes (https://developers.pipedrive.com/docs/api/v1/Leads#updateLead, …/Persons#updatePerson,
…/LeadLabels, …/Notes#addNote):

- ``GET /v1/leads/{id}`` answers ``{"success": true, "data": lead}``; a missing one is ``404
  {"success": false, "error": "Lead not found"}``.
- ``PATCH /v1/leads/{id}`` takes ``owner_id`` (an integer) and ``label_ids`` (the lead's *whole*
  set of lead-label UUIDs: what is sent replaces what was there); ``PUT /v1/persons/{id}`` takes
  ``owner_id``. A wrong type or unknown id is ``400 {"success": false, "error": "Validation
  failed: …", "error_info": …, "data": null, "additional_data": null}``.
- ``GET /v1/leadLabels`` lists every label; ``POST /v1/leadLabels`` needs ``name`` and ``color``
  (green, blue, red, yellow, purple, gray).
- ``POST /v1/notes`` needs ``content`` and one of ``lead_id`` (a UUID) or ``person_id`` (an integer).

Seeded: a person and a lead of one organization worked by two users (one pursuit), an archived
lead, and a task the integration user logged on another person. Run it with
``python -m examples.fakes.pipedrive --port 8768`` (token ``pd-demo-token``).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
from typing import Any

from examples.fakes.base import FakeCrm, Reply, Request, run_forever

DEFAULT_TOKEN = "pd-demo-token"
MAX_LIMIT = 500
USERS = [
    {"id": 11, "name": "Li Na", "email": "li.na@pd.example", "active_flag": True, "is_admin": 1},
    {"id": 12, "name": "Zhang Wei", "email": "zhang.wei@pd.example", "active_flag": True, "is_admin": 0},
    {"id": 13, "name": "crm-referee", "email": "bot@pd.example", "active_flag": True, "is_admin": 0},
]


def _owner(user_id: int) -> dict[str, Any]:
    user = next(u for u in USERS if u["id"] == user_id)
    return {
        "id": user_id,
        "name": user["name"],
        "email": user["email"],
        "has_pic": 0,
        "pic_hash": None,
        "active_flag": True,
        "value": user_id,
    }


def seed() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    persons = [
        {
            "id": 301,
            "company_id": 1,
            "owner_id": _owner(11),
            "org_id": {"name": "Bright Optics", "people_count": 1, "owner_id": 11, "value": 21},
            "name": "Wei Chen",
            "first_name": "Wei",
            "last_name": "Chen",
            "active_flag": True,
            "email": [{"label": "work", "value": "chen.wei@brightoptics.cn", "primary": True}],
            "phone": [{"label": "work", "value": "+86 755 2688 1001", "primary": True}],
            "add_time": "2026-11-18 01:00:00",
            "update_time": "2026-11-24 02:00:00",
            "visible_to": "3",
        },
        {
            "id": 302,
            "company_id": 1,
            "owner_id": _owner(12),
            "org_id": None,
            "name": "Min Xu",
            "first_name": "Min",
            "last_name": "Xu",
            "active_flag": True,
            "email": [{"label": "work", "value": "xu.min@bluelakefoods.cn", "primary": True}],
            "phone": [{"label": "", "value": "", "primary": True}],
            "add_time": "2026-11-19 01:00:00",
            "update_time": "2026-11-19 01:00:00",
            "visible_to": "3",
        },
    ]
    leads = [
        {
            "id": "adf21080-0e10-11eb-879b-05d71fb426ec",
            "title": "Bright Optics lead",
            "owner_id": 12,
            "creator_id": 12,
            "label_ids": [],
            "person_id": 301,
            "organization_id": 21,
            "source_name": "Web forms",
            "is_archived": False,
            "was_seen": True,
            "value": {"amount": 999, "currency": "USD"},
            "expected_close_date": None,
            "add_time": "2026-11-22T03:00:00.000Z",
            "update_time": "2026-11-26T06:30:00.000Z",
            "visible_to": "3",
        },
        {
            "id": "b1e8f6a0-0e10-11eb-879b-05d71fb426ec",
            "title": "Old lead",
            "owner_id": 11,
            "creator_id": 11,
            "label_ids": [],
            "person_id": None,
            "organization_id": None,
            "source_name": "API",
            "is_archived": True,
            "was_seen": True,
            "value": None,
            "expected_close_date": None,
            "add_time": "2026-10-01T03:00:00.000Z",
            "update_time": "2026-11-25T03:00:00.000Z",
            "visible_to": "3",
        },
    ]
    activities = [
        {
            "id": 801,
            "company_id": 1,
            "user_id": 11,
            "done": True,
            "type": "call",
            "subject": "Intro call",
            "due_date": "2026-11-24",
            "due_time": "02:00",
            "person_id": 301,
            "lead_id": None,
            "deal_id": None,
            "org_id": 21,
            "add_time": "2026-11-24 01:00:00",
            "marked_as_done_time": "2026-11-24 02:05:00",
            "update_time": "2026-11-24 02:05:00",
            "created_by_user_id": 11,
            "active_flag": True,
        },
        {
            "id": 802,
            "company_id": 1,
            "user_id": 12,
            "done": True,
            "type": "meeting",
            "subject": "Demo",
            "due_date": "2026-11-26",
            "due_time": "06:00",
            "person_id": 301,
            "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec",
            "deal_id": None,
            "org_id": None,
            "add_time": "2026-11-25 01:00:00",
            "marked_as_done_time": "2026-11-26 07:00:00",
            "update_time": "2026-11-26 07:00:00",
            "created_by_user_id": 12,
            "active_flag": True,
        },
        {
            "id": 803,
            "company_id": 1,
            "user_id": 13,
            "done": True,
            "type": "task",
            "subject": "crm-referee: check",
            "due_date": "2026-11-26",
            "due_time": "",
            "person_id": 302,
            "lead_id": None,
            "deal_id": None,
            "org_id": None,
            "add_time": "2026-11-26 01:00:00",
            "marked_as_done_time": "2026-11-26 01:00:00",
            "update_time": "2026-11-26 01:00:00",
            "created_by_user_id": 13,
            "active_flag": True,
        },
    ]
    return persons, leads, activities


class Pipedrive(FakeCrm):
    prefix = "/v1"

    def __init__(self, api_token: str = DEFAULT_TOKEN) -> None:
        super().__init__()
        self.api_token = api_token
        self.users = copy.deepcopy(USERS)
        self.persons, self.leads, self.activities = seed()
        self.route("GET", r"/users", lambda r: self._page(r, self.users))
        self.route("GET", r"/persons", self._persons)
        self.route("GET", r"/persons/(\d+)", self._person)
        self.route("GET", r"/leads", self._leads)
        self.route("GET", r"/activities", self._activities)
        self.route("GET", r"/leads/([\w-]+)", self._lead)
        self.route("PATCH", r"/leads/([\w-]+)", self._update_lead)
        self.route("PUT", r"/persons/(\d+)", self._update_person)
        self.route(
            "GET", r"/leadLabels", lambda r: Reply(200, {"success": True, "data": list(self.labels.values())})
        )
        self.route("POST", r"/leadLabels", self._add_label)
        self.route("POST", r"/notes", self._add_note)
        self.labels: dict[str, dict[str, Any]] = {
            "f08b42a0-4e75-11ea-9643-03698ef1cfd6": {
                "id": "f08b42a0-4e75-11ea-9643-03698ef1cfd6",
                "name": "Hot",
                "color": "red",
                "add_time": "2026-01-10T10:00:00.000Z",
                "update_time": "2026-01-10T10:00:00.000Z",
            }
        }
        self.notes: list[dict[str, Any]] = []
        self._serial = 0

    def authorize(self, request: Request) -> Reply | None:
        if request.arg("api_token") != self.api_token:
            return Reply(
                401,
                {
                    "success": False,
                    "error": "unauthorized access",
                    "errorCode": 401,
                    "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
                },
            )
        return None

    def not_found(self, request: Request) -> Reply:
        return Reply(404, {"success": False, "error": "Unknown method .", "errorCode": 404, "error_info": ""})

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Reply:
        start, limit = int(request.arg("start") or 0), int(request.arg("limit") or 100)
        if limit > MAX_LIMIT:
            return Reply(
                400, {"success": False, "error": f"Limit must not exceed {MAX_LIMIT}", "errorCode": 400}
            )
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return Reply(
            200, {"success": True, "data": page or None, "additional_data": {"pagination": pagination}}
        )

    def _persons(self, request: Request) -> Reply:
        return self._page(request, [p for p in self.persons if p["active_flag"]])

    def _person(self, request: Request, ident: str) -> Reply:
        person = next((p for p in self.persons if p["id"] == int(ident) and p["active_flag"]), None)
        if person is None:
            return Reply(404, {"success": False, "error": "Person not found", "errorCode": 404})
        return Reply(200, {"success": True, "data": person})

    def _leads(self, request: Request) -> Reply:
        status = request.arg("archived_status") or "not_archived"
        wanted = {"archived": [True], "not_archived": [False], "all": [True, False]}.get(status)
        if wanted is None:
            return Reply(400, {"success": False, "error": "Invalid archived_status", "errorCode": 400})
        return self._page(request, [lead for lead in self.leads if lead["is_archived"] in wanted])

    def _activities(self, request: Request) -> Reply:
        user = request.arg("user_id")
        rows = (
            self.activities if user == "0" else [a for a in self.activities if a["user_id"] == 11]
        )  # token owner
        return self._page(request, rows)

    # -- writes -------------------------------------------------------------------------------------

    def _lead(self, request: Request, ident: str) -> Reply:
        lead = next((lead for lead in self.leads if lead["id"] == ident), None)
        if lead is None:
            return Reply(404, {"success": False, "error": "Lead not found", "data": None})
        return Reply(200, {"success": True, "data": lead})

    def _owner_error(self, owner: Any) -> Reply | None:
        if not isinstance(owner, int) or isinstance(owner, bool):
            return _invalid(f"owner_id: Expected number, received {type(owner).__name__}")
        if not any(u["id"] == owner for u in self.users):
            return _invalid(f"owner_id: user {owner} does not exist")
        return None

    def _update_lead(self, request: Request, ident: str) -> Reply:
        data = request.json()
        if not isinstance(data, dict):
            return _invalid("body: Expected object")
        with self.lock:
            lead = next((lead for lead in self.leads if lead["id"] == ident), None)
            if lead is None:
                return Reply(404, {"success": False, "error": "Lead not found", "data": None})
            if "owner_id" in data and (refused := self._owner_error(data["owner_id"])):
                return refused
            labels = data.get("label_ids", lead["label_ids"])
            if not isinstance(labels, list) or any(label not in self.labels for label in labels):
                return _invalid("label_ids: every id must be an existing lead label")
            lead.update({k: v for k, v in data.items() if k in ("owner_id", "label_ids", "title")})
            lead["update_time"] = "2026-11-27T02:00:00.000Z"
            return Reply(200, {"success": True, "data": lead})

    def _update_person(self, request: Request, ident: str) -> Reply:
        data = request.json()
        with self.lock:
            person = next((p for p in self.persons if p["id"] == int(ident) and p["active_flag"]), None)
            if person is None:
                return Reply(404, {"success": False, "error": "Person not found", "errorCode": 404})
            if not isinstance(data, dict) or "owner_id" not in data:
                return _invalid("owner_id: Required")
            if refused := self._owner_error(data["owner_id"]):
                return refused
            person["owner_id"] = _owner(data["owner_id"])
            person["update_time"] = "2026-11-27 02:00:00"
            return Reply(200, {"success": True, "data": person})

    def _add_label(self, request: Request) -> Reply:
        data = request.json()
        if not isinstance(data, dict) or not data.get("name"):
            return _invalid("name: Required")
        if data.get("color") not in ("green", "blue", "red", "yellow", "purple", "gray"):
            return _invalid(
                "color: Invalid enum value. Expected 'green' | 'blue' | 'red' | 'yellow' | 'purple' | 'gray'"
            )
        with self.lock:
            self._serial += 1
            label = {
                "id": f"00000000-0000-4000-8000-{self._serial:012d}",
                "name": data["name"],
                "color": data["color"],
                "add_time": "2026-11-27T02:00:00.000Z",
                "update_time": "2026-11-27T02:00:00.000Z",
            }
            self.labels[label["id"]] = label
        return Reply(200, {"success": True, "data": label})

    def _add_note(self, request: Request) -> Reply:
        data = request.json()
        if not isinstance(data, dict) or not data.get("content"):
            return _invalid("content: Required")
        lead_id, person_id = data.get("lead_id"), data.get("person_id")
        if lead_id is None and person_id is None:
            return _invalid("One of deal_id, person_id, org_id, lead_id or project_id is required")
        if person_id is not None and not isinstance(person_id, int):
            return _invalid(f"person_id: Expected number, received {type(person_id).__name__}")
        with self.lock:
            self._serial += 1
            note = {
                "id": self._serial,
                "content": data["content"],
                "lead_id": lead_id,
                "person_id": person_id,
                "user_id": 13,
                "add_time": "2026-11-27 02:00:00",
                "active_flag": True,
            }
            self.notes.append(note)
        return Reply(200, {"success": True, "data": note})

    def writes(self) -> int:
        return sum(1 for method, _, _ in self.requests if method != "GET")

    def delete_person(self, ident: int) -> dict[str, Any]:
        with self.lock:
            person = next(p for p in self.persons if p["id"] == ident)
            person["active_flag"] = False
        return person


def _invalid(error: str) -> Reply:
    return Reply(
        400,
        {
            "success": False,
            "error": f"Validation failed: {error}",
            "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
            "data": None,
            "additional_data": None,
        },
    )


def webhook(
    action: str,
    obj: str,
    current: dict[str, Any] | None,
    previous: dict[str, Any] | None,
    ident: int,
    *,
    user: str,
    password: str,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one Pipedrive v1 webhook delivery."""
    body = json.dumps(
        {
            "v": 1,
            "matches_filters": {"current": []},
            "meta": {
                "v": 1,
                "action": action,
                "object": obj,
                "id": ident,
                "company_id": 1,
                "user_id": 11,
                "host": "acme.pipedrive.com",
                "timestamp": 1764208800,
                "webhook_id": "42",
                "change_source": "app",
                "is_bulk_update": False,
            },
            "current": current,
            "previous": previous,
            "retry": 0,
            "event": f"{action}.{obj}",
        }
    ).encode()
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {credentials}"}, body


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Pipedrive.")
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args()
    run_forever(Pipedrive(), args.port, f"api_token {DEFAULT_TOKEN}")


if __name__ == "__main__":
    main()
