"""gunicorn entry point: ``gunicorn 'apeach_ls.ml_backend.wsgi:app'``; settings from the environment.

``apeach-ls backend`` serves it with :class:`apeach_ls.ml_backend.serving.BufferingWorker` (see there
why). Logs go to stderr at APEACH_ML_LOG_LEVEL (default info: one line per annotation
checked), never headers, bodies or credentials.
"""

import logging

from . import create_app
from .settings import BackendSettings

settings = BackendSettings.from_env()
logging.basicConfig(
    level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
logging.getLogger("apeach_ls").setLevel(settings.log_level.upper())
app = create_app(settings)
