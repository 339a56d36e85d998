"""Progress lines in logs: step counts, notes, elapsed time and ETA; throttled batch lines."""

from __future__ import annotations

import re

from genoclass.training.progress import Steps, duration, progress


def test_one_line_per_step_with_elapsed_and_eta_until_the_last(capsys) -> None:
    assert list(progress(["a", "b", "c"], 3, "fold")) == ["a", "b", "c"]
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["fold 1/3", "fold 2/3", "fold 3/3"]
    assert all(re.search(r"elapsed \d+s  ETA \d+s$", line) for line in lines[:2])
    assert "ETA" not in lines[2]  # nothing left to estimate


def test_notes_are_printed_and_frequent_steps_are_throttled(capsys) -> None:
    with Steps(50, "batch", every=3600) as steps:
        for i in range(50):
            steps.step(f"item {i}")
    # one line an hour at most, but the last step always prints
    assert capsys.readouterr().out.splitlines() == ["batch 50/50  item 49  elapsed 0s"]


def test_eta_is_the_mean_step_time_times_the_steps_left() -> None:
    steps = Steps(4, "run")
    steps.done = 1
    assert steps.line("x", elapsed=30.0) == "run 1/4  x  elapsed 30s  ETA 1m30s"


def test_durations_read_as_seconds_minutes_or_hours() -> None:
    assert [duration(s) for s in (0.4, 59.4, 185, 7700)] == ["0s", "59s", "3m05s", "2h08m"]


def test_every_kth_step_prints_and_the_total_can_be_set_late(capsys) -> None:
    with Steps(2, "embed batch", every_steps=20) as steps:
        steps.set_total(45)  # e.g. once the first step has told how many there are
        for _ in range(45):
            steps.step()
    lines = capsys.readouterr().out.splitlines()
    assert [x.split("  ")[0] for x in lines] == [f"embed batch {i}/45" for i in (20, 40, 45)]


def test_epoch_lines_give_the_eta_and_long_epochs_report_their_batches(monkeypatch, capsys):
    from types import SimpleNamespace

    import genoclass.training.progress as progress_module
    from genoclass.training.progress import EpochLines

    clock = iter([0.0, 0.0, 10.0, 20.0, 70.0, 100.0, 100.0, 190.0])
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    trainer = SimpleNamespace(
        current_epoch=0, max_epochs=4, num_training_batches=200, callback_metrics={}
    )
    lines = EpochLines(every=30.0)
    lines.on_train_start(trainer, None)  # t = 0
    lines.on_train_epoch_start(trainer, None)  # t = 0
    lines.on_train_batch_end(trainer, None, None, None, 9)  # t = 10: too soon, silent
    lines.on_train_batch_end(trainer, None, None, None, 19)  # t = 20: silent
    lines.on_train_batch_end(trainer, None, None, None, 49)  # t = 70: 50 of 200 batches
    lines.on_train_epoch_end(trainer, None)  # t = 100: epoch 1 took 100 s, 3 left
    trainer.current_epoch = 1
    lines.on_train_epoch_start(trainer, None)  # t = 100
    lines.on_train_epoch_end(trainer, None)  # t = 190: mean 95 s per epoch, 2 left
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "epoch 1/4  batch 50/200  elapsed 1m10s  ETA 3m30s",
        "epoch 1/4  100.0s  ETA 5m00s",
        "epoch 2/4  90.0s  ETA 3m10s",
    ]
