"""``referee check``: is this record a known customer, who owns it, would it create a conflict?"""

from __future__ import annotations

import json
from typing import Annotated

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
from connector.errors import UsageError


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
) -> None:
    """Look one record up against the customers in the state store (查重), without a full sync.

    The store is filled by `referee sync`; run it once first.

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
        verdict = check(store, candidate, config, parse_now(now, config))
    finally:
        store.close()
    if output is OutputFormat.json:
        print(verdict.model_dump_json(indent=2))
        return
    if not verdict.known:
        stdout.print("New customer: no matching records in the store.")
        return
    stdout.print("[bold red]Conflict:[/bold red] another rep is actively pursuing this customer."
                 if verdict.conflict else "Known customer.")
    for customer in verdict.customers:
        pursued = f"pursued by {', '.join(customer.pursuers)}" if customer.pursued else "not actively pursued"
        stdout.print(f"customer {customer.customer}: owners {', '.join(customer.owners)}; {pursued}; "
                     f"keeper {customer.keeper or 'none'}", markup=False)
        for rec in customer.records:
            stdout.print(f"  {rec.adapter}/{rec.module}/{rec.id} owned by {rec.owner_id}", markup=False)
    for line in verdict.evidence:
        stdout.print(f"  - {line}", highlight=False, markup=False)
