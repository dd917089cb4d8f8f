"""`python -m dmreports` runs the command line."""

from .entry import main

main()
