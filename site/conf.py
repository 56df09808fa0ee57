"""Sphinx configuration of the course site (``make site``; ``dofcourse/website.py`` builds it).

The builder copies this folder and the executed chapters (``chapters/NN_name.ipynb``, executed by
``make course``) into ``build/site-src/`` and runs Sphinx there with myst-nb, which renders the
notebooks as they are (no execution). Everything a page loads is local: the theme's assets and
MathJax 2 from ``web/node_modules`` (copied to ``_static/mathjax``); no CDN.
"""

project = "dofcourse: how many degrees of freedom does a deep network need to train?"
author = "the dofcourse authors"
copyright = "the dofcourse authors, MIT licence"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# The notebooks arrive executed; the site never runs them.
nb_execution_mode = "off"
nb_merge_streams = True
# No widget JavaScript from a CDN (the builder removes the widgets: they need a kernel).
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "dofcourse"
html_static_path = ["_static"]
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# MathJax 2, local (copied by the builder); the chapters' $...$ math is TeX.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full"
# myst's own MathJax settings are written for MathJax 3 (they left the body untypeset here).
myst_update_mathjax = False
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
    "messageStyle": "none",
}
