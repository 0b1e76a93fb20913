"""Entry point for gunicorn and the flask command: ``flask --app wsgi ...``."""
from web import create_app

app = create_app()
