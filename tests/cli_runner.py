"""Running the command line in-process for tests, checking that it never crashes."""

from __future__ import annotations

from click.testing import CliRunner, Result

from iombib.cli import main


def run(*args: str) -> Result:
    """Invoke ``iombib ARGS``; fail the test on a traceback or an exception other than exit."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result
