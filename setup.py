"""Package list for setuptools: the ``studio`` packages plus ``resources/`` as ``studio.resources``.

Everything else about the build is in pyproject.toml. This file exists only because
``[tool.setuptools.packages.find]`` cannot add a package that lives outside ``studio/``.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["studio", "studio.*"]), "studio.resources"])
