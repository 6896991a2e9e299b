"""docs/velero-users.md against the real CLI (issue 15, brief s3-docs), so the guide cannot drift:
every vbackup command has its section under "Flag by flag"; every flag of a command's --help is in
its table; every flag the vbackup column names exists (in the command or as a global flag); and a
velero flag the guide says vbackup lacks ("—") is really absent from the command's --help."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
CLI = os.environ.get("VBACKUP_CLI", str(ROOT / "build" / "tools" / "vbackup" / "vbackup"))
GUIDE = ROOT / "docs" / "velero-users.md"
FLAG = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def run_help(*command: str) -> str:
    r = subprocess.run([CLI, *command, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def options(help_text: str) -> set:
    """The flags of a CLI11 help's Options block: "  -o,--output TEXT=table", "  --x[=true|false]"."""
    block = help_text.split("\nOptions:\n", 1)[1] if "\nOptions:\n" in help_text else ""
    flags = set()
    for line in block.split("\n"):
        if not line.strip():
            continue
        if not line.startswith(" "):
            break  # the text after the block
        m = re.match(r"^  (-[^\s\[=]+)", line)
        if m:
            flags.update(f for f in m.group(1).split(",") if f.startswith("-"))
    return flags - {"-h", "--help"}


def subcommands(help_text: str) -> list:
    block = help_text.split("\nSubcommands:\n", 1)[1] if "\nSubcommands:\n" in help_text else ""
    names = []
    for line in block.split("\n"):
        m = re.match(r"^  ([a-z][a-z-]*)\s", line)
        if m:
            names.append(m.group(1))
        elif line and not line.startswith(" "):
            break
    return names


def commands() -> list:
    """Every leaf command of the CLI, as ("backup", "create")."""
    out = []
    for top in subcommands(run_help()):
        subs = subcommands(run_help(top))
        out += [(top, s) for s in subs] if subs else [(top,)]
    return out


def is_row(line: str, cells: list) -> bool:
    """A table row of three cells, not the header (velero | vbackup) nor the |---| rule."""
    return line.startswith("|") and len(cells) == 3 and cells[0] != "velero" and not (cells[0] and set(cells[0]) <= set("-"))


def guide_tables() -> dict:
    """{"backup create": [(velero cell, vbackup cell, notes)]} from the "Flag by flag" part."""
    text = GUIDE.read_text()
    part = text.split("\n## Flag by flag\n", 1)[1].split("\n## ", 1)[0]
    tables = {}
    for section in re.split(r"\n### ", part)[1:]:
        title, body = section.split("\n", 1)
        rows = []
        for line in body.split("\n"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if is_row(line, cells):
                rows.append(tuple(cells))
        tables[title.strip()] = rows
    return tables


@pytest.fixture(scope="module")
def tables():
    return guide_tables()


@pytest.fixture(scope="module")
def global_flags():
    return options(run_help())


def test_every_command_has_its_section(tables):
    names = [" ".join(c) for c in commands()]
    assert len(names) >= 25
    assert sorted(set(names) - set(tables)) == [], "commands the guide does not cover"
    assert sorted(set(tables) - set(names)) == [], "sections naming no vbackup command"


@pytest.mark.parametrize("command", [" ".join(c) for c in commands()])
def test_every_flag_of_the_help_is_in_the_guide(command, tables, global_flags):
    rows = tables[command]
    named = {f for _, ours, _ in rows for f in FLAG.findall(ours)}
    have = options(run_help(*command.split()))
    assert sorted(have - named) == [], f"{command}: flags of --help missing from docs/velero-users.md"
    # A flag the vbackup column names exists, in the command or as a global flag.
    assert sorted(named - have - global_flags) == [], f"{command}: flags the guide names that --help lacks"
    for velero, ours, _ in rows:
        if ours == "—":
            lacking = set(FLAG.findall(velero))
            assert lacking, f"{command}: a row with neither flag"
            assert sorted(lacking & have) == [], f"{command}: the guide says vbackup lacks these, but --help has them"


def test_the_global_flags_table(global_flags):
    text = GUIDE.read_text()
    part = text.split("\n## Global flags\n", 1)[1].split("\n## ", 1)[0]
    named = set()
    for line in part.split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if is_row(line, cells):
            named |= set(FLAG.findall(cells[1]))
            if cells[1] == "—":
                assert not set(FLAG.findall(cells[0])) & global_flags
    assert sorted(global_flags - {"--version"} - named) == []
    assert sorted(named - global_flags) == []
