"""`python -m forecaster` (and `torchrun -m forecaster`) runs the CLI."""

from forecaster.cli import main

main()
