"""Every setting is documented in docs/configuration.md with its environment variable and default."""

from pathlib import Path

from pydantic import BaseModel

from policykb.settings import Settings

CONFIGURATION_DOC = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")


def _settings_table_rows() -> dict[str, str]:
    rows = {}
    for line in CONFIGURATION_DOC.splitlines():
        if line.startswith("| `POLICYKB_"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1]
    return rows


def _documented_fields():
    """(variable, field) for every setting; nested sections read as POLICYKB_<SECTION>__<NAME>."""
    for name, field in Settings.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            for sub_name, sub_field in field.annotation.model_fields.items():
                if sub_name != "data_dir":  # always the main data directory
                    yield f"POLICYKB_{name.upper()}__{sub_name.upper()}", sub_field
        else:
            yield f"POLICYKB_{name.upper()}", field


def test_every_setting_has_a_documented_row_with_its_default() -> None:
    rows = _settings_table_rows()
    missing = []
    for variable, field in _documented_fields():
        if variable not in rows:
            missing.append(variable)
            continue
        default = field.get_default(call_default_factory=True)
        default = default.value if hasattr(default, "value") else default
        default = "" if default == [] else default
        shown = "" if default is None else str(default)
        assert rows[variable].strip("`") == shown, f"{variable}: docs/configuration.md says {rows[variable]!r}, code says {shown!r}"
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_docs_list_no_setting_that_does_not_exist() -> None:
    known = {variable for variable, _ in _documented_fields()}
    assert set(_settings_table_rows()) <= known
