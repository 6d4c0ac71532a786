"""``python -m server`` runs the accueil CLI."""

from server.cli import main

main()
