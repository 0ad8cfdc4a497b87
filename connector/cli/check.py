"""``referee check``: is this record a known customer, who owns it, would it create a conflict?"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from connector.cli.common import (
    ConfigOption,
    NowOption,
    handle_errors,
    open_config,
    open_store,
    parse_now,
    stdout,
)
from connector.cli.sync import FormatOption, OutputFormat
from connector.errors import StateError, UsageError

if TYPE_CHECKING:
    from connector.config import Config
    from connector.identity_index import CheckVerdict
    from connector.store import Store

CONFLICT_EXIT = 5
"""``--fail-on-conflict``: the customer is actively pursued by another rep (hook scripts stop here)."""


@handle_errors
def check_command(
    config_path: ConfigOption,
    record: Annotated[
        str,
        typer.Option(
            "--record", "-r", help='The candidate as JSON in domain field names, e.g. \'{"company": "…", "email": "…"}\'.'
        ),
    ],
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    fail_on_conflict: Annotated[
        bool,
        typer.Option(
            "--fail-on-conflict",
            help=f"Exit {CONFLICT_EXIT} when another rep actively pursues the customer (for before-create hooks).",
        ),
    ] = False,
) -> None:
    """Look one record up against the customers in the state store (查重), without a full sync.

    The store is filled by `referee sync`; on a store that holds no records yet, check exits 1
    instead of calling everything new. With --fail-on-conflict, a conflict exits 5.

    Example: referee check -c config.toml --record '{"company": "字节跳动科技", "phone": "13800138000"}'
    """
    from connector.identity_index import check

    try:
        candidate = json.loads(record)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--record is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(candidate, dict):
        raise UsageError('--record must be a JSON object, e.g. \'{"email": "a@acme.com"}\'')
    config = open_config(config_path)
    store = open_store(config)
    try:
        _require_synced(store, config, candidate)
        verdict = check(store, candidate, config, parse_now(now, config))
    finally:
        store.close()
    if output is OutputFormat.json:
        print(verdict.model_dump_json(indent=2))
    else:
        _print_verdict(verdict)
    if fail_on_conflict and verdict.conflict:
        raise typer.Exit(CONFLICT_EXIT)


def _require_synced(store: Store, config: Config, candidate: dict[str, Any]) -> None:
    """A store with no records of the adapters would answer "new customer" to everything: refuse."""
    named = candidate.get("adapter")
    adapters = [str(named)] if isinstance(named, str) and named in config.adapters else list(config.adapters)
    if not adapters:
        raise StateError("no adapters are configured, so the store can hold no customers to check against "
                         "(add an [adapters.<name>] section and run referee sync)")
    if not any(store.count_records(name) for name in adapters):
        raise StateError(
            f"the state store holds no records of {', '.join(adapters)} yet, so every candidate would look new; "
            f"run referee sync -c {config.source or 'FILE'} once first"
        )


def _print_verdict(verdict: CheckVerdict) -> None:
    if not verdict.known:
        stdout.print("New customer: no matching records in the store.")
        return
    stdout.print("[bold red]Conflict:[/bold red] another rep is actively pursuing this customer."
                 if verdict.conflict else "Known customer.")
    for customer in verdict.customers:
        pursued = f"pursued by {', '.join(customer.pursuers)}" if customer.pursued else "not actively pursued"
        stdout.print(f"customer {customer.customer}: owners {', '.join(customer.owners)}; {pursued}; "
                     f"keeper {customer.keeper or 'none'}", markup=False, highlight=False)
        for rec in customer.records:
            stdout.print(f"  {rec.adapter}/{rec.module}/{rec.id} owned by {rec.owner_id}", markup=False, highlight=False)
    for line in verdict.evidence:
        stdout.print(f"  - {line}", highlight=False, markup=False)
