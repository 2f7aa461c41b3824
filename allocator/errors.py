"""The errors a user can cause; anything else is a bug."""


class AllocatorError(Exception):
    """A problem with the user's input: shown as one clean message, exit code 2."""


class RuleFileError(AllocatorError):
    """A rule or scenario file is malformed or inconsistent."""


class SnapshotError(AllocatorError):
    """A client snapshot has missing columns, bad values or duplicate ids."""


class ScenarioError(AllocatorError):
    """A scenario refers to something that does not exist or does not fit."""
