"""Options and argument readers shared by the command groups."""

from __future__ import annotations

import codecs
import datetime
import enum
import json
import math
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

__all__ = [
    "REGION_METAVAR",
    "TEXT_BOMS",
    "JournalTimeOption",
    "JsonOption",
    "QuietOption",
    "RegionFilterOption",
    "RegionName",
    "SkillId",
    "StageName",
    "StageOption",
    "TokenOption",
    "data_dir_of",
    "parse_clock_advance",
    "parse_duration",
    "parse_region",
    "parse_stage",
    "read_json",
    "read_json_object",
    "read_text",
    "region_literal",
    "stage_literal",
]


def data_dir_of(ctx: typer.Context, own: Path) -> Path:
    """A command's `--data-dir`, or the root's (`localexa --data-dir X serve`) when the command's
    was not given: the README lists `--data-dir` among the root options, and `serve` and `ca`
    ignored it there (served from ./.localexa)."""
    # By name: Typer brings its own copy of click, whose ParameterSource is not click's.
    source = getattr(ctx.get_parameter_source("data_dir"), "name", None)
    root_context = ctx.find_root()
    root_source = getattr(root_context.get_parameter_source("data_dir"), "name", None)
    root = getattr(root_context.obj, "data_dir", None)
    # The root's given on the command line beats the command's from LOCALEXA_DATA_DIR, as it
    # would beat its own from the variable (`localexa --data-dir X admin …` reads X's key).
    root_wins = source == "DEFAULT" or (source == "ENVIRONMENT" and root_source == "COMMANDLINE")
    return root if root_wins and isinstance(root, Path) else own


class StageName(enum.StrEnum):
    development = "development"
    live = "live"


def stage_literal(stage: StageName) -> Literal["development", "live"]:
    return "live" if stage is StageName.live else "development"


class RegionName(enum.StrEnum):
    NA = "NA"
    EU = "EU"
    FE = "FE"


def region_literal(region: RegionName) -> Literal["NA", "EU", "FE"]:
    return "EU" if region is RegionName.EU else "FE" if region is RegionName.FE else "NA"


def parse_region(value: str | RegionName) -> RegionName:
    """A region option's value, in any letter case (`eu`), as the client and the admin API take
    it. A usage error in the CLI's words: it read "Value error, 'XX' is not one of 'na', 'eu',
    'fe'" (pydantic's prefix, the values lower case) until 2026-12-06."""
    if isinstance(value, RegionName):
        return value
    try:
        return RegionName(value.strip().upper())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is no region: give NA, EU or FE.") from None


#: The value metavar of a region option in help (the parser hides the enum's choices).
REGION_METAVAR = "[NA|EU|FE]"

