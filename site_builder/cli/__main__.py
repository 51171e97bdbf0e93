"""``python -m site_builder.cli``: the ``notes`` command without its script on PATH."""

import sys

from site_builder.cli import main

sys.exit(main())
