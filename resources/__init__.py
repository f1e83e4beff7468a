"""Data files the studio reads at run time, installed as the package ``studio.resources``.

pyproject.toml maps this folder to ``studio.resources`` so that a wheel carries the price
table, the platform catalogue, the icons and the demo data; code reads them through
``studio.core.paths.resources_dir()`` (importlib.resources), never by a path relative to
the source tree.
"""
