"""`localexa thread …`: the Credential Locker's Thread networks, as JSON fields or as TLV datasets.

    localexa thread put --extended-pan-id X --network-name N --network-key K [--pskc P | --passphrase W]
                        [--pan-id 1234] [--channel 15] [--border-agent-id ID]
    localexa thread put --tlv 0e08…  (or --tlv-file dataset.txt)      a border router's dataset
    localexa thread list --extended-pan-id X [--network-name N]
    localexa thread export --extended-pan-id X [--network-name N]     prints the TLV hex

`--token` is the skill's event token for the customer (the AcceptGrant exchange, or
`localexa admin tokens create --client-id <messaging client id>`); the skill needs the permission
`alexa::thread_network_credentials:read` (seed: Credential Locker REST API reference, spec §7).
TLV hex is what `ot-ctl dataset active -x` prints (its `Done` line is taken too); localexa.thread
converts it (MeshCoP TLVs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from localexa.cli.context import state
from localexa.cli.options import TEXT_BOMS, JsonOption, TokenOption
from localexa.cli.output import Column, emit, print_cli_error, rows_of
from localexa.cli.unbroken import print_lines
from localexa.client.types import ThreadNetwork
from localexa.thread import InvalidField, ThreadDataset, TlvError, compute_pskc
from localexa.thread import fields as f

thread = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Thread network credentials in the Credential Locker."
)

ExtendedPanId = Annotated[str, typer.Option(help="Extended PAN ID (8 bytes of hex).")]
NetworkName = Annotated[str | None, typer.Option(help="Only the network with this name.")]

_COLUMNS = [
    Column.attr("extendedPanId", "extended_pan_id", identifier=True),
    Column.attr("networkName", "network_name"),
    Column.attr("panId", "pan_id"),
    Column.attr("channel", "channel_number"),
    Column.attr("defaultBorderAgentId", "default_border_agent_id", identifier=True),
]
#: Keyword arguments of client.thread_networks.put, by Credential Locker JSON name.
_PUT_ARGUMENTS = {
    f.EXTENDED_PAN_ID: "extended_pan_id",
    f.NETWORK_NAME: "network_name",
    f.NETWORK_KEY: "network_key",
    f.PSKC: "pskc",
    f.PAN_ID: "pan_id",
    f.CHANNEL_NUMBER: "channel_number",
    f.DEFAULT_BORDER_AGENT_ID: "default_border_agent_id",
}


#: The option of each Credential Locker JSON name, to name in an error.
_OPTIONS = {
    f.EXTENDED_PAN_ID: "--extended-pan-id",
    f.NETWORK_NAME: "--network-name",
    f.NETWORK_KEY: "--network-key",
    f.PSKC: "--pskc",
    f.PAN_ID: "--pan-id",
    f.CHANNEL_NUMBER: "--channel",
    f.DEFAULT_BORDER_AGENT_ID: "--border-agent-id",
}


#: The most of a `--tlv-file` read: far more than any dataset's text (OpenThread's datasets hold at
#: most 254 bytes: 508 hex digits, twice that in UTF-16). It read the whole file, and
#: `--tlv-file /dev/zero` ran out of memory (QA of 2026-12-07).
MAX_TLV_FILE_BYTES = 64 * 1024


def read_tlv(tlv: str | None, tlv_file: Path | None) -> ThreadDataset | None:
    """The dataset of `--tlv` hex or of `--tlv-file` (hex text, or the raw TLV bytes)."""
    if tlv is not None and tlv_file is not None:
        raise typer.BadParameter("give --tlv or --tlv-file, not both", param_hint="--tlv")
    option = "--tlv"
    if tlv_file is not None:
        option = "--tlv-file"
        try:
            with tlv_file.open("rb") as stream:
                data = stream.read(MAX_TLV_FILE_BYTES + 1)
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {tlv_file}: {exc.strerror}", param_hint=option) from None
        if len(data) > MAX_TLV_FILE_BYTES:
            raise typer.BadParameter(
                f"{tlv_file} holds more than {MAX_TLV_FILE_BYTES} bytes: no Thread dataset is that long "
                "(OpenThread's hold at most 254 bytes)",
                param_hint=option,
            )
        # Printable text is what ot-ctl or a person wrote; anything else is the dataset's own bytes,
        # which are never all printable (the network key's TLV alone starts 05 10).
        text = _text_of(data)
        tlv = data.hex() if text is None else text
    if tlv is None:
        return None
    try:
        return ThreadDataset.from_tlv_hex(dataset_hex(tlv, option))
    except TlvError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


#: What `ot-ctl` prints after a command that succeeded, on a line of its own.
OT_CTL_DONE = "Done"


_TEXT = re.compile(r"[\x20-\x7e\t\n\r]*")


def _text_of(data: bytes) -> str | None:
    """The text of a `--tlv-file`, or None when it is the raw TLV bytes. Text is printable ASCII,
    after a byte order mark if it starts with one (without it, a UTF-8 BOM made the file raw bytes,
    and UTF-16 had a NUL between every two digits). Raw bytes that happen to start like a BOM (a
    TLV of type 0xef or 0xff) are not printable after it, so they stay raw bytes."""
    encoding, body = "ascii", data
    for bom, bom_encoding in TEXT_BOMS:
        if data.startswith(bom):
            encoding, body = bom_encoding, data[len(bom) :]
            break
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if _is_text(text) else None


def _is_text(text: str) -> bool:
    return _TEXT.fullmatch(text) is not None


def dataset_hex(text: str, option: str = "--tlv") -> str:
    """The dataset hex out of what `ot-ctl dataset active -x` prints: the hex on one line, then
    `Done` (with CRLF line ends when it came over a serial console or SSH, blank lines around).

    The CLI takes that output as it is (`--tlv "$(ot-ctl dataset active -x)"`, or saved to a file);
    localexa.thread's parser stays strict and gets only the hex. Anything else is refused here
    with what was wrong, not a complaint about hex digits that were `Done` or `Error 23`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    failed = next((line for line in lines if line.startswith("Error ")), None)
    if failed is not None:  # ot-ctl's `Error 23: NotFound`: the border router has no active dataset
        raise typer.BadParameter(f"ot-ctl said {failed!r}, not a dataset", param_hint=option)
    if lines and lines[-1] == OT_CTL_DONE:
        lines.pop()
    if not lines:
        raise typer.BadParameter(
            "no dataset hex: expected the line `ot-ctl dataset active -x` prints", param_hint=option
        )
    if len(lines) > 1:
        raise typer.BadParameter(
            f"expected the dataset hex on one line (then ot-ctl's {OT_CTL_DONE!r}), found {len(lines)} "
            f"lines: {', '.join(repr(line[:20]) for line in lines[:3])}",
            param_hint=option,
        )
    return lines[0]


