"""Print the configuration table from the Settings class (paste it into
docs/configuration.md; tests/test_docs.py fails when the two differ)."""

from __future__ import annotations

from specqa.core.settings import Settings


def rows() -> list[str]:
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        choices = getattr(field.validation_alias, "choices", None)
        names = [c for c in choices or [] if isinstance(c, str) and c.isupper()]
        variable = " / ".join(f"`{n}`" for n in names) if names else f"`SPECQA_{name.upper()}`"
        if field.default_factory is not None:
            default = "(empty)"
        elif field.default is None:
            default = "(unset)"
        else:
            default = f"`{field.default}`" if str(field.default) else "(empty)"
        lines.append(f"| {variable} | {default} | {field.description} |")
    return lines


if __name__ == "__main__":
    print("\n".join(rows()))
