"""README's configuration table, made from the settings classes (settings.py): a row per
field with its environment variable, its default and its description (the field's
docstring), so that the README cannot say what the code does not.

    python scripts/config_table.py           print the table
    python scripts/config_table.py --write   rewrite it in README.md, between its markers

tests/test_config.py fails when README.md's table differs from what this prints.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from docent.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- the configuration table: `python scripts/config_table.py --write` makes it -->"
END = "<!-- end of the configuration table -->"


def subsystems() -> list[type[BaseSettings]]:
    """The settings classes, in the order `Settings` holds them."""
    return [field.default_factory for field in dataclasses.fields(Settings)]


def variable(settings: type[BaseSettings], name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from: its alias (the first, when it has a
    choice), else the class's prefix and its name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        alias = alias.choices[0]
    if isinstance(alias, str):
        return alias
    return f"{settings.model_config.get('env_prefix', '')}{name}".upper()


def shown(value: Any) -> str:
    """A default as it is written in the environment: `./data`, `false`, `none`, `100`;
    unset, or an empty list."""
    if value is None:
        return "unset"
    if value == []:
        return "empty"
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, Path):
        text = value.as_posix() if value.is_absolute() else f"./{value.as_posix()}"
    elif isinstance(value, list):
        text = ",".join(map(str, value))
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return f"`{text}`"


def rows(classes: Iterable[type[BaseSettings]]) -> list[str]:
    """A Markdown table row per field of `classes`. Raises ValueError for a field without a
    docstring: every setting is described."""
    lines = []
    for settings in classes:
        for name, field in settings.model_fields.items():
            env = variable(settings, name, field)
            if not field.description:
                raise ValueError(
                    f"{env} has no description: give {settings.__name__}.{name} a docstring"
                )
            meaning = " ".join(field.description.split()).replace("|", "\\|")
            lines.append(f"| `{env}` | {shown(field.default)} | {meaning} |")
    return lines


def table() -> str:
    """The whole table, between its markers."""
    head = ["| variable | default | meaning |", "|---|---|---|"]
    return "\n".join([BEGIN, *head, *rows(subsystems()), END])


def section(readme: str) -> str:
    """The table in `readme`, markers included ("" when it has none)."""
    start, end = readme.find(BEGIN), readme.find(END)
    return readme[start : end + len(END)] if 0 <= start < end else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    made = table()
    if not parser.parse_args().write:
        print(made)
        return
    readme = README.read_text(encoding="utf-8")
    current = section(readme)
    if not current:
        raise SystemExit(f"{README} has no configuration table markers ({BEGIN})")
    README.write_text(readme.replace(current, made), encoding="utf-8")


if __name__ == "__main__":
    main()
