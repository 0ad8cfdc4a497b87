"""Run warnings: recorded by adapters, drained once per run, shown in ``/metrics``."""

from __future__ import annotations

from connector.run_warnings import MAX_PER_RUN, RunWarning, WarningLog, drain_warnings
from connector.server.metrics import Metrics


class _Adapter:
    def __init__(self, name: str) -> None:
        self.warnings = WarningLog(name)

    def drain_warnings(self) -> list[RunWarning]:
        return self.warnings.drain()


def test_the_same_warning_twice_is_kept_once_and_a_drain_empties_the_log() -> None:
    zoho, plain = _Adapter("zoho"), object()
    zoho.warnings.add("watch_renewal_failed", "could not renew")
    zoho.warnings.add("watch_renewal_failed", "could not renew")
    zoho.warnings.add("bulk_read_unavailable", "no count scope")
    assert drain_warnings([zoho, plain]) == [
        RunWarning("zoho", "watch_renewal_failed", "could not renew"),
        RunWarning("zoho", "bulk_read_unavailable", "no count scope"),
    ]
    assert drain_warnings([zoho]) == []


def test_a_warning_storm_is_capped() -> None:
    zoho = _Adapter("zoho")
    for i in range(MAX_PER_RUN * 3):
        zoho.warnings.add("x", f"message {i}")
    assert len(drain_warnings([zoho])) == MAX_PER_RUN


def test_json_round_trip() -> None:
    warning = RunWarning("zoho", "watch_channel_expired", "expired at 2025-03-08")
    assert RunWarning.from_json(warning.to_json()) == warning


def test_metrics_count_the_latest_syncs_warnings_by_adapter_and_code() -> None:
    warnings = [
        RunWarning("zoho", "watch_renewal_failed", "a"),
        RunWarning("zoho", "bulk_read_unavailable", "b"),
        RunWarning("eu", "bulk_read_unavailable", "c"),
    ]
    text = Metrics(run_warnings=lambda: warnings).render().decode()
    assert 'referee_last_sync_warnings{adapter="zoho",code="watch_renewal_failed"} 1.0' in text
    assert 'referee_last_sync_warnings{adapter="eu",code="bulk_read_unavailable"} 1.0' in text
    assert "referee_last_sync_warnings{" not in Metrics().render().decode()