def network_from_options(values: dict[str, Any], passphrase: str | None) -> dict[str, str | int]:
    """The `threadNetwork` object of the field options, checked as the server checks it."""
    network = {name: value for name, value in values.items() if value is not None}
    missing = [_OPTIONS[name] for name in f.REQUIRED if name not in network]
    if missing:  # "extendedPanId must be a string" said nothing of the option to add
        raise typer.BadParameter(f"missing {', '.join(missing)} (or give the dataset with --tlv)")
    try:
        if passphrase is not None:
            if f.PSKC in network:
                raise typer.BadParameter("give --pskc or --passphrase, not both", param_hint="--passphrase")
            network[f.PSKC] = compute_pskc(
                passphrase,
                f.check_extended_pan_id(network.get(f.EXTENDED_PAN_ID)),
                str(network.get(f.NETWORK_NAME)),
            )
        return f.check_thread_network(network)
    except InvalidField as exc:
        raise typer.BadParameter(exc.message, param_hint=_OPTIONS.get(exc.field, f"--{exc.field}")) from None


@thread.command()
def put(
    ctx: typer.Context,
    extended_pan_id: Annotated[str | None, typer.Option(help="Extended PAN ID (8 bytes of hex).")] = None,
    network_name: Annotated[str | None, typer.Option(help="Network name (at most 16 bytes).")] = None,
    network_key: Annotated[str | None, typer.Option(help="Network key (16 bytes of hex).")] = None,
    pskc: Annotated[str | None, typer.Option(help="PSKc (16 bytes of hex).")] = None,
    passphrase: Annotated[
        str | None, typer.Option(help="Commissioning passphrase: the PSKc is derived from it.")
    ] = None,
    pan_id: Annotated[str | None, typer.Option(help="PAN ID (2 bytes of hex, e.g. 1234).")] = None,
    channel: Annotated[int | None, typer.Option(help="Channel, 11-26.")] = None,
    border_agent_id: Annotated[str | None, typer.Option(help="Default border agent id (hex).")] = None,
    tlv: Annotated[
        str | None, typer.Option(help="The whole dataset as TLV hex (ot-ctl dataset active -x).")
    ] = None,
    tlv_file: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="A file with the TLV dataset: hex text (ot-ctl's output as is) or raw bytes."
        ),
    ] = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Store the customer's Thread network (PUT; exit 5 when it already exists)."""
    cli = state(ctx, json_output=json_output)
    dataset = read_tlv(tlv, tlv_file)
    fields = {
        f.EXTENDED_PAN_ID: extended_pan_id,
        f.NETWORK_NAME: network_name,
        f.NETWORK_KEY: network_key,
        f.PSKC: pskc,
        f.PAN_ID: pan_id,
        f.CHANNEL_NUMBER: channel,
    }
    if dataset is not None:
        if passphrase is not None or any(value is not None for value in fields.values()):
            raise typer.BadParameter("a TLV dataset carries the fields itself; give only --border-agent-id")
        try:
            network = dataset.to_credential_locker(border_agent_id=border_agent_id)
        except InvalidField as exc:
            raise typer.BadParameter(exc.message, param_hint="--tlv") from None
    else:
        network = network_from_options({**fields, f.DEFAULT_BORDER_AGENT_ID: border_agent_id}, passphrase)
    with cli.client(token=token) as client:
        client.thread_networks.put(**{_PUT_ARGUMENTS[name]: value for name, value in network.items()})  # type: ignore[arg-type]
    if dataset is not None and (dropped := dataset.lost_in_credential_locker()):
        # A border router's dataset may hold more than the Credential Locker keeps: say what an
        # export will not give back, on stderr.
        listed = ", ".join(dropped)
        print_lines(
            f"note: not stored (the Credential Locker has no field for it; an export gives OpenThread's "
            f"defaults instead): {listed}",
            err=True,
        )
    summary = {
        f.EXTENDED_PAN_ID: network[f.EXTENDED_PAN_ID],
        f.NETWORK_NAME: network[f.NETWORK_NAME],
        "stored": True,
    }
    emit(summary, as_json=cli.json, text=f"stored {network[f.NETWORK_NAME]} ({network[f.EXTENDED_PAN_ID]})")


