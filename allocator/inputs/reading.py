"""Bounded, non-blocking reads of the bytes of one input file, and its decoding as UTF-8.

An input path is untrusted: it may name a FIFO (a plain read blocks forever), `/dev/zero`
(st_size is 0, so a size check before reading proves nothing), a directory or a symlink loop.
Every such case is one clean message here, before any YAML is parsed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

MAX_FILE_BYTES = 1_000_000

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")

_NOT_REGULAR = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


class UnreadableFile(Exception):
    """The file cannot be read as input text; `line` is 0 when the problem is the whole file."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset, with YAML's line breaks (CR alone is one)."""
    line, start = 1, 0
    for m in _LINE_BREAK.finditer(text, 0, position):
        line, start = line + 1, m.end()
    return line, position - start + 1


def split_lines(text: str) -> list[str]:
    """The lines of `text` as YAML counts them (unlike str.splitlines, form feeds do not break)."""
    return _LINE_BREAK.split(text)


def kind_problem(mode: int) -> str | None:
    """Why a file of this mode is not read as an input file (a directory, a FIFO, ...), or None."""
    for test, message in _NOT_REGULAR:
        if test(mode):
            return message
    return None if stat.S_ISREG(mode) else "is not a regular file"


def os_problem(exc: OSError | ValueError) -> str:
    """What an OS error opening an input file means, in the words of the messages."""
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return "is a symbolic link that loops"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    return f"cannot read: {exc}"  # ValueError: a NUL byte in the path


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an input file (missing, a directory, a FIFO...), or None."""
    try:
        return kind_problem(os.stat(path).st_mode)
    except (OSError, ValueError) as exc:
        return os_problem(exc)


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; raise UnreadableFile otherwise.

    Opened without blocking and checked with fstat, so a FIFO or a device never hangs the read;
    at most MAX_FILE_BYTES + 1 bytes are read, since st_size is 0 for /dev/zero or /proc files.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        # a socket cannot be opened at all: stat says what it is
        raise UnreadableFile(file_problem(path) or os_problem(exc)) from None
    try:
        st = os.fstat(fd)
        why = kind_problem(st.st_mode)
        if why is None and st.st_size > MAX_FILE_BYTES:
            why = f"the file is {st.st_size} bytes; rule and scenario files are limited to {MAX_FILE_BYTES}"
        if why:
            raise UnreadableFile(why)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableFile(os_problem(exc)) from None
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:  # the file grew after fstat, or is a /proc file
        raise UnreadableFile(
            f"the file has more than {MAX_FILE_BYTES} bytes; rule and scenario files are limited to {MAX_FILE_BYTES}"
        )
    return b"".join(chunks)


def decode_text(raw: bytes) -> str:
    """The file's text: UTF-8, with one leading byte-order mark dropped; raise UnreadableFile otherwise."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("UTF-16 or UTF-32 text (it starts with a byte-order mark); save the file as UTF-8", 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_col(raw[: exc.start].decode("utf-8"), exc.start)[0]
        raise UnreadableFile(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line) from None
    return text.removeprefix("\ufeff")
