"""Docs tested against ``--help``: the command line contract (product.md) and README.md's
commands are what ``xl-league --help`` and each command's ``--help`` offer.

The contract is copied below as :data:`CONTRACT`; when ``../shared/product.md`` is present a
test proves the copy still says what the contract block says. In README.md,
its ``xl-league ...`` lines (code blocks and inline synopses) are checked against each command's
``--help``, and its command line section must document the whole contract.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from xl_league.cli import main

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PRODUCT = REPO.parent / "shared" / "product.md"

#: product.md "Command line contract": command → (arguments, options, choices of options).
CONTRACT: dict[str, tuple[list[str], list[str], dict[str, list[str]]]] = {
    "demo": ([], ["-o", "--scale"], {}),
    "new": (["BOOK.xlsx"], [], {}),
    "import-nhse": (["CSV..."], ["-o", "--quarter", "--scores"],
                    {"--scores": ["published", "raw"]}),
    "recalc": (["BOOK.xlsx"], ["-o", "--cutoffs", "--replicates", "--seed"], {}),
    "check": (["BOOK.xlsx"], [], {}),
    "table": (["BOOK.xlsx"], ["--type", "--format"],
              {"--type": ["acute", "non-acute", "ambulance", "icb"],
               "--format": ["text", "csv", "json"]}),
    "packs": (["BOOK.xlsx"], ["-o"], {}),
    "compare": (["OLD", "NEW"], ["--format"], {}),
    "history": (["BOOK..."], ["-o", "--format"], {"--format": ["text", "csv", "json"]}),
}
#: Options the project promises beyond the contract's synopsis lines ("extend, don't break").
EXTENSIONS = {"new": ["--force"], "import-nhse": ["--cutoffs"],
              "table": ["--cutoffs", "--replicates", "--seed"], "packs": ["--org", "--cutoffs"]}
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def help_text(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": None, "FORCE_COLOR": None}).invoke(
        main, [*args, "--help"], prog_name="xl-league", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def help_options(text: str) -> set[str]:
    """Every option named in the Options section of a --help text."""
    section = text.split("\nOptions:\n", 1)[1]
    return set(_OPTION.findall(section))


def help_choices(text: str) -> dict[str, list[str]]:
    return {opt: choices.split("|")
            for opt, choices in re.findall(r"(--[\w-]+) \[([\w|-]+)\]", text)}


def help_arguments(text: str) -> list[str]:
    """The positional arguments of the Usage line (after [OPTIONS])."""
    usage = text.splitlines()[0]
    return usage.split("[OPTIONS]", 1)[1].split()


def listed_commands(text: str) -> dict[str, str]:
    """The Commands section of ``xl-league --help``: name → one-line description."""
    section = text.split("\nCommands:\n", 1)[1]
    out = {}
    for line in section.splitlines():
        if line.startswith("  ") and line.strip():
            name, _, description = line.strip().partition(" ")
            out[name] = description.strip()
    return out


def parse_synopsis(line: str) -> tuple[str, list[str], list[str], dict[str, list[str]]]:
    """``xl-league recalc BOOK.xlsx [-o OUT.xlsx] ...  description`` → its parts."""
    synopsis = re.split(r"\s{2,}", line.strip())[0]
    words = shlex.split(synopsis.replace("[", " ").replace("]", " "))
    assert words[0] == "xl-league", line
    command, rest = words[1], words[2:]
    args: list[str] = []
    options: list[str] = []
    choices: dict[str, list[str]] = {}
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("-"):
            options.append(word)
            if i + 1 < len(rest) and not rest[i + 1].startswith("-"):
                if "|" in rest[i + 1]:
                    choices[word] = rest[i + 1].split("|")
                i += 1
        else:
            args.append(word)
        i += 1
    return command, args, options, choices


def _stem(argument: str) -> tuple[bool, str]:
    """BOOK.xlsx → (False, "BOOK"); CSV... → (True, "CSV"): variadic or not, and the name."""
    variadic = argument.endswith("...")
    return variadic, argument.removesuffix("...").split(".")[0].rstrip("S")


# --------------------------------------------------------------------------- the contract

def test_main_help_lists_every_contract_command_with_a_summary():
    commands = listed_commands(help_text())
    for name in CONTRACT:
        assert name in commands, f"xl-league --help does not list {name}"
        assert commands[name], f"{name} has no one-line description"


def test_short_help_option_is_the_same_help():
    result = CliRunner().invoke(main, ["table", "-h"], prog_name="xl-league")
    assert result.exit_code == 0
    assert result.stdout == help_text("table")


@pytest.mark.parametrize("command", list(CONTRACT))
def test_command_help_offers_the_contract(command):
    text = help_text(command)
    args, options, choices = CONTRACT[command]
    assert text.startswith(f"Usage: xl-league {command} [OPTIONS]")
    assert [_stem(a) for a in help_arguments(text)] == [_stem(a) for a in args]
    offered = help_options(text)
    missing = set(options + EXTENSIONS.get(command, [])) - offered
    assert not missing, f"xl-league {command} --help lacks {sorted(missing)}"
    for option, allowed in choices.items():
        assert help_choices(text)[option] == allowed


def test_contract_copy_matches_product_md():
    if not PRODUCT.exists():
        pytest.skip(f"{PRODUCT} is not beside the repository; the copy in this file is used")
    text = PRODUCT.read_text(encoding="utf-8")
    block = text.split("## Command line contract", 1)[1].split("```", 2)[1]
    parsed = {}
    for line in block.splitlines():
        if line.startswith("xl-league "):
            command, args, options, choices = parse_synopsis(line)
            if command in parsed:  # a second synopsis of the same command adds to the first
                had_args, had_options, had_choices = parsed[command]
                args = had_args or args
                options = had_options + [o for o in options if o not in had_options]
                choices = {**had_choices, **choices}
            parsed[command] = (args, options, choices)
    assert parsed == CONTRACT
    header = re.search(r"header, exactly:\s*`([^`]+)`", text).group(1)
    from xl_league.engine import LEAGUE_CSV_COLUMNS
    assert header == ",".join(LEAGUE_CSV_COLUMNS)


# --------------------------------------------------------------------------- README.md

def _readme() -> str:
    return README.read_text(encoding="utf-8")


def readme_synopses() -> list[str]:
    """Every inline `xl-league ...` of README.md, markdown table escapes undone."""
    return [m.replace("\\|", "|") for m in re.findall(r"`(xl-league [^`]+)`", _readme())]


def readme_examples() -> list[str]:
    """Every xl-league command line in README.md's code blocks, without trailing comments."""
    found = []
    for block in re.findall(r"```[\w-]*\n(.*?)```", _readme(), flags=re.DOTALL):
        for line in block.splitlines():
            line = re.split(r"\s#\s", line)[0]
            found += [m.strip() for m in re.findall(r"(?<![\w-])(xl-league[ \t]+[^&|;]+)", line)]
    return found


