"""Results as JSON, a Markdown table (what the README shows) and, with matplotlib, a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LABELS = {
    "getProject": "GET /projects/{id}",
    "listProjects": "GET /projects?limit=20",
    "createProject": "POST /projects",
}


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(
    meta: Mapping[str, Any],
    cells: Sequence[Mapping[str, Any]],
    goals: Mapping[str, float],
    p99_max: float,
) -> str:
    lines = [
        "| flavour | processes | endpoint | conns | req/s | p50 ms | p99 ms | p99/p50 | non-2xx "
        "| pgbench TPS | service/pgbench |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        lines.append(
            f"| {c['flavour']} | {c['workers']} | {LABELS.get(c['endpoint'], c['endpoint'])} "
            f"| {c['connections']} | {_num(c['rps'])} | {_num(c['p50_ms'], 1)} "
            f"| {_num(c['p99_ms'], 1)} | {_num(c['p99_over_p50'], 1)} | {c['non_2xx']} "
            f"| {_num(c['pgbench_tps'])} | {_num(100 * c['ratio'] if c['ratio'] else None, 1)} % |"
        )
    lines.append("")
    lines.append(
        f"Medians of {cells[0]['rounds'] if cells else 0} rounds; "
        f"PostgreSQL {str(meta.get('postgres', '?')).removeprefix('initdb (PostgreSQL) ')}, "
        f"{str(meta.get('wrk', '?')).split(' [')[0]}, {meta.get('pgbench', '?')}, "
        f"{meta['machine']['cpus']} CPUs, load average before/after "
        f"{meta['machine']['load_before'][0]:.2f}/{meta['machine'].get('load_after', [0])[0]:.2f}."
    )
    for verdict in verdicts(cells, goals, p99_max):
        lines.append(f"- {verdict}")
    lines += login_flood_table(meta)
    lines += baseline_table(cells)
    return "\n".join(lines) + "\n"


def login_flood_table(meta: Mapping[str, Any]) -> list[str]:
    floods = [
        flood
        for flavour in meta.get("flavours", {}).values()
        for flood in flavour.get("login_flood", [])
    ]
    if not floods:
        return []
    lines = [
        "",
        "Hot read (GET /projects/{id}) alone and during a login flood:",
        "",
        "| flavour | processes | readers | flood clients | p50 alone ms | p50 during ms "
        "| p50 factor | p99 alone ms | p99 during ms | logins/s | login non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in floods:
        alone, during, logins = f["read_alone"], f["read_during_flood"], f["logins"]
        lines.append(
            f"| {f['flavour']} | {f['workers']} | {f['readers']} | {f['flood_connections']} "
            f"| {_num(alone['p50_ms'], 1)} | {_num(during['p50_ms'], 1)} "
            f"| {_num(f['p50_factor'], 1)} | {_num(alone['p99_ms'], 1)} "
            f"| {_num(during['p99_ms'], 1)} | {_num(logins['rps'])} | {logins['non_2xx']} |"
        )
    return lines


def baseline_table(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """After/before ratios for every cell measured for a flavour and its baseline (name@ref)."""
    by_key = {(c["flavour"], c["workers"], c["endpoint"], c["connections"]): c for c in cells}
    lines = []
    for (flavour, workers, endpoint, conns), before in by_key.items():
        if "@" not in flavour:
            continue
        after = by_key.get((flavour.split("@")[0], workers, endpoint, conns))
        if after is None:
            continue
        if not lines:
            lines = [
                "",
                "After / before, measured in this run (above 1.00 is faster for req/s):",
                "",
                "| flavour | processes | endpoint | conns | req/s before | req/s after | ratio "
                "| p50 ms before | p50 ms after |",
                "|---|---:|---|---:|---:|---:|---:|---:|---:|",
            ]
        lines.append(
            f"| {after['flavour']} vs {flavour} | {workers} | {LABELS.get(endpoint, endpoint)} "
            f"| {conns} | {_num(before['rps'])} | {_num(after['rps'])} "
            f"| {after['rps'] / before['rps']:.2f} | {_num(before['p50_ms'], 1)} "
            f"| {_num(after['p50_ms'], 1)} |"
        )
    return lines


def verdicts(
    cells: Sequence[Mapping[str, Any]], goals: Mapping[str, float], p99_max: float
) -> list[str]:
    out = []
    for c in cells:
        where = f"{c['flavour']} {c['workers']}w {LABELS.get(c['endpoint'])} c={c['connections']}"
        goal = goals.get(c["flavour"])
        if c["endpoint"] == "getProject" and goal is not None and c["ratio"] is not None:
            met = "met" if c["ratio"] >= goal else "MISSED"
            out.append(f"{where}: hot read at {c['ratio']:.1%} of pgbench (goal {goal:.0%}): {met}")
        if c["p99_over_p50"] is not None and c["p99_over_p50"] > p99_max:
            out.append(
                f"{where}: p99 is {c['p99_over_p50']:.1f} x p50 (goal <= {p99_max:g}): MISSED"
            )
        if c["non_2xx"] or c["socket_errors"]:
            failures = f"{c['non_2xx']} non-2xx responses, {c['socket_errors']} socket errors"
            out.append(f"{where}: {failures}: MISSED")
    return out


def chart(path: Path, cells: Sequence[Mapping[str, Any]]) -> bool:
    """Requests/s next to pgbench TPS per endpoint and concurrency; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels = [
        f"{c['flavour']} {c['workers']}w\n{LABELS.get(c['endpoint'])}\nc={c['connections']}"
        for c in cells
    ]
    positions = range(len(cells))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(cells)), 4.5))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions], [c["rps"] for c in cells], width, label="service req/s"
    )
    ax.bar(
        [p + width / 2 for p in positions],
        [c["pgbench_tps"] or 0 for c in cells],
        width,
        label="pgbench TPS, same statements",
    )
    for p, c in zip(positions, cells, strict=True):
        if c["ratio"]:
            ax.annotate(
                f"{c['ratio']:.0%}", (p - width / 2, c["rps"]), ha="center", va="bottom", fontsize=8
            )
    ax.set_xticks(list(positions), labels, fontsize=7)
    ax.set_ylabel("per second")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("Service throughput against PostgreSQL's ceiling (pgbench)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(
    out: Path,
    stamp: str,
    meta: Mapping[str, Any],
    cells: Sequence[Mapping[str, Any]],
    goals: Mapping[str, float],
    p99_max: float,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stamp}.json"
    json_path.write_text(json.dumps({"meta": meta, "cells": cells}, indent=2, default=str) + "\n")
    md_path = out / f"{stamp}.md"
    md_path.write_text(markdown(meta, cells, goals, p99_max))
    written = [json_path, md_path]
    png_path = out / f"{stamp}.png"
    if chart(png_path, cells):
        written.append(png_path)
    return written


def main(argv: Sequence[str]) -> int:
    """`python -m bench.report <results.json>`: the Markdown table and chart of an earlier run."""
    from .run import GOALS, P99_OVER_P50_MAX

    for name in argv:
        path = Path(name)
        data = json.loads(path.read_text())
        print(markdown(data["meta"], data["cells"], GOALS, P99_OVER_P50_MAX))
        if chart(path.with_suffix(".png"), data["cells"]):
            print(f"wrote {path.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
