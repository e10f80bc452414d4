"""The pseudo-classifier: an aid that shows writers a verdict, never a judge.

Two kinds behind one interface (:class:`PseudoClassifier`):

* ``ngram``: a character n-gram linear model (scikit-learn), fast, trained offline;
  the default. Saved as JSON + ``.npz`` (no pickle).
* ``checkpoint``: a transformers sequence-classification checkpoint by Hugging Face id
  or local path, with a label map, loaded lazily.
"""

from .base import PseudoClassifier  # noqa: F401
from .loading import load_classifier  # noqa: F401
