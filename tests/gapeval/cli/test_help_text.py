"""Every command's ``--help`` is plain text and explains every option."""

from __future__ import annotations

import argparse

from gapeval.cli import build_parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_has_help_and_no_rest_marks():
    undocumented, marked = [], []
    for name, command in _commands().items():
        for action in command._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):  # sub-commands have help
                continue
            if not action.help:
                undocumented.append(f"{name} {action.option_strings or action.dest}")
        if "``" in command.format_help():
            marked.append(name)
    assert undocumented == []
    assert marked == []


def test_the_check_sees_an_option_without_help():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare")
    assert [a.dest for a in parser._actions if not a.help and not isinstance(a, argparse._HelpAction)] == ["bare"]
