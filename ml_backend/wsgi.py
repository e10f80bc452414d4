"""gunicorn entry point: ``gunicorn 'ml_backend.wsgi:app'``; settings from the environment.

Logs go to stderr at INFO: one line per annotation checked, never headers or bodies.
"""

import logging

from . import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
