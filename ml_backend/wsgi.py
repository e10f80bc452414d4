"""gunicorn entry point: ``gunicorn 'ml_backend.wsgi:app'``; settings from the environment."""

from . import create_app

app = create_app()
