"""`python -m dedupe` runs the same contract as `chub dedupe`."""

import sys

from dedupe.cli import main

sys.exit(main())
