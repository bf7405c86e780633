"""`python -m localexa.samples.mylights`: run My Lights on its own (default http://127.0.0.1:9000)."""

from __future__ import annotations

import argparse

from localexa.samples.mylights.app import REGIONS, regional_gateways, run_mylights


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localexa.samples.mylights", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument(
        "--lwa-base-url", default="http://127.0.0.1:8080", help="Login with Amazon (localexa)"
    )
    parser.add_argument(
        "--events-base-url",
        default="http://127.0.0.1:8080",
        help="Alexa event gateway of customers linked through POST /skill",
    )
    for region in REGIONS:
        parser.add_argument(
            f"--{region.lower()}-events-base-url",
            default=None,
            help=(
                f"Alexa event gateway of customers linked through POST /skill/{region.lower()} "
                "(default: localexa serve's, from --events-base-url: EU on its port + 1, FE + 2)"
            ),
        )
    args = parser.parse_args(argv)
    regional = regional_gateways(args.events_base_url)
    for region in REGIONS:
        given = getattr(args, f"{region.lower()}_events_base_url")
        if given is not None:
            regional[region] = given
    run_mylights(args.host, args.port, args.lwa_base_url, args.events_base_url, events_base_urls=regional)


if __name__ == "__main__":
    main()
