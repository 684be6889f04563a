from tokenbudget.cli.app import main

main()
