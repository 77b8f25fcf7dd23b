# All metadata lives in pyproject.toml. This file exists for `scrapyd-deploy` (scrapyd-client),
# which builds its egg with `python setup.py bdist_egg` and would otherwise write a setup.py of
# its own into the checkout.
from setuptools import setup

setup()
