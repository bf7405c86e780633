"""`python -m localexa ...` is the same as the `localexa` command."""

from localexa.cli.entry import main

if __name__ == "__main__":
    main()
