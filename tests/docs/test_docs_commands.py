"""Every ``b24ops …`` command line shown in a code block of the docs is one the CLI accepts.

Two checks per line: the real parser of the command accepts the whole line (command names, options,
dates, enum values, required options) without running it, and ``b24ops <command> --help`` of each
distinct (sub)command exits 0 in a subprocess, the way a reader would try it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest
import typer.main

from orchestration.cli import app
from orchestration.paths import PROJECT_ROOT

DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md")) + [PROJECT_ROOT / "README.md"]
# Shell blocks only: ```bash (or sh, shell, console); unlabelled blocks show output, not commands.
FENCE = re.compile(r"^```(?:bash|sh|shell|console)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The emulator command hands its arguments to the emulator's own CLI; only its --help is checked.
PASSTHROUGH = {"emulator"}


def command_lines(text: str) -> list[str]:
    """The ``b24ops`` invocations in the fenced shell blocks of a Markdown text, one per command."""
    found = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"\s*(?:&&|\|\|?|;|>)\s*", line.split(" #", 1)[0]):
                # Environment assignments may stand in front of the command; output lines are not shell.
                command = re.sub(r"^(\$ )?([A-Z_][A-Z0-9_]*=\S*\s+)*", "", part.strip())
                if re.match(r"(\S*/)?b24ops(\s|$)", command):
                    found.append(shlex.join(["b24ops", *shlex.split(command, comments=True)[1:]]))
    return found


def documented_lines() -> list[tuple[str, str]]:
    return [
        (path.relative_to(PROJECT_ROOT).as_posix(), line)
        for path in DOCS
        for line in command_lines(path.read_text(encoding="utf-8"))
    ]


def resolve(words: list[str]) -> tuple[list[str], Any, list[str]]:
    """(command path, the CLI command object, the arguments left for it), walking sub-command groups.

    Typer builds on its own copy of click, so groups are recognised by their ``commands`` mapping.
    """
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    args = list(words)
    while getattr(command, "commands", None) and args and not args[0].startswith("-"):
        sub = command.commands.get(args[0])
        assert sub is not None, f"no command {' '.join([*path, args[0]])!r} in b24ops"
        command, path = sub, [*path, args.pop(0)]
    return path, command, args


LINES = documented_lines()


def test_the_docs_show_commands() -> None:
    commands = {tuple(resolve(shlex.split(line)[1:])[0]) for _, line in LINES}
    assert {("demo",), ("check",), ("sync",), ("report",)} <= commands, commands


@pytest.mark.parametrize(("doc", "line"), LINES, ids=[f"{doc}: {line}" for doc, line in LINES])
def test_the_cli_parser_accepts_the_documented_line(doc: str, line: str) -> None:
    path, command, args = resolve(shlex.split(line)[1:])
    assert path, f"{doc}: {line!r} names no command"
    if path[0] in PASSTHROUGH or "--help" in args:
        return
    # make_context parses and validates everything (types, choices, required options) without invoking.
    command.make_context(" ".join(["b24ops", *path]), args)


@pytest.mark.parametrize(
    "path",
    sorted({tuple(resolve(shlex.split(line)[1:])[0]) for _, line in LINES}),
    ids=lambda path: " ".join(path),
)
def test_help_of_each_documented_command_exits_0(path: tuple[str, ...]) -> None:
    argv = [*path, "serve"] if path == ("emulator",) else list(path)
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *argv, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Usage:" in result.stdout
