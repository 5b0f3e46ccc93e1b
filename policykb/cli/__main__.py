"""``python -m policykb.cli``: the same as the ``policykb`` command."""

from policykb.cli import main

main()
