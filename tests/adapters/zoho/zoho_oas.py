"""Check captured requests against Zoho's published OpenAPI files (``ZOHO_OAS_DIR``).

For each request: the path must match an operation of that method (literal segments win over
templates, so ``/Leads/deleted`` is not read as ``/Leads/{id}``); every query parameter and custom
header must be declared with a value of the declared type; the JSON body must validate against
the declared request body schema, and no object in it may carry a property its schema does not
declare (unless the schema allows additional properties explicitly).

Zoho's files have a few defects that make any real request fail; ``KNOWN_DEFECTS`` tolerates
exactly those and nothing else, each with the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

STANDARD_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "content-length",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
    }
)
# Request-body schemas that reuse response models mark server-generated fields "required"
# (Notes' ``Note``: Modified_Time, $attachments, Owner…; Tags' ``Tag``: color_code, created_time…).
RESPONSE_ONLY = frozenset(
    {
        "id",
        "Modified_Time",
        "Created_Time",
        "Modified_By",
        "Created_By",
        "Owner",
        "$attachments",
        "$editable",
        "$is_shared_to_client",
        "$size",
        "$state",
        "$voice_note",
        "color_code",
        "created_time",
        "modified_time",
        "created_by",
        "modified_by",
    }
)


# bulk_read.json ``Query`` lists every property as required, though Zoho's docs make them optional:
# ``cvid`` and ``criteria`` narrow the export, ``page`` and ``page_token`` are alternatives (never both),
# and ``file_type`` only admits "ics" (an Events-only calendar export; CSV is the default).
BULK_QUERY_OPTIONAL = frozenset({"cvid", "criteria", "file_type", "page", "page_token"})


def _is_known_defect(error: ValidationError) -> bool:
    """The OAS defects a correct request cannot avoid (see module docstring)."""
    last = error.path[-1] if error.path else None
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        if missing and all(m in RESPONSE_ONLY for m in missing):
            return True
        declared = set(error.schema.get("required", ())) if isinstance(error.schema, dict) else set()
        bulk_query = last == "query" and BULK_QUERY_OPTIONAL - {"page_token"} <= declared
        return bulk_query and bool(missing) and all(m in BULK_QUERY_OPTIONAL for m in missing)
    # notifications.json Notification.notify_url: pattern "www[.][a-z]{5}zoho[.]com" (a sample host)
    if error.validator == "pattern" and last == "notify_url":
        return True
    # notifications.json Notification.channel_id: "type": "object", but Zoho documents a long
    return error.validator == "type" and last == "channel_id"


@dataclass(frozen=True)
class Operation:
    file: str
    template: str
    method: str
    spec: Mapping[str, Any]
    path_params: tuple[Mapping[str, Any], ...]


class OasContract:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.docs = {p.name: json.loads(p.read_text()) for p in sorted(self.folder.glob("*.json"))}

    @cached_property
    def registry(self) -> Registry:
        def retrieve(uri: str) -> Resource:
            path = Path(urlsplit(uri).path)
            return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4)

        registry: Registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
        for name, doc in self.docs.items():
            registry = registry.with_resource(self._uri(name), Resource.from_contents(doc, DRAFT4))
        return registry

    def _uri(self, name: str) -> str:
        return (self.folder / name).as_uri()

    def _resolve(self, file: str, node: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        while "$ref" in node:
            ref = node["$ref"]
            target, _, pointer = ref.partition("#")
            file = Path(target).name if target else file
            node = self.docs[file]
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return file, node

    def operations(self, method: str, path: str) -> list[Operation]:
        segments = path.strip("/").split("/")
        found: list[tuple[int, Operation]] = []
        for file, doc in self.docs.items():
            for template, item in doc.get("paths", {}).items():
                parts = template.strip("/").split("/")
                if len(parts) != len(segments) or method.lower() not in item:
                    continue
                if all(p.startswith("{") or p == s for p, s in zip(parts, segments, strict=True)):
                    literal = sum(not p.startswith("{") for p in parts)
                    op = Operation(
                        file, template, method, item[method.lower()], tuple(item.get("parameters", ()))
                    )
                    found.append((literal, op))
        best = max((n for n, _ in found), default=-1)
        return [op for n, op in found if n == best]

    def validate(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> list[str]:
        parts = urlsplit(url)
        ops = self.operations(method, parts.path)
        if not ops:
            return [f"{method} {parts.path}: no such operation in the OAS files"]
        errors: list[str] = []
        for op in ops:  # a request is valid when any matching operation accepts it
            errors = list(self._check(op, parse_qsl(parts.query, keep_blank_values=True), headers, body))
            if not errors:
                return []
        return errors

    def _check(
        self,
        op: Operation,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes | str | None,
    ) -> Iterator[str]:
        where = f"{op.method} {op.template} ({op.file})"
        params: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in (*op.path_params, *op.spec.get("parameters", ())):
            _, param = self._resolve(op.file, raw)
            params[(param["in"], param["name"].lower())] = param
        sent = {name for name, _ in query}
        for name, value in query:
            param = params.get(("query", name.lower()))
            if param is None:
                yield f"{where}: query parameter {name!r} is not declared"
            else:
                yield from self._scalar(where, f"query {name}", value, param.get("schema", {}))
        for (place, name), param in params.items():
            if place == "query" and param.get("required") and name not in {s.lower() for s in sent}:
                yield f"{where}: required query parameter {name!r} missing"
        for name, value in headers.items():
            if name.lower() in STANDARD_HEADERS:
                continue
            param = params.get(("header", name.lower()))
            if param is None:
                yield f"{where}: header {name!r} is not declared"
            else:
                yield from self._scalar(where, f"header {name}", value, param.get("schema", {}))
        request_body = op.spec.get("requestBody")
        if body in (None, b"", ""):
            if request_body and self._resolve(op.file, request_body)[1].get("required"):
                yield f"{where}: request body is required"
            return
        if not request_body:
            yield f"{where}: sends a body but the operation declares none"
            return
        file, declared = self._resolve(op.file, request_body)
        schema = declared["content"]["application/json"]["schema"]
        instance = json.loads(body)
        if "$ref" in schema:
            target, _, pointer = schema["$ref"].partition("#")
            schema_uri = f"{self._uri(Path(target).name if target else file)}#{pointer}"
            validator = OAS30WriteValidator({"$ref": schema_uri}, registry=self.registry)
        else:  # inline schema: give it the file's base URI so "./users.json#..." refs resolve
            validator = OAS30WriteValidator({**schema, "id": self._uri(file)}, registry=self.registry)
        for error in validator.iter_errors(instance):
            for leaf in _leaves(error):
                if not _is_known_defect(leaf):
                    yield f"{where}: body {'/'.join(map(str, leaf.absolute_path))}: {leaf.message}"
        yield from self._undeclared(where, file, schema, instance, "")

    def _scalar(self, where: str, what: str, value: str, schema: Mapping[str, Any]) -> Iterator[str]:
        kind = schema.get("type")
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            yield f"{where}: {what}={value!r} is not an integer"
        if kind == "boolean" and value not in ("true", "false"):
            yield f"{where}: {what}={value!r} is not a boolean"
        if "enum" in schema and value not in schema["enum"]:
            yield f"{where}: {what}={value!r} is not one of {schema['enum']}"
        if schema.get("format") == "date-time":
            try:
                if datetime.fromisoformat(value).tzinfo is None:
                    yield f"{where}: {what}={value!r} has no UTC offset"
            except ValueError:
                yield f"{where}: {what}={value!r} is not an ISO 8601 date-time"

    def _undeclared(
        self, where: str, file: str, schema: Mapping[str, Any], instance: Any, at: str
    ) -> Iterator[str]:
        file, schema = self._resolve(file, schema)
        if isinstance(instance, dict) and "properties" in schema:
            if schema.get("additionalProperties") is not True:
                for key in instance:
                    if key not in schema["properties"]:
                        yield f"{where}: body {at}/{key} is not declared in the schema"
            for key, value in instance.items():
                if key in schema["properties"]:
                    yield from self._undeclared(where, file, schema["properties"][key], value, f"{at}/{key}")
        elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
            for i, value in enumerate(instance):
                yield from self._undeclared(where, file, schema["items"], value, f"{at}/{i}")


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors (inside oneOf/anyOf pick the branch that got furthest)."""
    if error.context:
        best = max(error.context, key=lambda e: len(e.absolute_path))
        depth = len(best.absolute_path)
        for sub in error.context:
            if len(sub.absolute_path) == depth:
                yield from _leaves(sub)
    else:
        yield error
