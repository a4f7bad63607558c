"""Drive an interactive command (copier's questionary prompts) through a pseudo-terminal.

`Terminal(argv, cwd=...)` spawns the command with pexpect in a wide pseudo-terminal (so messages
do not wrap) and a sane TERM. `screen_text()` is everything printed so far with the terminal's
escape sequences removed (cursor-forward moves become spaces, so words redrawn by
prompt_toolkit's incremental renderer stay apart). `wait_for(*patterns)` waits until one of the
regular expressions appears in the text printed since the last wait, and returns its index.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pexpect

COLUMNS, LINES = 250, 50
_FORWARD = re.compile(r"\x1b\[(\d*)C")
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r")

ENTER = "\r"
DOWN = "\x1b[B"
UP = "\x1b[A"
CLEAR_LINE = "\x15"  # Ctrl-U: delete from the cursor (at the end of the default) to the start


def plain(raw: str) -> str:
    text = _FORWARD.sub(lambda m: " " * int(m.group(1) or 1), raw)
    return _ESCAPES.sub("", text)


class TerminalTimeout(AssertionError):
    pass


class Terminal:
    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 60):
        full_env = {
            **env,
            "TERM": "xterm-256color",
            "COLUMNS": str(COLUMNS),
            "LINES": str(LINES),
            # pexpect does not answer "where is the cursor?" requests; say so up front.
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "NO_COLOR": "1",
        }
        self.timeout = timeout
        self.raw = ""
        self._seen = 0  # offset in plain(self.raw) up to which wait_for has looked
        self.child = pexpect.spawn(
            argv[0],
            argv[1:],
            cwd=str(cwd),
            env=full_env,
            dimensions=(LINES, COLUMNS),
            encoding="utf-8",
            codec_errors="replace",
            timeout=timeout,
        )

    def screen_text(self) -> str:
        return plain(self.raw)

    def _pump(self, wait: float) -> bool:
        """Read what is available; False once the command has exited and all is read."""
        try:
            self.raw += self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def wait_for(self, *patterns: str, timeout: float | None = None) -> int:
        """Index of the first pattern that appears in new output; -1 when the command exits."""
        compiled = [re.compile(p) for p in patterns]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            alive = self._pump(0.2)
            text = plain(self.raw)
            fresh = text[self._seen :]
            hits = [
                (m.start(), i, m.end()) for i, c in enumerate(compiled) if (m := c.search(fresh))
            ]
            if hits:
                _, index, end = min(hits)
                self._seen += end
                return index
            if not alive:
                return -1
            if time.monotonic() > deadline:
                raise TerminalTimeout(
                    f"none of {patterns} within {timeout or self.timeout}s; screen so far:\n"
                    + text[-4000:]
                )

    def settle(self, quiet: float = 0.3) -> None:
        """Let the prompt finish drawing (prompt_toolkit drops keys sent while it starts)."""
        while self._pump(quiet):
            before = len(self.raw)
            self._pump(quiet)
            if len(self.raw) == before:
                return

    def send(self, keys: str) -> None:
        self.settle()
        self.child.send(keys)

    def type_line(self, text: str) -> None:
        """Replace the pre-filled default with `text` and press Enter."""
        self.send(CLEAR_LINE)
        self.child.send(text)
        time.sleep(0.1)
        self.child.send(ENTER)

    def finish(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._pump(0.2):
            if time.monotonic() > deadline:
                self.child.terminate(force=True)
                raise TerminalTimeout("the command did not exit:\n" + self.screen_text()[-4000:])
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)
