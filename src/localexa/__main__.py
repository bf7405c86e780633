"""`python -m localexa ...` is the same as the `localexa` command."""

from localexa.cli.main import app

if __name__ == "__main__":
    app()
