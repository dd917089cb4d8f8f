"""`python -m dmreports` runs the command line."""

from .cli import main

main()
