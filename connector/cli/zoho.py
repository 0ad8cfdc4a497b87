"""``referee zoho``: one-time Zoho setup (``auth``) and change notifications (``watch``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from connector.cli.common import ConfigOption, handle_errors, open_store, stdout
from connector.errors import UsageError

if TYPE_CHECKING:
    from adapters.zoho.config import ZohoAdapterConfig
    from connector.config import Config

zoho_app = typer.Typer(
    help="Zoho CRM setup: exchange a grant code for a refresh token, enable change notifications.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

AdapterOption = Annotated[
    str | None,
    typer.Option("--adapter", "-a", help="Which [adapters.<name>] to use (default: the only zoho adapter)."),
]


class _LenientEnviron(Mapping[str, str]):
    """``os.environ`` where unset variables read as "" so ``auth`` works before the token exists."""

    def __getitem__(self, key: str) -> str:
        return os.environ.get(key, "")

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def _pick(config: Config, name: str | None) -> tuple[str, ZohoAdapterConfig]:
    """The named zoho adapter's section, or the only one configured."""
    from adapters.zoho.config import ZohoAdapterConfig

    sections = {n: a for n, a in config.adapters.items() if isinstance(a, ZohoAdapterConfig)}
    names = list(sections)
    if name is not None:
        if name not in sections:
            raise UsageError(f'no zoho adapter named "{name}" (zoho adapters: {", ".join(names) or "none"})')
        return name, sections[name]
    if not names:
        raise UsageError(
            'no zoho adapter is configured (add an [adapters.<name>] section with kind = "zoho")'
        )
    if len(names) > 1:
        raise UsageError(
            f"{len(names)} zoho adapters are configured; choose one with --adapter ({', '.join(names)})"
        )
    return names[0], sections[names[0]]


@zoho_app.command("auth")
@handle_errors
def auth_command(
    config_path: ConfigOption,
    grant_token: Annotated[
        str,
        typer.Option("--grant-token", help="Code from api-console.zoho.com → Self Client → Generate Code."),
    ],
    adapter: AdapterOption = None,
) -> None:
    """Exchange a self-client grant code for a refresh token and print how to store it.

    Example: referee zoho auth -c config.toml --grant-token 1000.xxxx.yyyy
    """
    from adapters.zoho.adapter import ZohoAdapter
    from connector.config import load_config

    config = load_config(config_path, environ=_LenientEnviron())
    name, section = _pick(config, adapter)
    if not section.client_id.get_secret_value() or not section.client_secret.get_secret_value():
        raise UsageError(f"adapters.{name}: client_id and client_secret must be set (export them first)")
    store = open_store(config)
    try:
        zoho = ZohoAdapter(name, section, store=store, default_tz=config.referee.timezone)
        refresh_token, token = zoho.tokens.exchange_grant(grant_token)
    finally:
        store.close()
    stdout.print(
        f"Zoho refresh token for adapter {name} (API domain {token.api_domain}).\n"
        "Keep it secret: put it in your secret manager or the job's environment, e.g.\n\n"
        f"  export ZOHO_REFRESH_TOKEN='{refresh_token}'\n\n"
        f'and reference it in the config: refresh_token = "${{ZOHO_REFRESH_TOKEN}}".\n'
        "It does not expire until revoked; it is not written anywhere else.",
        highlight=False,
        markup=False,
    )


@zoho_app.command("watch")
@handle_errors
def watch_command(
    config_path: ConfigOption,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Public https URL of `referee serve` (…/webhooks/zoho).",
            show_default="the URL of the channel enabled before",
        ),
    ] = None,
    adapter: AdapterOption = None,
) -> None:
    """Enable Zoho change notifications for the configured modules (renewed by every `sync`).

    Run it again (without --url) to re-create a channel Zoho dropped: the old one is
    unsubscribed and a new one, with a new token, is enabled for the same URL.

    Example: referee zoho watch -c config.toml --url https://referee.example.com/webhooks/zoho
    """
    from adapters.zoho.adapter import ZohoAdapter
    from adapters.zoho.watch import enable_watch
    from connector.config import load_config

    config = load_config(config_path)
    name, section = _pick(config, adapter)
    store = open_store(config)
    try:
        zoho = ZohoAdapter(name, section, store=store, default_tz=config.referee.timezone)
        channel = enable_watch(zoho, store, url, datetime.now(UTC))
    finally:
        store.close()
    stdout.print(
        f"Notifications enabled for {', '.join(channel.events)}\n"
        f"channel {channel.channel_id} → {channel.notify_url}, expires {channel.expires_at}\n"
        "`referee sync` renews the channel a day before it expires; "
        "the verification token is kept in the state store.",
        highlight=False,
        markup=False,
    )
