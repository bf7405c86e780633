"""`python -m localexa.samples.mylights`: run My Lights on its own (default http://127.0.0.1:9000)."""

from __future__ import annotations

import argparse

from localexa.samples.mylights.app import run_mylights


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localexa.samples.mylights", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument(
        "--lwa-base-url", default="http://127.0.0.1:8080", help="Login with Amazon (localexa)"
    )
    parser.add_argument("--events-base-url", default="http://127.0.0.1:8080", help="Alexa event gateway")
    args = parser.parse_args(argv)
    run_mylights(args.host, args.port, args.lwa_base_url, args.events_base_url)


if __name__ == "__main__":
    main()
