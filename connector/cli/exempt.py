"""``referee exempt add/list/remove``: tell the rules what people decided is no conflict."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from connector.cli.common import ConfigOption, handle_errors, open_config, open_store, stdout
from connector.errors import UsageError

exempt_app = typer.Typer(
    help="Exemptions: records that are not the same customer, or a customer two reps may pursue together.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@exempt_app.command("add")
@handle_errors
def add_command(
    first: Annotated[str, typer.Argument(help="A record (adapter/Module/id), or a rep's user id with --customer.")],
    second: Annotated[str, typer.Argument(help="The other record, or the other rep.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown in evidence and in exempt list).")],
    config_path: ConfigOption,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="A record of the customer the two reps (FIRST, SECOND) may co-pursue."),
    ] = None,
) -> None:
    """Exempt two records (not the same customer), or two reps on one customer (--customer).

    Example: referee exempt add crm/Leads/L-1 crm/Leads/L-2 --reason "two branches of one group" -c config.toml
    """
    from connector.exemptions import make_exemption, parse_ref

    if not reason.strip():
        raise UsageError("--reason must say why (it is shown next to the exemption)")
    config = open_config(config_path)
    adapters = list(config.adapters)
    if customer is None:
        refs = [parse_ref(first, adapters), parse_ref(second, adapters)]
        if refs[0] == refs[1]:
            raise UsageError("name two different records")
        exemption = make_exemption("not-same", refs, (), reason.strip())
    else:
        if first == second:
            raise UsageError("name two different reps")
        exemption = make_exemption("co-pursue", [parse_ref(customer, adapters)], (first, second), reason.strip())
    store = open_store(config)
    try:
        store.add_exemption(exemption, now=datetime.now(UTC))
    finally:
        store.close()
    stdout.print(f"added {exemption.describe()}", markup=False, highlight=False)


@exempt_app.command("list")
@handle_errors
def list_command(
    config_path: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
) -> None:
    """List exemptions: the stored ones and the config's [[exempt]].

    Example: referee exempt list -c config.toml
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        stored = store.list_exemptions()
    finally:
        store.close()
    listed = [("store", e) for e in stored] + [("config", e) for e in config.ruleset().exemptions]
    if as_json:
        print(json.dumps([
            {"id": e.id, "source": source, "kind": e.kind, "records": [str(r) for r in e.records],
             "users": list(e.users), "reason": e.reason}
            for source, e in listed
        ], ensure_ascii=False, indent=2))
        return
    if not listed:
        stdout.print("No exemptions.")
    for source, exemption in listed:
        stdout.print(f"{exemption.describe()} [{source}]", markup=False, highlight=False)


@exempt_app.command("remove")
@handle_errors
def remove_command(
    exemption_id: Annotated[str, typer.Argument(help="The id from exempt list (x-…).")],
    config_path: ConfigOption,
) -> None:
    """Remove a stored exemption (config ones: delete the [[exempt]] entry).

    Example: referee exempt remove x-1a2b3c4d5e -c config.toml
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        removed = store.remove_exemption(exemption_id)
    finally:
        store.close()
    if not removed:
        raise UsageError(f'no stored exemption "{exemption_id}" (see referee exempt list)')
    stdout.print(f"removed {exemption_id}; the next run may flag what it covered again")
