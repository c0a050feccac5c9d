"""posecount's own errors. The CLI turns each into a one-line message and an exit code, never a traceback."""


class PosecountError(Exception):
    """Base of every error posecount raises on purpose. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class InputError(PosecountError):
    """The input (video file, camera, stream, recording) cannot be read or is not what it should be."""

    exit_code = 2


class ConfigError(PosecountError):
    """A setting, an exercise name or an exercise spec is invalid."""

    exit_code = 2


class ModelError(PosecountError):
    """The pose model is missing, corrupt, or cannot be fetched or built."""

    exit_code = 3


class OutputError(PosecountError):
    """An output file or directory cannot be written."""

    exit_code = 4
