"""The publishing library of the course: what the lecture decks (``python -m dofcourse.slides``,
``make slides``) and the static site (``python -m dofcourse.website``, ``make site``) share.

``assets`` (the npm-installed JavaScript the pages load), ``notebooks`` (executed chapters and
their static copies without a kernel), ``deck`` (an executed chapter made into lecture slides),
``links`` (the URLs a page references, for the offline checks), ``cli`` (the shared command
line) and ``assignments`` (Otter-Grader assignments, ``make assignments``). Tooling, not science:
no cached experiment reaches it.
"""
