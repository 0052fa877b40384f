"""The test suite, one package per family (``core``, ``scheduling``, ``pulling``, ``split``).

The folders are packages so that pytest's default (prepend) import mode gives every test module a
unique dotted name (``tests.split.test_split_package``) and helpers import as ``from tests import
ROOT``. Shared fixtures live in ``tests/conftest.py``, each family's in its own ``conftest.py``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository root (README.md, notebooks/, partialopt/)
