"""Carry a user's edits of a file the template moved into the file's new place.

Run by copier's `_migrations` (stage "after") when a release renames or moves a file:

    _migrations:
      - version: "0.4.0"
        command:
          - "{{ _copier_python }}"
          - "{{ _copier_conf.src_path }}/hooks/migrate_move.py"
          - "--template={{ _copier_conf.src_path }}"
          - "--from={{ _version_from }}"
          - "src/{{ package_name }}/health.py"
          - "src/{{ package_name }}/health/router.py"

Arguments after the options are OLD NEW pairs (paths in the rendered project).

Why it is needed: `copier update` deletes every file the new release no longer renders, edited
or not, and renders the new file fresh; the user's changes to the old file would only survive in
git history. After copier has done that, this script takes:

- the user's version of OLD from the project's last commit (`git show HEAD:OLD`; `copier update`
  needs a clean tree, so HEAD is what the user had);
- the version of OLD the old release rendered (a throwaway render of `--from` with the
  project's previous answers, tasks skipped);
- NEW as the new release rendered it;

and three-way merges the user's changes into NEW (`git merge-file`). A file the user never
touched, or already moved or deleted, is left alone. Overlapping changes leave conflict markers
in NEW and a message, exactly like copier's own conflicts (the project's pre-commit guard stops
them being committed).

Idempotent, offline (the template is the local clone copier already made), standard library
plus copier and PyYAML, which the Python that runs copier always has.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ANSWERS_FILE = ".copier-answers.yml"


def _git(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], capture_output=True, check=check)


def _committed(path: str) -> bytes | None:
    proc = _git("show", f"HEAD:{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None


def _previous_answers() -> dict[str, object]:
    import yaml

    text = _committed(ANSWERS_FILE)
    if text is None:
        raise SystemExit(f"migrate_move: no {ANSWERS_FILE} in the last commit; cannot migrate")
    answers = yaml.safe_load(text) or {}
    return {k: v for k, v in answers.items() if not str(k).startswith("_")}


def _render_old_release(template: str, ref: str, dest: Path) -> None:
    import warnings

    import copier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            template,
            dest,
            data=_previous_answers(),
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            skip_tasks=True,
            unsafe=True,
        )


def migrate(template: str, from_ref: str, pairs: list[tuple[str, str]]) -> int:
    pending = []
    for old, new in pairs:
        mine = _committed(old)
        if mine is None:
            print(f"migrate_move: {old} was not in your last commit; nothing to carry over")
            continue
        pending.append((old, new, mine))
    if not pending:
        return 0
    conflicts = []
    with tempfile.TemporaryDirectory(prefix="migrate-move-") as tmp:
        base_root = Path(tmp, "base")
        _render_old_release(template, from_ref, base_root)
        for old, new, mine in pending:
            base = base_root / old
            old_path, new_path = Path(old), Path(new)
            if base.is_file() and base.read_bytes() == mine:
                # Untouched by the user: copier's own result (NEW fresh, OLD gone) is right.
                old_path.unlink(missing_ok=True)
                continue
            if not new_path.exists():
                new_path.parent.mkdir(parents=True, exist_ok=True)
                new_path.write_bytes(mine)
                print(f"migrate_move: moved your {old} to {new}")
            else:
                if not base.is_file():
                    base = Path(tmp, "empty")
                    base.write_bytes(b"")
                yours = Path(tmp, "yours")
                yours.write_bytes(mine)
                merge = _git(
                    "merge-file",
                    "-L",
                    f"{new} (new template)",
                    "-L",
                    f"{old} (old template)",
                    "-L",
                    f"{old} (your version)",
                    str(new_path),
                    str(base),
                    str(yours),
                    check=False,
                )
                if merge.returncode < 0 or merge.returncode > 127:
                    sys.stderr.write(merge.stderr.decode(errors="replace"))
                    return 1
                if merge.returncode > 0:
                    conflicts.append(new)
                print(f"migrate_move: merged your changes of {old} into {new}")
            old_path.unlink(missing_ok=True)
    if conflicts:
        print(
            "migrate_move: CONFLICTS in " + ", ".join(conflicts) + ": resolve the <<<<<<< "
            "markers, then commit.",
            file=sys.stderr,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", required=True, help="local path of the template (clone)")
    parser.add_argument("--from", dest="from_ref", required=True, help="release updated from")
    parser.add_argument("paths", nargs="+", help="OLD NEW [OLD NEW ...] in the project")
    args = parser.parse_args(argv)
    if len(args.paths) % 2:
        parser.error("paths come in OLD NEW pairs")
    pairs = list(zip(args.paths[::2], args.paths[1::2], strict=True))
    return migrate(args.template, args.from_ref, pairs)


if __name__ == "__main__":
    sys.exit(main())
