"""Run the command line as ``python -m iombib``."""

from iombib.cli import main

main(prog_name="iombib")
