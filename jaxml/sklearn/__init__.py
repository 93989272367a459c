"""scikit-learn-compatible classes over jaxml's pure estimators.

Each class is named as scikit-learn names it, stores only its keyword arguments in
``__init__``, validates input with scikit-learn's own helpers, returns ``self`` from
``fit`` and keeps fitted arrays as NumPy attributes ending in ``_`` — so it passes
scikit-learn's estimator checks and works in ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``. The numerical work is done by the jitted functions of
``jaxml.classical``, ``jaxml.unsupervised`` and ``jaxml.math``.
"""

from jaxml.sklearn.kernel import *  # noqa: F403
from jaxml.sklearn.kernel import __all__ as _kernel
from jaxml.sklearn.linear import *  # noqa: F403
from jaxml.sklearn.linear import __all__ as _linear
from jaxml.sklearn.naive_bayes import *  # noqa: F403
from jaxml.sklearn.naive_bayes import __all__ as _naive_bayes
from jaxml.sklearn.neighbors import *  # noqa: F403
from jaxml.sklearn.neighbors import __all__ as _neighbors
from jaxml.sklearn.preprocessing import *  # noqa: F403
from jaxml.sklearn.preprocessing import __all__ as _preprocessing
from jaxml.sklearn.trees import *  # noqa: F403
from jaxml.sklearn.trees import __all__ as _trees
from jaxml.sklearn.unsupervised import *  # noqa: F403
from jaxml.sklearn.unsupervised import __all__ as _unsupervised

__all__ = [*_linear, *_naive_bayes, *_neighbors, *_kernel, *_preprocessing, *_trees,
           *_unsupervised]
