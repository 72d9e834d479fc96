"""`python -m qa_service ...`: Flask's command line for this app (`corpus ...`, `run`, `routes`)."""

from flask.cli import FlaskGroup

from . import create_app

FlaskGroup(create_app=create_app, help="The quoting question-answering service.")(prog_name="python -m qa_service")
