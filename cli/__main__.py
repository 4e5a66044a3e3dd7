"""`python -m docent.cli`: the `docent` command."""

from docent.cli import main

main()
