"""The exception types that reach the user as a single line."""


class NnvizError(Exception):
    """A problem the user can fix: bad option, bad file, missing data.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``;
    nothing else is shown, so the message must name the file or option and
    say what is wrong.
    """

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ConfigError(NnvizError):
    """A TrainConfig value the model cannot use, named by its field: ``learning_rate 0.0: ...``.

    The model does not know how the value was given, so it names the field;
    whoever does know rewords it: the command line names the option
    (nnviz.option_names), a weight file prefixes its path.
    """

    def __init__(self, field: str, value: object, problem: str):
        self.field = field  # the TrainConfig field, e.g. "learning_rate"
        self.value = str(value)  # as the user would write it, e.g. "784,16,10" for layers
        self.problem = problem  # what is wrong with it, e.g. "must be at least 1"
        super().__init__(f"{field} {self.value}: {problem}")
