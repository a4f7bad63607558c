"""Command line of scripts/release (see that file for usage)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.releases import (  # noqa: E402
    ReleaseError,
    add_release,
    check_releases,
    load_releases,
    tagged_clone,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/release")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the releases, oldest first")
    commands.add_parser("check", help="releases.toml and CHANGELOG.md agree")
    add = commands.add_parser("add", help="append a release to releases.toml")
    add.add_argument("version")
    add.add_argument("commit", nargs="?", default="HEAD")
    clone = commands.add_parser(
        "clone", help="a clone of the committed history, its releases tagged (to publish)"
    )
    clone.add_argument("dest", type=Path)
    clone.add_argument(
        "--preview",
        action="store_true",
        help="also commit the working tree on top and tag it as the next release, as the "
        "update tests do (never publish such a clone)",
    )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()

    try:
        if args.command == "list":
            info = load_releases(root)
            for release in info.releases:
                print(f"{release.tag:10} {release.commit} {release.date.isoformat()}")
            print(f"next: {info.next}  oldest supported: {info.oldest_supported}")
        elif args.command == "check":
            problems = check_releases(root)
            for problem in problems:
                print(f"release check: {problem}", file=sys.stderr)
            if problems:
                return 1
            print("releases.toml and CHANGELOG.md are consistent")
        elif args.command == "add":
            line = add_release(args.version, args.commit, datetime.now(UTC).date(), root=root)
            print(f"releases.toml: {line}")
            problems = check_releases(root)
            for problem in problems:
                print(f"release check: {problem}", file=sys.stderr)
            return 1 if problems else 0
        elif args.command == "clone":
            if args.dest.exists():
                print(f"{args.dest} exists; pick a new directory", file=sys.stderr)
                return 1
            made = tagged_clone(
                args.dest.resolve(),
                source=root,
                include_worktree=args.preview,
                tag_next=args.preview,
            )
            print(f"{made.path}: tags {' '.join(made.tags())}")
            if made.worktree_committed:
                print(f"top commit {made.head[:12]} holds the uncommitted working tree")
    except ReleaseError as exc:
        print(f"scripts/release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
