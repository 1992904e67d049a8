"""Each estimator's docstring documents every parameter and fitted attribute it has,
and no other (the two share most of their sections, written once)."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


def _documented(doc, section):
    """The names that a numpydoc section of ``doc`` describes."""
    body = doc.split(f"\n    {section}\n    {'-' * len(section)}\n", 1)[1]
    body = re.split(r"\n    [A-Z][A-Za-z ]+\n    -+\n", body, maxsplit=1)[0]
    names = set()
    for line in body.splitlines():
        described = re.match(r"    (\w+(?:, \w+)*) : ", line)
        if described:
            names.update(described.group(1).split(", "))
    return names


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_docstring_documents_every_parameter_and_fitted_attribute(Estimator):
    doc = Estimator.__doc__
    assert "{parameters}" not in doc and "{attributes}" not in doc
    assert _documented(doc, "Parameters") == set(Estimator().get_params())
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(max_iter=2, random_state=0).fit(X, y)
    fitted = {name for name in vars(est) if name.endswith("_") and name[0] != "_"}
    # feature_names_in_ only for inputs with column names.
    assert _documented(doc, "Attributes") == fitted | {"feature_names_in_"}


def _documented_defaults(doc):
    """``{name: value}`` of the ``default=...`` of each parameter in ``doc``."""
    defaults = {}
    for name, text in re.findall(r"\n    (\w+) : [^\n]*default=([^\n]+)\n", doc):
        defaults[name] = eval(text, {"np": np})  # the docstring's own notation
    return defaults


def test_both_estimators_state_the_same_defaults_as_their_docstrings():
    classifier = BackpropClassifier().get_params()
    regressor = BackpropRegressor().get_params()
    assert classifier.pop("class_weight") is None
    assert classifier == regressor
    for Estimator, params in (
        (BackpropClassifier, classifier),
        (BackpropRegressor, regressor),
    ):
        documented = _documented_defaults(Estimator.__doc__)
        documented.pop("class_weight", None)
        assert documented == params
