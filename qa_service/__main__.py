"""`python -m qa_service ...`: the `qa-service` command (`corpus ...`, `run`, `routes`)."""

from .cli import main

main(prog_name="python -m qa_service")
