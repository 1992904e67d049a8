"""Sphinx configuration: ``make docs`` builds docs/_build/html, warnings as errors."""

import sklearn_bp

project = "sklearn-bp"
copyright = "sklearn-bp developers"
release = sklearn_bp.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
# The methods inherited from scikit-learn's mixins (score) refer to labels of
# scikit-learn's own documentation, which is not linked here.
suppress_warnings = ["ref.ref"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"demo\.py",
    "download_all_examples": False,
    "matplotlib_animations": False,
}
