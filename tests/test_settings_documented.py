"""Every setting is documented in the README with its environment variable and default."""

from pathlib import Path

from policykb.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _settings_table_rows() -> dict[str, str]:
    rows = {}
    for line in README.splitlines():
        if line.startswith("| `POLICYKB_"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_every_setting_has_a_readme_row_with_its_default() -> None:
    rows = _settings_table_rows()
    missing = []
    for name, field in Settings.model_fields.items():
        variable = f"POLICYKB_{name.upper()}"
        if variable not in rows:
            missing.append(variable)
            continue
        default = field.default.value if hasattr(field.default, "value") else field.default
        shown = "" if default is None else str(default)
        assert rows[variable].strip("`") == shown, f"{variable}: README says {rows[variable]!r}, code says {shown!r}"
    assert not missing, f"settings missing from README: {missing}"


def test_readme_lists_no_setting_that_does_not_exist() -> None:
    known = {f"POLICYKB_{name.upper()}" for name in Settings.model_fields}
    assert set(_settings_table_rows()) <= known
