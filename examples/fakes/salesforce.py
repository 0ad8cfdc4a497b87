"""A fake Salesforce org (REST API v60.0) for the example config in ``examples/salesforce/``.

It answers like Salesforce's public documentation, strictly:

- OAuth 2.0 client credentials: ``POST /services/oauth2/token`` (form ``grant_type,
  client_id, client_secret``) answers ``{"access_token", "signature", "instance_url", "id",
  "token_type": "Bearer", "issued_at"}``: no ``expires_in``, the session simply stops working;
  then every call answers ``401 [{"message": "Session expired or invalid", "errorCode":
  "INVALID_SESSION_ID"}]`` (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm,
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
  ``instance_url`` is the host the API must be called on.
- SOQL: ``GET /services/data/v60.0/query?q=SELECT … FROM … [WHERE SystemModstamp > …] [ORDER BY …]``
  answers ``{"totalSize", "done", "records": [{"attributes": {"type", "url"}, <only the fields
  selected>}], "nextRecordsUrl"}``; the next batch is ``GET`` of ``nextRecordsUrl`` with no
  parameters. An unknown field is ``400 [{"errorCode": "INVALID_FIELD", ...}]``
  (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-query.html). Batches here
  hold 2 records (Salesforce returns up to 2,000, "or fewer").
- Deleted records: ``GET /services/data/v60.0/sobjects/{Lead|Contact}/deleted/?start=…&end=…``
  (both required, ISO 8601, ``start`` within the last 15 days) answers ``{"deletedRecords": [{"id",
  "deletedDate"}], "earliestDateAvailable", "latestDateCovered"}``
  (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-getdeleted.html).
- Date-times look like ``2026-11-20T09:00:00.000+0000``; Task and Event ``WhoId`` is a Lead
  (``00Q…``) or a Contact (``003…``).

Writes (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm,
…/dome_sobject_create.htm, …/intro_rest_conditional_requests.htm):

- ``GET sobjects/{Lead|Contact}/{id}`` sends an ``ETag``; ``PATCH`` of the same URL with fields
  answers ``204`` with no body, and with ``If-Match`` that no longer matches (someone saved the
  record since) ``412 [{"errorCode": "PRECONDITION_FAILED", …}]``. A bad ``OwnerId`` is ``400
  [{"message", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["OwnerId"]}]``.
- ``POST sobjects/{Topic|TopicAssignment|Note}`` creates and answers ``201 {"id", "success": true,
  "errors": []}``; a second assignment of one topic to one record is ``400 DUPLICATE_VALUE``.
  Topics (Salesforce's tags, enabled for leads and contacts in Setup) are found by name with
  SOQL ``SELECT Id, Name FROM Topic WHERE Name = '…'``. A Note's ``Title`` holds 80 characters
  and its ``Body`` 32,000 (``STRING_TOO_LONG``).

Seeded: a lead and a contact with the same email, owned and called by two users (one pursuit),
and a Task the integration user created. Run it with ``python -m examples.fakes.salesforce
--port 8769`` (client ``sf-client-id`` / ``sf-client-secret``).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from examples.fakes.base import FakeCrm, Reply, Request, run_forever

CLIENT_ID = "sf-client-id"
CLIENT_SECRET = "sf-client-secret"
INTEGRATION_USER = "005000000000BOT"
API = "/services/data/v60.0"
BATCH = 2
_SOQL = re.compile(
    r"SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<field>\w+)\s*(?P<op>>=|>|=)\s*(?P<value>'[^']*'|\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+ASC)?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _stamp(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def seed() -> dict[str, dict[str, dict[str, Any]]]:
    def row(obj: str, ident: str, **fields: Any) -> dict[str, Any]:
        fields = {
            k: _stamp(v)
            if k in ("CreatedDate", "SystemModstamp", "CompletedDateTime", "StartDateTime") and v
            else v
            for k, v in fields.items()
        }
        return {"attributes": {"type": obj, "url": f"{API}/sobjects/{obj}/{ident}"}, "Id": ident, **fields}

    users = {
        "005000000000AAA": row(
            "User", "005000000000AAA", Name="Li Na", Email="li.na@sf.example", IsActive=True
        ),
        "005000000000BBB": row(
            "User", "005000000000BBB", Name="Zhang Wei", Email="zhang.wei@sf.example", IsActive=True
        ),
        INTEGRATION_USER: row(
            "User", INTEGRATION_USER, Name="crm-referee", Email="bot@sf.example", IsActive=True
        ),
    }
    leads = {
        "00Q000000000001": row(
            "Lead",
            "00Q000000000001",
            OwnerId="005000000000AAA",
            Company="Bright Optics",
            FirstName="Wei",
            LastName="Chen",
            Email="chen.wei@brightoptics.cn",
            Phone="+86 755 2688 1001",
            City="Shenzhen",
            Country="China",
            Status="Working - Contacted",
            CreatedDate="2026-11-18T01:00:00+00:00",
            SystemModstamp="2026-11-24T02:00:00+00:00",
            LastModifiedById="005000000000AAA",
        ),
        "00Q000000000002": row(
            "Lead",
            "00Q000000000002",
            OwnerId="005000000000AAA",
            Company="Harbor Tech",
            FirstName="Yang",
            LastName="Liu",
            Email="liu.yang@harbortech.com",
            Phone=None,
            City="Guangzhou",
            Country="China",
            Status="Open - Not Contacted",
            CreatedDate="2026-11-20T01:00:00+00:00",
            SystemModstamp="2026-11-20T01:00:00+00:00",
            LastModifiedById="005000000000AAA",
        ),
    }
    contacts = {
        "003000000000001": row(
            "Contact",
            "003000000000001",
            OwnerId="005000000000BBB",
            FirstName="Wei",
            LastName="Chen",
            Email="chen.wei@brightoptics.cn",
            Phone=None,
            MailingCity="Shenzhen",
            MailingCountry="China",
            CreatedDate="2026-11-22T03:00:00+00:00",
            SystemModstamp="2026-11-26T06:30:00+00:00",
            LastModifiedById="005000000000BBB",
            AccountId="001000000000001",
            Account={
                "attributes": {"type": "Account", "url": f"{API}/sobjects/Account/001000000000001"},
                "Name": "Bright Optics Ltd",
            },
        ),
    }
    tasks = {
        "00T000000000001": row(
            "Task",
            "00T000000000001",
            WhoId="00Q000000000001",
            OwnerId="005000000000AAA",
            TaskSubtype="Call",
            Status="Completed",
            IsClosed=True,
            CompletedDateTime="2026-11-24T02:00:00+00:00",
            CreatedDate="2026-11-24T02:00:00+00:00",
            CreatedById="005000000000AAA",
            SystemModstamp="2026-11-24T02:00:00+00:00",
            Subject="Intro call",
        ),
        "00T000000000002": row(
            "Task",
            "00T000000000002",
            WhoId="003000000000001",
            OwnerId="005000000000BBB",
            TaskSubtype="Call",
            Status="Completed",
            IsClosed=True,
            CompletedDateTime="2026-11-26T06:00:00+00:00",
            CreatedDate="2026-11-26T06:00:00+00:00",
            CreatedById="005000000000BBB",
            SystemModstamp="2026-11-26T06:00:00+00:00",
            Subject="Follow-up",
        ),
        "00T000000000003": row(
            "Task",
            "00T000000000003",
            WhoId="00Q000000000002",
            OwnerId=INTEGRATION_USER,
            TaskSubtype="Task",
            Status="Completed",
            IsClosed=True,
            CompletedDateTime="2026-11-26T01:00:00+00:00",
            CreatedDate="2026-11-26T01:00:00+00:00",
            CreatedById=INTEGRATION_USER,
            SystemModstamp="2026-11-26T01:00:00+00:00",
            Subject="crm-referee: check ownership",
        ),
    }
    return {
        "User": users,
        "Lead": leads,
        "Contact": contacts,
        "Task": tasks,
        "Topic": {},
        "TopicAssignment": {},
        "Note": {},
    }


def _errors(status: int, code: str, message: str) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code}])


class Salesforce(FakeCrm):
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.clock = clock
        self.objects = seed()
        self.deleted: dict[str, list[dict[str, str]]] = {"Lead": [], "Contact": []}
        self.sessions: set[str] = set()
        self.instance_url = ""  # set by the test or main(): the host API calls must go to
        self.hosts: list[str] = []
        self.locators: dict[str, list[dict[str, Any]]] = {}
        self.route("POST", r"/services/oauth2/token", self._token)
        self.route("GET", rf"{API}/query/?", self._query)
        self.route("GET", rf"{API}/query/([\w-]+)", self._more)
        self.route("GET", rf"{API}/sobjects/(Lead|Contact)/deleted/?", self._deleted)
        self.route("GET", rf"{API}/sobjects/(Lead|Contact)/(\w+)", self._one)
        self.route("PATCH", rf"{API}/sobjects/(Lead|Contact)/(\w+)", self._update)
        self.route("POST", rf"{API}/sobjects/(Topic|TopicAssignment|Note)/?", self._create)
        self.meddle: set[str] = set()
        """Ids a person saves right after we read them (tests: the race If-Match is there for)."""
        self._serial = 0

    def end_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def delete(self, obj: str, ident: str, when: datetime) -> None:
        with self.lock:
            self.objects[obj].pop(ident)
            self.deleted[obj].append(
                {"id": ident, "deletedDate": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
            )

    def authorize(self, request: Request) -> Reply | None:
        self.hosts.append(request.header("Host") or "")
        if request.path == "/services/oauth2/token":
            return None
        token = (request.header("Authorization") or "").removeprefix("Bearer ")
        if token not in self.sessions:
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return None

    def not_found(self, request: Request) -> Reply:
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _token(self, request: Request) -> Reply:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Reply(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            )
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Reply(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        token = "00D000000000001!" + secrets.token_urlsafe(24)
        with self.lock:
            self.sessions.add(token)
        issued = str(int(self.clock().timestamp() * 1000))
        return Reply(
            200,
            {
                "access_token": token,
                "signature": secrets.token_urlsafe(16),
                "instance_url": self.instance_url,
                "id": f"https://login.salesforce.com/id/00D000000000001/{INTEGRATION_USER}",
                "token_type": "Bearer",
                "issued_at": issued,
            },
        )

    def _query(self, request: Request) -> Reply:
        soql = request.arg("q") or ""
        match = _SOQL.match(soql.strip())
        if match is None:
            return _errors(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:60]}")
        obj = match["object"]
        if obj not in self.objects:
            return _errors(400, "INVALID_TYPE", f"sObject type '{obj}' is not supported.")
        fields = [f.strip() for f in match["fields"].split(",")]
        rows = list(self.objects[obj].values())
        for name in fields:
            head = name.split(".")[0]
            if rows and not any(head in r for r in rows) and head != "Id":
                return _errors(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj}'.")
        if match["field"] and match["op"] == "=":
            wanted = match["value"].strip("'")
            rows = [r for r in rows if str(r.get(match["field"])) == wanted]
        elif match["field"]:
            since = datetime.fromisoformat(match["value"].replace("Z", "+00:00"))
            strict = match["op"] == ">"
            rows = [
                r
                for r in rows
                if (t := datetime.fromisoformat(r[match["field"]])) > since or (not strict and t == since)
            ]
        if match["order"]:
            rows.sort(key=lambda r: (r.get(match["order"]) or "", r["Id"]))
        selected = [self._select(r, fields) for r in rows]
        return self._batch(selected, 0)

    def _more(self, request: Request, locator: str) -> Reply:
        if request.query:
            return _errors(400, "MALFORMED_QUERY", "nextRecordsUrl takes no parameters")
        key, _, start = locator.rpartition("-")
        rows = self.locators.get(key)
        if rows is None:
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._batch(rows, int(start), key)

    def _batch(self, rows: list[dict[str, Any]], start: int, key: str | None = None) -> Reply:
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": start + BATCH >= len(rows),
            "records": rows[start : start + BATCH],
        }
        if not body["done"]:
            key = key or "01g" + secrets.token_hex(6)
            self.locators[key] = rows
            body["nextRecordsUrl"] = f"{API}/query/{key}-{start + BATCH}"
        return Reply(200, body)

    def _select(self, row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": row["attributes"]}
        for name in fields:
            head = name.split(".")[0]
            out[head] = row.get(head)
        return out

    def _deleted(self, request: Request, obj: str) -> Reply:
        start, end = request.arg("start"), request.arg("end")
        if not start or not end:
            return _errors(400, "MISSING_ARGUMENT", "start and end are required")
        try:
            since, until = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (start, end))
        except ValueError:
            return _errors(400, "INVALID_REPLICATION_DATE", "start and end must be ISO 8601 date-times")
        if since < self.clock() - timedelta(days=15):
            return _errors(400, "INVALID_REPLICATION_DATE", "startDate before org replication enabled date")
        gone = [d for d in self.deleted[obj] if since <= datetime.fromisoformat(d["deletedDate"]) <= until]
        covered = until.strftime("%Y-%m-%dT%H:%M:00.000+0000")
        return Reply(
            200,
            {
                "deletedRecords": gone,
                "earliestDateAvailable": "2026-11-01T00:00:00.000+0000",
                "latestDateCovered": covered,
            },
        )

    def _one(self, request: Request, obj: str, ident: str) -> Reply:
        with self.lock:
            row = self.objects[obj].get(ident)
            if row is None:
                return self.not_found(request)
            answer = Reply(200, dict(row), {"ETag": _etag(row)})
            if ident in self.meddle:
                self.meddle.discard(ident)
                row.update(
                    SystemModstamp=_stamp(self.clock().isoformat()), LastModifiedById="005000000000BBB"
                )
        return answer

    def _update(self, request: Request, obj: str, ident: str) -> Reply:
        data = request.json()
        with self.lock:
            row = self.objects[obj].get(ident)
            if row is None:
                return self.not_found(request)
            expected = request.header("If-Match")
            if expected is not None and expected != _etag(row):
                return _errors(
                    412, "PRECONDITION_FAILED", "The record was modified since the ETag was issued."
                )
            if not isinstance(data, dict):
                return _errors(400, "JSON_PARSER_ERROR", "The request body is not a JSON object.")
            owner = data.get("OwnerId")
            if owner is not None and owner not in self.objects["User"]:
                return Reply(
                    400,
                    [
                        {
                            "message": f"Owner ID: id value of incorrect type: {owner}",
                            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
                            "fields": ["OwnerId"],
                        }
                    ],
                )
            unknown = [k for k in data if k not in row]
            if unknown:
                return _errors(
                    400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj}"
                )
            row.update(data)
            row.update(SystemModstamp=_stamp(self.clock().isoformat()), LastModifiedById=INTEGRATION_USER)
        return Reply(204)

    def _create(self, request: Request, obj: str) -> Reply:
        data = request.json()
        if not isinstance(data, dict):
            return _errors(400, "JSON_PARSER_ERROR", "The request body is not a JSON object.")
        with self.lock:
            if obj == "TopicAssignment":
                if data.get("TopicId") not in self.objects["Topic"]:
                    return _errors(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                if any(
                    a["TopicId"] == data["TopicId"] and a["EntityId"] == data.get("EntityId")
                    for a in self.objects["TopicAssignment"].values()
                ):
                    return Reply(
                        400,
                        [
                            {
                                "message": "duplicate value found: TopicId duplicates value on record",
                                "errorCode": "DUPLICATE_VALUE",
                                "fields": [],
                            }
                        ],
                    )
            if obj == "Note":
                for field, limit in (("Title", 80), ("Body", 32000)):
                    if len(str(data.get(field) or "")) > limit:
                        return Reply(
                            400,
                            [
                                {
                                    "message": f"{field}: data value too large (max length={limit})",
                                    "errorCode": "STRING_TOO_LONG",
                                    "fields": [field],
                                }
                            ],
                        )
            prefix = {"Topic": "0TO", "TopicAssignment": "0FT", "Note": "002"}[obj]
            self._serial += 1
            ident = f"{prefix}{self._serial:012d}"
            self.objects[obj][ident] = {"attributes": {"type": obj}, "Id": ident, **data}
        return Reply(201, {"id": ident, "success": True, "errors": []})

    def writes(self) -> int:
        """Requests that could change data (not GET, not the token endpoint)."""
        return sum(1 for method, path, _ in self.requests if method != "GET" and "oauth2" not in path)


def _etag(row: dict[str, Any]) -> str:
    digest = hashlib.sha256(
        f"{row['Id']}{row.get('SystemModstamp')}{row.get('OwnerId')}".encode()
    ).hexdigest()
    return f'"{digest[:32]}--gzip"'


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Salesforce org.")
    parser.add_argument("--port", type=int, default=8769)
    args = parser.parse_args()
    crm = Salesforce()
    crm.instance_url = f"http://127.0.0.1:{args.port}"
    run_forever(crm, args.port, f"client {CLIENT_ID} / {CLIENT_SECRET}")


if __name__ == "__main__":
    main()
