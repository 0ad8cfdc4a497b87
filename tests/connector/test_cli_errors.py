"""Errors reach the user as one ``Error:`` line, CRM text printed literally (never as Rich markup)."""

from __future__ import annotations

import pytest
import typer

from connector.cli.common import handle_errors
from connector.errors import QuotaExhaustedError


def test_crm_text_in_an_error_is_not_read_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    @handle_errors
    def command() -> None:
        raise QuotaExhaustedError("zoho: the answer said [bold]24 hour[/bold] limit", crm="zoho")

    with pytest.raises(typer.Exit) as caught:
        command()
    assert caught.value.exit_code == 3
    err = capsys.readouterr().err
    assert err.strip() == "Error: zoho: the answer said [bold]24 hour[/bold] limit"
