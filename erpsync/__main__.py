"""``python -m erpsync``: the same as the ``erpsync`` command."""

from erpsync.cli import main

if __name__ == "__main__":
    main()
