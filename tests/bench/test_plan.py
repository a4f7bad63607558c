"""The order of a benchmark run: with a baseline, the two trees take turns round by round."""

from __future__ import annotations

from pathlib import Path

from bench.release import Release
from bench.run import Options, plan
from tests.contract.flavours import FLAVOURS


def options(rounds: int) -> Options:
    return Options(
        flavours=["fastapi", "go"],
        workers=[2],
        connections=[8, 32],
        duration=6,
        rounds=rounds,
        warmup=2,
        write_scripts=False,
        out=Path("results"),
        keep=False,
        baseline="v0.3.0",
    )


def releases(label: str = "") -> dict[str, Release]:
    return {name: Release(flavour, label=label) for name, flavour in FLAVOURS.items()}


def test_without_a_baseline_each_flavour_runs_every_round_at_once() -> None:
    runs = plan(options(3), releases(), None)

    assert [(release.name, run.rounds, turn) for release, run, turn in runs] == [
        ("fastapi", 3, None),
        ("go", 3, None),
    ]


def test_a_baseline_and_the_current_tree_take_turns_one_round_each() -> None:
    runs = plan(options(3), releases(), releases("v0.3.0"))

    assert [(release.name, turn) for release, _, turn in runs] == [
        ("fastapi@v0.3.0", 1), ("fastapi", 1), ("go@v0.3.0", 1), ("go", 1),
        ("fastapi", 2), ("fastapi@v0.3.0", 2), ("go", 2), ("go@v0.3.0", 2),
        ("fastapi@v0.3.0", 3), ("fastapi", 3), ("go@v0.3.0", 3), ("go", 3),
    ]  # fmt: skip
    assert {run.rounds for _, run, _ in runs} == {1}
    assert [run.login_flood for _, run, turn in runs if turn == 1] == [True] * 4
    assert not any(run.login_flood for _, run, turn in runs if turn != 1)
