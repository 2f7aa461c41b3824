"""`python -m allocator`."""

from allocator.cli import main

raise SystemExit(main())
