"""Discoverable options: every default in --help, no study codes, shell completion,
--out - for tables, --data as predict's input flag."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from genoclass.cli import build_parser, main

#: options that say nothing about a default because they have none to say
NO_DEFAULT = {"help", "version", "debug"}


def subcommands(parser: argparse.ArgumentParser, name: str = "genoclass"):
    """Every (command name, parser) pair, nested subcommands included."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from subcommands(sub, f"{name} {sub_name}")


def option_help(help_text: str, option: str) -> str:
    """The help paragraph of ``option`` in a formatted --help (up to the next option)."""
    start = re.search(rf"^  {re.escape(option)}\b.*$", help_text, re.M)
    assert start, f"{option} missing from help"
    rest = help_text[start.start() :].split("\n")
    lines = [rest[0]]
    for line in rest[1:]:
        if re.match(r"^  -|^\S", line):
            break
        lines.append(line)
    return " ".join(" ".join(lines).split())


def test_every_option_of_every_command_shows_its_default_or_that_it_is_required():
    for name, parser in subcommands(build_parser()):
        text = parser.format_help()
        for action in parser._actions:
            if not action.option_strings or action.dest in NO_DEFAULT or action.required:
                continue
            described = option_help(text, action.option_strings[0])
            assert "default" in described or "required" in described, f"{name}: {described}"


def test_train_help_shows_the_config_defaults():
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "training epochs (default: 10)" in " ".join(text.split())
    assert "--batch-size BATCH_SIZE sequences per training batch (default: 64)" in " ".join(
        text.split()
    )
    assert "(default: fast_accurate_cnn)" in text


def test_no_study_codes_in_help_or_model_list(capsys):
    for name, parser in subcommands(build_parser()):
        assert not re.search(r"\bS[0-4]\b", parser.format_help()), name
    assert main(["models"]) == 0
    assert not re.search(r"\bS[0-4]\b", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("genoclass tr", "train"),
        ("genoclass train --thr", "--threads"),
        ("genoclass pre", "predict"),
    ],
)
def test_shell_completion_offers_commands_and_options(tmp_path, line, expected):
    """A real completion request as the shell code of `genoclass completion` makes it."""
    answer = tmp_path / "completions"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    code = "import sys; from genoclass.cli import main; sys.exit(main())"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert expected in [word.strip() for word in answer.read_text().split("\n")]


def test_completion_prints_shell_code(capsys):
    assert main(["completion", "bash"]) == 0
    assert "complete" in capsys.readouterr().out


def test_predict_to_stdout_equals_the_file_and_data_is_the_input_flag(tiny_demo, tmp_path, capsys):
    run, data = tiny_demo
    written = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(run), "--data", str(data), "--out", str(written)]) == 0
    capsys.readouterr()
    assert main(["predict", "--model", str(run), "--input", str(data), "--out", "-"]) == 0
    captured = capsys.readouterr()
    printed = pd.read_csv(io.StringIO(captured.out))
    pd.testing.assert_frame_equal(printed, pd.read_csv(written))
    assert "predictions written to stdout" in captured.err


def test_evaluate_to_stdout_prints_the_json_it_would_write(tiny_demo, tmp_path, capsys):
    run, data = tiny_demo
    assert main(["evaluate", "--model", str(run), "--data", str(data), "--out", "-"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["n"] == 800 and 0.5 < result["metrics"]["accuracy"] <= 1
    # the summary table goes to stderr: accuracy with its bootstrap interval
    assert re.search(rf"accuracy +{result['metrics']['accuracy']:.3f}  \[", captured.err)


def test_train_without_model_says_which_model_it_trains(tmp_path, capsys):
    from genoclass.data.synthetic import demo_sequences

    data = tmp_path / "demo.csv"
    demo_sequences(seed=1, n_per_class=40, length=30).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--epochs", "1", "--batch-size", "8"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("model: fast_accurate_cnn (the default; `genoclass models` lists")
    config = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert config["model"] == "fast_accurate_cnn"
