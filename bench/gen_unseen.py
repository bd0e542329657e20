"""The unseen-data generator's old command, kept working: `python bench/gen_unseen.py ...`.

The generator is the package `bench/gen_unseen/` (one module per flavour); this runs its
command line with the same arguments and gives the same files for the same seed. Python
imports the package, not this file, for `import gen_unseen` (a package directory takes
precedence over a module of the same name).
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gen_unseen.cli import main

    raise SystemExit(main())
