"""`python -m harness …`: what launchers run (`accelerate launch -m harness run …`)."""

from harness.cli.entry import main

main()
