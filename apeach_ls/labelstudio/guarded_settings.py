"""Label Studio's own settings plus apeach-ls's guard (:mod:`apeach_ls.labelstudio.guard`).

Start Label Studio with ``DJANGO_SETTINGS_MODULE=apeach_ls.labelstudio.guarded_settings``
(``apeach-ls up`` does). Importable only inside Label Studio's process.
"""

from label_studio.core.settings.label_studio import *  # noqa: F401,F403
from label_studio.core.settings.label_studio import MIDDLEWARE

MIDDLEWARE = [*MIDDLEWARE, "apeach_ls.labelstudio.guard.ApeachGuardMiddleware"]
