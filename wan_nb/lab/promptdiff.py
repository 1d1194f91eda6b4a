"""What the service did to a prompt: a word-level diff of the user's prompt against ``actual_prompt``.

With ``prompt_extend`` on (the native default), DashScope rewrites the prompt before generating and answers
the rewrite as ``output.actual_prompt`` (native.md §3.1; ``Task.prompt``). :func:`diff` lines the two up word
by word (``difflib.SequenceMatcher`` on whitespace-separated words; Chinese, written without spaces, compares
character by character): :meth:`PromptDiff.html` marks added words ``<ins>`` and dropped ones
``<del>`` (everything escaped), :meth:`PromptDiff.text` is a plain copyable form (``[+added+]`` ``[-dropped-]``).
Pure; imports only the standard library.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Piece", "PromptDiff", "diff"]

Op = Literal["same", "added", "dropped"]

# A CJK character on its own (no spaces there to split on), a word, or one punctuation mark: "head," and
# "head" share the word.
_CJK_RANGES = (("\u3400", "\u9fff"), ("\uf900", "\ufaff"), ("\u3000", "\u303f"), ("\uff00", "\uffef"))
_CJK_CHARS = "".join(f"{low}-{high}" for low, high in _CJK_RANGES)
_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%»”’")
_NO_SPACE_AFTER = frozenset("([{«“‘")

_INS = "background:#dcfce7;color:#166534;text-decoration:none"
_DEL = "background:#fee2e2;color:#991b1b"


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of words the two prompts share, or that the service added or dropped."""

    op: Op
    text: str


@dataclass(frozen=True, slots=True)
class PromptDiff:
    """The user's prompt against the service's rewrite."""

    original: str
    actual: str
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        """True when the service changed anything but whitespace."""
        return any(piece.op != "same" for piece in self.pieces)

    @property
    def added(self) -> list[str]:
        return [piece.text for piece in self.pieces if piece.op == "added"]

    @property
    def dropped(self) -> list[str]:
        return [piece.text for piece in self.pieces if piece.op == "dropped"]

    def text(self) -> str:
        """A copyable plain form: ``a cat [+slowly+] turns [-its-] head``."""
        marks = {"same": "{}", "added": "[+{}+]", "dropped": "[-{}-]"}
        return " ".join(marks[piece.op].format(piece.text) for piece in self.pieces)

    def html(self) -> str:
        """The rewrite with ``<ins>``/``<del>`` marks, then both prompts in full (selectable, escaped)."""
        marked = " ".join(_mark(piece) for piece in self.pieces)
        return (
            '<div class="wan-prompt-diff" style="line-height:1.6">'
            f'<div class="wan-diff">{marked}</div>'
            '<details><summary style="cursor:pointer;color:#6b7280">both prompts, to copy</summary>'
            f'<div><small>yours</small><pre class="wan-prompt-original" style="white-space:pre-wrap">'
            f"{html.escape(self.original)}</pre></div>"
            f'<div><small>the service\'s</small><pre class="wan-prompt-actual" style="white-space:pre-wrap">'
            f"{html.escape(self.actual)}</pre></div></details></div>"
        )


def _mark(piece: Piece) -> str:
    text = html.escape(piece.text)
    if piece.op == "added":
        return f'<ins style="{_INS}">{text}</ins>'
    if piece.op == "dropped":
        return f'<del style="{_DEL}">{text}</del>'
    return text


def diff(original: str, actual: str) -> PromptDiff:
    """The word-level diff of ``original`` (what the user wrote) against ``actual`` (what the service used)."""
    before, after = _words(original), _words(actual)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", _join(before[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("dropped", _join(before[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", _join(after[j1:j2])))
    return PromptDiff(original, actual, tuple(pieces))


@functools.cache
def _tokens() -> re.Pattern[str]:
    """Compiled on first use: its Unicode classes take ~4 ms to build, which ``import wan_nb`` need not pay."""
    return re.compile(rf"[{_CJK_CHARS}]|\w+(?:['’-]\w+)*|[^\w\s]")


def _words(text: str) -> list[str]:
    return _tokens().findall(text)


def _is_cjk(char: str) -> bool:
    return any(low <= char <= high for low, high in _CJK_RANGES)


def _join(words: list[str]) -> str:
    """Words back into text: spaces between words, none before a comma or between CJK characters."""
    out = ""
    for word in words:
        if out and not _glued(out[-1], word):
            out += " "
        out += word
    return out


def _glued(before: str, word: str) -> bool:
    cjk = _is_cjk(word[0]) or _is_cjk(before)
    return cjk or word in _NO_SPACE_BEFORE or before in _NO_SPACE_AFTER
