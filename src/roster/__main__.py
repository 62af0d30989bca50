from roster.cli import main

main()