#: A filter by region, in any letter case as the client and the admin API take it ("eu" too).
RegionFilterOption = Annotated[
    RegionName | None,
    typer.Option(help="Only calls to this region.", parser=parse_region, metavar=REGION_METAVAR),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (the API's wire shape) for scripts.")]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the new id (or token), for $(...).")
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", help="LWA access token (overrides the global --token / LOCALEXA_TOKEN)."),
]


def parse_stage(value: str | StageName) -> StageName:
    """A `--stage` value, said in the CLI's words when it is none (it was pydantic's "Value error,
    'x' is not one of 'development', 'live'" until 2026-12-06)."""
    if isinstance(value, StageName):
        return value
    try:
        return StageName(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is no stage: give development or live.") from None


StageOption = Annotated[
    StageName,
    typer.Option(
        "--stage", "-g", help="The skill's stage.", parser=parse_stage, metavar="[development|live]"
    ),
]
#: The SKILL_ID argument of the `skill`, `skill linking` and `evaluations` commands.
SkillId = Annotated[str, typer.Argument(help="amzn1.ask.skill.…")]


def check_journal_time(value: str | None) -> str | None:
    """A journal `--since`/`--until`, checked as the admin API reads it (observe/journal_query.py
    `parse_time`: ISO 8601, `Z`, a space for `T`) and passed on as typed. `--since yesterday` was
    sent, and the server's 400 exited 1 where `evaluations list --since yesterday` exits 2
    (evlist40 F2, 2026-12-07)."""
    if not value:
        return value
    for candidate in (value, value.replace(" ", "+"), value.replace(" ", "T", 1)):
        try:
            parsed = datetime.datetime.fromisoformat(candidate.strip())
        except ValueError:
            continue
        if parsed.tzinfo is not None:  # the server compares in UTC: a time with none there is its 400
            try:
                parsed.astimezone(datetime.UTC)
            except OverflowError:
                raise typer.BadParameter(f"{value!r} is out of range in UTC.") from None
        return value
    raise typer.BadParameter(f"{value!r} is no ISO 8601 time (e.g. 2026-12-07T10:00:00Z or 2026-12-07).")


JournalTimeOption = Annotated[
    str | None, typer.Option(help="ISO-8601, by localexa's clock.", callback=check_journal_time)
]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
#: Each unit once, largest first (`1h30m`), so `5m5m` and `30m1h` are typos, not sums.
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_EXAMPLES = "e.g. 3600, 90s, 5m, 1h, 2d, 1h30m"


def parse_duration(text: str) -> float:
    """Seconds from `90` (a number alone is seconds), `90s`, `5m`, `1h`, `2d` or a sum such as
    `1h30m` (each unit once, largest first). `5m5m` (a unit twice: 10 minutes) and `2d5` (a
    number without its unit after another part: 2 days and 5 s) were taken until 2026-12-06; each
    is a usage error naming the value now."""
    compact = text.strip().lower().replace(" ", "")
    if _NUMBER.fullmatch(compact):
        return float(compact)
    units = list(_UNIT_SECONDS)
    total, position, last = 0.0, 0, -1
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            break
        unit = match.group(2)
        if units.index(unit) <= last:
            raise typer.BadParameter(
                f"{text!r} is no duration: {unit!r} comes twice or after a smaller unit; give each "
                f"unit once, largest first ({_DURATION_EXAMPLES})."
            )
        last = units.index(unit)
        total += float(match.group(1)) * _UNIT_SECONDS[unit]
        position = match.end()
    rest = compact[position:]
    if position and _NUMBER.fullmatch(rest):
        raise typer.BadParameter(
            f"{text!r} is no duration: {rest} has no unit (a number alone is seconds; after "
            f"another part give its unit, as in {compact}s)."
        )
    if not compact or rest:
        raise typer.BadParameter(f"{text!r} is no duration ({_DURATION_EXAMPLES}).")
    return total


#: The admin API's bound on one advance (shared/spec/admin-api.md: advanceSeconds ≤ 315360000).
MAX_CLOCK_ADVANCE_SECONDS = 10 * 365 * 86400


def parse_clock_advance(text: str) -> float:
    """`parse_duration(text)` for `admin clock advance`: more than nothing and at most ten years,
    checked here so the message is the CLI's (exit 2). Until 2026-12-06 `0` exited 0 having done
    nothing, and `99999d` went to the server, whose 400 (`advanceSeconds: Input should be less
    than or equal to 315360000`) exited 1."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise typer.BadParameter(
            f"{text!r} moves the clock by nothing; give a duration above 0 ({_DURATION_EXAMPLES})."
        )
    if seconds > MAX_CLOCK_ADVANCE_SECONDS:
        days = MAX_CLOCK_ADVANCE_SECONDS // 86400
        raise typer.BadParameter(
            f"{text!r} is too far: the clock advances at most {days}d "
            f"({MAX_CLOCK_ADVANCE_SECONDS} seconds) at a time."
        )
    return seconds


#: The byte order marks a Windows editor or shell writes first: Notepad's UTF-8 (and PowerShell 7's
#: `Out-File -Encoding utf8BOM`), and the UTF-16 of Notepad's "Unicode" or Windows PowerShell's `>`.
TEXT_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_text(source: str, what: str) -> str:
    """`-` reads stdin; anything else is a file path. The text is UTF-8 (JSON's encoding), or the
    encoding a byte order mark names, without the mark (RFC 8259 §8.1 lets a parser ignore it):
    a JSON file with one was refused until 2026-12-07 (`Unexpected UTF-8 BOM`; cliq QA), while a
    `--tlv-file` with one was taken."""
    where = "stdin" if source == "-" else source
    if source == "-" and sys.stdin is None:  # started with stdin closed (`<&-`): it was a traceback
        raise typer.BadParameter(f"cannot read {what} from stdin: stdin is closed")
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} from {where}: {exc.strerror}") from None
    encoding = "utf-8"
    for bom, bom_encoding in TEXT_BOMS:
        if data.startswith(bom):
            encoding, data = bom_encoding, data[len(bom) :]
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise typer.BadParameter(
            f"{what} in {where} is not {shown} text (byte {exc.start}: {data[exc.start : exc.end]!r})"
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is too large for a JSON number")
    return number


def read_json(value: str, what: str) -> Any:
    """A JSON argument: inline JSON, `@path` (a file, as curl reads it), or `-` (stdin)."""
    if value == "-" or value.startswith("@"):
        text = read_text(value if value == "-" else value[1:], what)
    else:
        text = value
    try:
        # NaN, Infinity and 1e999 parse in Python but are no JSON: sending them raised ValueError.
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise typer.BadParameter(f"{what} is nested too deeply to read") from None


def read_json_object(value: str, what: str) -> dict[str, Any]:
    document = read_json(value, what)
    if not isinstance(document, dict):
        raise typer.BadParameter(f"{what} must be a JSON object.")
    return document
