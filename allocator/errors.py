"""The errors a user can cause, and every exit code; anything else is a bug."""

EXIT_OK, EXIT_FINDING, EXIT_USER, EXIT_BUG, EXIT_BUSY = 0, 1, 2, 3, 4
EXIT_PIPE, EXIT_SIGINT, EXIT_SIGTERM = 141, 130, 143  # 128 + the signal's number, as a shell reports it


class AllocatorError(Exception):
    """A problem with the user's input: shown as one clean message, exit code 2."""

    exit_code = EXIT_USER


class RuleFileError(AllocatorError):
    """A rule or scenario file is malformed or inconsistent."""


class SnapshotError(AllocatorError):
    """A client snapshot has missing columns, bad values or duplicate ids."""


class SheetError(AllocatorError):
    """A spreadsheet (xlsx) or a plan sheet cannot be read, or holds values that cannot be used."""


class ScenarioError(AllocatorError):
    """A scenario refers to something that does not exist or does not fit."""


class TooLargeError(AllocatorError):
    """The allocation asked for would need more work or memory than the tool allows."""


class OutputError(AllocatorError):
    """The outputs cannot or must not be written where they were asked for."""


class LedgerError(AllocatorError):
    """The run ledger is not one, or cannot be read or written."""


class BusyError(AllocatorError):
    """Another run holds the lock on the output folder or the ledger."""

    exit_code = EXIT_BUSY
