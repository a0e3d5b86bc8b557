"""The TOML config: defaults when absent, and a clear error for every malformed value."""

from __future__ import annotations

import pytest

from caseload.config import load
from caseload.errors import CaseloadError


def test_missing_file_means_defaults(tmp_path):
    cfg = load(tmp_path / "none.toml")
    assert cfg.idle_lock_minutes == 10 and cfg.windows == {} and cfg.holidays == ()


def test_values_are_read(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(
        '[caseload]\ncoordinator_name = "Jordan"\nholidays = ["2026-12-25"]\n'
        "[windows.call]\nbefore = 1\nafter = 5\n"
    )
    cfg = load(f)
    assert (cfg.coordinator_name, cfg.holidays, cfg.windows) == (
        "Jordan",
        ("2026-12-25",),
        {"call": (1, 5)},
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[windows.call]\nbefore = "x"\n', "invalid literal"),
        ("caseload = 5\n", "[caseload] must be a table"),
        ('[caseload]\nholidays = ["2026-13-01"]\n', "month must be in 1..12"),
        ('[caseload]\nholidays = "2026-12-25"\n', "holidays must be a list"),
        ("[windows.visit]\nbefore = 61\n", "from 0 to 60"),
        ("[windows]\ncall = 3\n", "[windows.call] must be a table"),
        ("[caseload]\ndischarge_max_age_days = 0\n", "discharge_max_age_days must be 1 or"),
        ("[due]\noverdue_days = -1\n", "overdue_days must be 0 (all) or more"),
        ("[followups]\nattempts_before_unable = 0\n", "attempts_before_unable must be 1"),
        ("[caseload\n", "could not be read"),
    ],
)
def test_bad_values_are_one_clear_error(tmp_path, text, reason):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(CaseloadError) as err:
        load(f)
    assert str(f) in err.value.message and reason in err.value.message


def test_a_bad_config_is_exit_1_from_the_cli(cli, tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[windows.call]\nbefore = -1\n")
    r = cli("due", env={"CASELOAD_CONFIG": str(f)})
    assert r.exit_code == 1 and r.stderr.startswith(f"caseload: config file {f} has a bad value")
