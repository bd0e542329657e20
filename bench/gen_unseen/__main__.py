"""`python -m bench.gen_unseen ...` from the repository root, or `python bench/gen_unseen ...`."""

import sys
from pathlib import Path

if __package__:
    from .cli import main
else:  # the directory run as a script: make its parent importable, then the package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from gen_unseen.cli import main

raise SystemExit(main())
