"""``python -m genoclass``: the command-line interface."""

import sys

from genoclass.cli import main

sys.exit(main())
