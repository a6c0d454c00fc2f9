"""The one error type users see: a located, one-line message (no traceback without --debug)."""


class HarnessError(Exception):
    """A user-facing error. `str(err)` is one line: where (file:line, field) and what is wrong."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
