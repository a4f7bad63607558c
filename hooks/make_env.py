"""Write .env from .env.example with fresh random secrets.

Run by copier's `_tasks` at copy time, with the rendered project as the working directory
(or pass the project directory as the only argument). Standard library only: it runs on
whatever Python runs copier.

Placeholder convention for .env.example:

- A secret is every key whose name ends in `_SECRET` or `_PASSWORD`. In .env.example its value
  is a placeholder `change-me-<key in lower-case kebab>`, e.g.
  `POSTGRES_PASSWORD=change-me-postgres-password`, `JWT_SECRET=change-me-jwt-secret`.
- In .env each secret gets a fresh random value from `secrets.token_urlsafe` (64 characters
  for `*_SECRET`, 32 for `*_PASSWORD`). The URL-safe alphabet (A-Z a-z 0-9 - _) needs no quoting
  or escaping in URLs, shell, compose interpolation or dotenv files.
- Every other occurrence of a placeholder in a setting (say the password inside
  `DATABASE_URL=postgresql://app:change-me-app-db-password@localhost:5432/app`) gets the same
  value, so the URLs agree with the passwords compose gives PostgreSQL. Keys sharing one
  placeholder share one value.
- A `change-me-...` left in any setting afterwards is a template bug (a URL naming a password
  that no key defines): nothing is written and the task fails, rather than shipping a known
  password.

Idempotent: when .env exists it is left alone (copier also lists it in `_skip_if_exists`).
.env is created with mode 0600.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

PLACEHOLDER_PREFIX = "change-me"
SECRET_SUFFIXES = {"_SECRET": 48, "_PASSWORD": 24}  # token_urlsafe(n bytes) -> ~1.33 n chars

_ASSIGNMENT = re.compile(
    r"^(?P<head>\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*)(?P<raw>.*)$"
)


def _split_value(raw: str) -> tuple[str, str, str]:
    """(quote, value, rest): rest is the closing quote's trailer or an inline comment."""
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        if end > 0:
            return raw[0], raw[1:end], raw[end + 1 :]
    match = re.match(r"(?P<value>.*?)(?P<rest>\s+#.*)?\s*$", raw)
    assert match is not None  # the pattern matches any string
    return "", match.group("value"), match.group("rest") or ""


def _secret_bytes(key: str) -> int | None:
    for suffix, nbytes in SECRET_SUFFIXES.items():
        if key.upper().endswith(suffix):
            return nbytes
    return None


def render_env(example: str) -> tuple[str, list[str]]:
    """The text of .env for the text of .env.example, and the names of the secrets set."""
    lines = example.splitlines(keepends=True)
    values: dict[str, str] = {}  # placeholder -> random value
    secret_keys: list[str] = []
    for line in lines:
        match = _ASSIGNMENT.match(line.rstrip("\r\n"))
        if match is None or line.lstrip().startswith("#"):
            continue
        nbytes = _secret_bytes(match.group("key"))
        if nbytes is None:
            continue
        key = match.group("key")
        secret_keys.append(key)
        _, placeholder, _ = _split_value(match.group("raw"))
        slot = placeholder or f"<empty:{key}>"
        if slot not in values:
            values[slot] = secrets.token_urlsafe(nbytes)

    # Longest first, and whole tokens only, so "change-me-db" never eats "change-me-db-admin".
    substitutable = sorted(
        (p for p in values if p.startswith(PLACEHOLDER_PREFIX)), key=len, reverse=True
    )
    pattern = (
        re.compile(
            r"(?<![A-Za-z0-9_-])(" + "|".join(map(re.escape, substitutable)) + r")(?![A-Za-z0-9_-])"
        )
        if substitutable
        else None
    )

    out: list[str] = []
    leftovers: list[str] = []
    for line in lines:
        body = line.rstrip("\r\n")
        newline = line[len(body) :]
        match = _ASSIGNMENT.match(body)
        if match is None or body.lstrip().startswith("#"):
            out.append(line)
            continue
        quote, value, rest = _split_value(match.group("raw"))
        if _secret_bytes(match.group("key")) is not None:
            value = values[value or f"<empty:{match.group('key')}>"]
        elif pattern is not None:
            value = pattern.sub(lambda m: values[m.group(1)], value)
        if PLACEHOLDER_PREFIX in value:
            leftovers.append(match.group("key"))
        out.append(f"{match.group('head')}{quote}{value}{quote}{rest}{newline}")
    if leftovers:
        raise ValueError(
            f"placeholder '{PLACEHOLDER_PREFIX}-...' left in {', '.join(leftovers)}: every "
            "placeholder must be the value of a *_SECRET or *_PASSWORD key"
        )
    return "".join(out), secret_keys


def make_env(project_dir: Path) -> int:
    env_file = project_dir / ".env"
    example = project_dir / ".env.example"
    if env_file.exists():
        return 0
    if not example.is_file():
        print(f"make_env: {example} not found; no .env written", file=sys.stderr)
        return 0
    try:
        text, keys = render_env(example.read_text(encoding="utf-8"))
    except ValueError as exc:
        print(f"make_env: {example}: {exc}", file=sys.stderr)
        return 1
    try:
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return 0
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    print(f"Wrote .env with fresh random values for {', '.join(keys) or 'no secrets'}.")
    return 0


if __name__ == "__main__":
    sys.exit(make_env(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
