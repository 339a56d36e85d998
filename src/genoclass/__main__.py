"""``python -m genoclass``: the command-line interface."""

import sys

from genoclass.cli import main

if __name__ == "__main__":  # importing the module (e.g. to check imports) runs nothing
    sys.exit(main())
