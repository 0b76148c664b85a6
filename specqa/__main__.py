from specqa.cli import main

main()