def _networks(
    ctx: typer.Context, extended_pan_id: str, network_name: str | None, limit: int | None, token: str | None
) -> list[ThreadNetwork]:
    cli = state(ctx)
    with cli.client(token=token) as client:
        pager = client.thread_networks.list(extended_pan_id, network_name=network_name)
        return rows_of(pager, limit)


@thread.command("list")
def list_networks(
    ctx: typer.Context,
    extended_pan_id: ExtendedPanId,
    network_name: NetworkName = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many.")] = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """The customer's Thread networks with this extended PAN ID (every page). JSON has the keys."""
    cli = state(ctx, json_output=json_output)
    networks = _networks(ctx, extended_pan_id, network_name, limit, token)
    emit(networks, as_json=cli.json, columns=_COLUMNS, title="Thread networks")


def dataset_of(network: ThreadNetwork) -> ThreadDataset:
    body = network.model_dump(by_alias=True, exclude_none=True)
    return ThreadDataset.from_credential_locker({k: v for k, v in body.items() if k in f.CHECKS})


@thread.command()
def export(
    ctx: typer.Context,
    extended_pan_id: ExtendedPanId,
    network_name: NetworkName = None,
    minimal: Annotated[
        bool,
        typer.Option(
            help="Only the stored fields; default adds OpenThread's defaults for a complete dataset."
        ),
    ] = False,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print a stored network as TLV hex, ready for `ot-ctl dataset set active <hex>`."""
    cli = state(ctx, json_output=json_output)
    networks = _networks(ctx, extended_pan_id, network_name, 2, token)
    if not networks:
        named = f" and network name {network_name!r}" if network_name is not None else ""
        message = f"no Thread network with extended PAN ID {extended_pan_id}{named}"
        print_cli_error(message, "NETWORK_NOT_FOUND", as_json=cli.json)
        raise typer.Exit(3)
    if len(networks) > 1:
        raise typer.BadParameter("several networks match; choose one with --network-name")
    dataset = dataset_of(networks[0])
    complete = not minimal and dataset.pan_id is not None and dataset.channel is not None
    if not minimal and not complete:
        # Exit 2, not a note beside exit 0: `$(localexa thread export …)` would hand ot-ctl a
        # dataset it refuses, and the script could not tell.
        print_cli_error(
            "the stored network has no panId or channelNumber, so no complete dataset can be "
            "made (ot-ctl would refuse it); --minimal exports the stored fields alone",
            "INCOMPLETE_DATASET",
            as_json=cli.json,
        )
        raise typer.Exit(2)
    if complete and (filled := dataset.missing_defaults()):
        # stderr: stdout stays the bare hex, so `$(localexa thread export …)` keeps working. The
        # Credential Locker stores none of these, so the values are OpenThread's, not the network's.
        print_lines(
            f"note: filled in OpenThread defaults the Credential Locker does not store: {', '.join(filled)} "
            "(--minimal leaves them out)",
            err=True,
        )
    tlv = (dataset.with_defaults() if complete else dataset).to_tlv_hex()
    emit({"tlv": tlv, "complete": complete}, as_json=cli.json, text=tlv)
