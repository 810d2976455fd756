"""``python -m ikewire``: the ``ikewire`` command."""

from .cli import main

raise SystemExit(main())