def check_against_help(line: str, *, full: bool) -> None:
    """The command exists and every option (and choice list) ``line`` names is in its help;
    with ``full``, its arguments are the Usage line's too."""
    command, args, options, choices = parse_synopsis(line)
    assert command in listed_commands(help_text()), f"README.md: {line!r}: no such command"
    text = help_text(command)
    unknown = {o.split("=")[0] for o in options} - help_options(text)
    assert not unknown, f"README.md: {line!r} uses {sorted(unknown)}, not in --help"
    for option, allowed in choices.items():
        assert help_choices(text).get(option) == allowed, f"README.md: {line!r}: {option}"
    if full:
        assert [_stem(a) for a in help_arguments(text)] == [_stem(a) for a in args], line


def test_readme_examples_are_real_commands():
    examples = readme_examples()
    assert any(e.startswith("xl-league demo") for e in examples), examples
    for line in examples:
        check_against_help(line, full=False)


def test_readme_synopses_match_help():
    synopses = [s for s in readme_synopses() if not s.split()[1].isupper()]  # not COMMAND
    assert synopses, "README.md shows no xl-league synopsis"
    for line in synopses:  # arguments are compared where the line gives them
        check_against_help(line, full=bool(parse_synopsis(line)[1]))


def test_readme_commands_section_documents_the_contract():
    text = _readme()
    heading = re.search(r"^(#+) .*\bcommand\b.*$", text, flags=re.IGNORECASE | re.MULTILINE)
    assert heading is not None, "README.md has no command line section"
    level = len(heading.group(1))
    rest = text[heading.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    section = rest[:end.start()] if end else rest
    documented = {}
    for line in re.findall(r"`(xl-league [^`]+)`", section):
        command, args, options, choices = parse_synopsis(line.replace("\\|", "|"))
        if not command.isupper():  # not a placeholder: `xl-league COMMAND --help`
            documented.setdefault(command, (args, options, choices))
    assert set(CONTRACT) <= set(documented), f"{heading.group(0)} lacks contract commands"
    assert set(documented) <= set(listed_commands(help_text()))
    for command, (args, options, choices) in CONTRACT.items():
        doc_args, doc_options, doc_choices = documented[command]
        assert doc_args == args, command
        assert set(options) <= set(doc_options), command
        assert doc_choices == choices, command
