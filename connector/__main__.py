"""``python -m connector`` runs the ``referee`` command line."""

from connector.cli import main

main()
