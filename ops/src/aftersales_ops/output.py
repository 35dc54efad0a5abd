"""How results reach the operator: a table on a terminal, one JSON document with ``--json``.

Progress bars go to stderr, so ``--json`` output on stdout stays parseable while long work shows progress.
"""
from __future__ import annotations

import json
import sys
import threading
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def _default(value: Any):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class Output:
    def __init__(self, as_json: bool = False, stdout=None, stderr=None, progress: bool | None = None):
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.console = Console(file=self.stdout, soft_wrap=True)
        if not self.console.is_terminal:  # into a file or a pipe: whole lines, not 80 columns
            self.console = Console(file=self.stdout, soft_wrap=True, width=200)
        self.err = Console(file=stderr or sys.stderr, soft_wrap=True)
        # Bars only where a person watches: not into a pipe, a file or a test's capture.
        self.show_progress = self.err.is_terminal if progress is None else progress
        self._lock = threading.Lock()
        self._bars: Progress | None = None
        self._active = 0

    def document(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, default=_default, indent=2, ensure_ascii=False) + "\n")

    def emit(self, value: Any, *, table: tuple[Sequence[str], Iterable[Sequence[Any]]] | None = None,
             title: str | None = None, text: str | None = None) -> None:
        """The JSON document with ``--json``; otherwise the table (columns, rows) or the text given."""
        if self.as_json:
            self.document(value)
            return
        if table is not None:
            columns, rows = table[0], list(table[1])
        if table is not None and not rows:
            self.console.print(title or "none", markup=False, highlight=False)
        elif table is not None:
            grid = Table(title=title, show_lines=False, header_style="bold")
            for column in columns:
                grid.add_column(column, overflow="fold")
            for row in rows:
                grid.add_row(*("" if cell is None else str(cell) for cell in row))
            self.console.print(grid)
        if text is not None:
            self.console.print(text, markup=False, highlight=False)

    def note(self, message: str) -> None:
        """A remark for the person at the terminal (stderr), never part of the JSON."""
        self.err.print(message, markup=False, highlight=False)

    @contextmanager
    def progress(self, description: str, total: int | None) -> Iterator["Step"]:
        """A bar for one piece of work; pieces running at once share one display (rich allows one)."""
        if not self.show_progress:
            yield Step(None, None)
            return
        with self._lock:
            if self._bars is None:
                self._bars = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=self.err)
                self._bars.start()
            self._active += 1
            task = self._bars.add_task(description, total=total)
        try:
            yield Step(self._bars, task)
        finally:
            with self._lock:
                self._active -= 1
                if not self._active:
                    self._bars.stop()
                    self._bars = None


class Step:
    def __init__(self, bar: Progress | None, task):
        self.bar, self.task = bar, task

    def advance(self, amount: int = 1) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, amount)

    def describe(self, description: str, total: int | None = None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=description, total=total, completed=0)
