"""`python -m bench`: measure roomctl as users run it (see bench/__init__.py)."""

from __future__ import annotations

import sys

from bench.run import main

sys.exit(main())
