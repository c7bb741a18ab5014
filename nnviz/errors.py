"""The one exception type that reaches the user as a single line."""


class NnvizError(Exception):
    """A problem the user can fix: bad option, bad file, missing data.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``;
    nothing else is shown, so the message must name the file or option and
    say what is wrong.
    """

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
