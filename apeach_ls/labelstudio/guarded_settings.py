"""Label Studio's own settings plus apeach-ls's guard (:mod:`apeach_ls.labelstudio.guard`).

Start Label Studio with ``DJANGO_SETTINGS_MODULE=apeach_ls.labelstudio.guarded_settings``
(``apeach-ls up`` does). Importable only inside Label Studio's process.

Label Studio's settings module reads ``django.conf.settings`` while it is still loading
(to set up Sentry), which then finds this module half-imported: the base settings and the
Sentry names are therefore defined here first.
"""

import os

from core.settings.base import *  # noqa: F401,F403

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
FRONTEND_SENTRY_DSN = os.environ.get("FRONTEND_SENTRY_DSN", "")

from core.settings.label_studio import *  # noqa: E402,F401,F403
from core.settings.label_studio import MIDDLEWARE  # noqa: E402

MIDDLEWARE = [*MIDDLEWARE, "apeach_ls.labelstudio.guard.ApeachGuardMiddleware"]
