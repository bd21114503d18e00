"""A practice's town, read from the address lines of the raw files.

Neither raw file has a clean town field. The HSCIC ODS file (``epraccur``) has five free address lines, written
the way the practice writes its address: ``THE HEALTH CENTRE, LAWSON STREET, STOCKTON, CLEVELAND``: the post town
is followed by a (postal, former or abbreviated) county on 4,726 of the 7,875 practices. NHS Choices has a
``City`` column, but it holds a county as often as a town (``Essex``, ``Lancs``) and is blank on a fifth of the
sites. So both are read the same way: walk the address lines from the one before the postcode backwards, skip
blank lines and county names, and take the first remaining line if it looks like a place (no digit, not a
street, not a building). The HSCIC address is preferred (it is the practice's registered address, like the
postcode of the list-size file); NHS Choices (the site the geocoder chose) fills the gaps.

Spellings are then made consistent: every name is title-cased by one rule (``Stockton-on-Tees``,
``Newcastle upon Tyne``, ``King's Lynn``), and names that differ only in spaces, hyphens and full stops
(``STOCKTON ON TEES`` / ``Stockton-on-Tees``) get the spelling most practices use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

#: postal, former and abbreviated county names seen in the address lines (with one misspelling, and the
#: unitary authorities written as counties; Powys for the practice in Knighton), and the country: never a town.
#: ``Durham`` and ``Hereford`` are cities, so only ``County Durham`` / ``Co Durham`` and the
#: ``Hereford and Worcester`` forms are here.
_COUNTY_NAMES = """
    Avon; Bedfordshire; Beds; Berkshire; Berks; Buckinghamshire; Bucks; Cambridgeshire; Cambs; Cheshire;
    Cleveland; Cornwall; Cumbria; Derbyshire; Derbys; Devon; Dorset; County Durham; Co Durham; Co. Durham;
    Essex; Gloucestershire; Glos; Greater London; Greater Manchester; Gtr Manchester; Hampshire; Hants;
    Herefordshire; Hereford and Worcester; Hereford and Worcs; Hertfordshire; Herts; Humberside;
    North Humberside; South Humberside; Isle of Wight; IOW; Kent; Lancashire; Lancs; Leicestershire; Leics;
    Lincolnshire; Lincs; Merseyside; Middlesex; Middx; Norfolk; Northamptonshire; Northants; Northumberland;
    Northd; Nottinghamshire; Notts; Oxfordshire; Oxon; Rutland; Shropshire; Salop; Somerset; North Somerset;
    Staffordshire; Staffs; Suffolk; Surrey; Sussex; East Sussex; West Sussex; E Sussex; W Sussex; Tyne and Wear;
    Warwickshire; Warks; West Midlands; W Midlands; Wiltshire; Wilts; Worcestershire; Worcs; Yorkshire;
    North Yorkshire; South Yorkshire; West Yorkshire; East Yorkshire; N Yorkshire; S Yorkshire; W Yorkshire;
    E Yorkshire; N Yorks; S Yorks; W Yorks; E Yorks; East Riding of Yorkshire; East Riding;
    Yorkshire (West Riding); Yorkshire (East Riding); Yorkshire (North Riding); North East Lincolnshire;
    N E Lincolnshire; NE Lincs; North Lincolnshire; N Lincs; South Gloucestershire; South Glos; Middelsex;
    Powys; England; England - UK; UK; United Kingdom; Great Britain
"""
COUNTIES = frozenset(re.sub(r"[^A-Z]", "", name.upper().replace("&", "AND")) for name in _COUNTY_NAMES.split(";"))

_STREET = re.compile(  # after a space: CHESTER-LE-STREET and STREET (Somerset) are towns
    r" (ROAD|RD|STREET|ST|LANE|LN|AVENUE|AVE|DRIVE|DR|WAY|CLOSE|CRESCENT|TERRACE|PLACE|SQUARE|GROVE|"
    r"GARDENS|PARADE|WALK|COURT|PRECINCT|MEWS)\.?$"
)
_BUILDING = re.compile(
    r"\b(SURGERY|SURGERIES|HEALTH|MEDICAL|CENTRE|CENTER|CLINIC|PRACTICE|HOUSE|HOSPITAL|BUILDING|UNIT|"
    r"FLOOR|SUITE|ESTATE|CTR|HTH|MED)\b"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
#: lower-case inside a name, not at its start or end
_SMALL = frozenset({"on", "upon", "under", "in", "le", "la", "de", "the", "by", "cum", "next", "super", "of", "and"})


def _key(text: str) -> str:
    return re.sub(r"[^A-Z]", "", text.upper().replace("&", "AND"))


def clean_line(text: object) -> str:
    """Upper case, no postcode, no full stops (``ST.AUSTELL`` -> ``ST AUSTELL``), no ``NR``/``NEAR``/``VIA`` prefix,
    no county after the town (``LOUTH LINCS`` -> ``LOUTH``, but not ``STRATFORD UPON AVON``), single spaces."""
    if not isinstance(text, str):
        return ""
    line = _POSTCODE.sub(" ", text.upper()).replace(".", " ")
    line = re.sub(r"\s+", " ", line).strip(" ,;:-")
    line = re.sub(r"^(NR|NEAR|VIA) ", "", line)
    if is_county(line):
        return line
    words = line.split(" ")
    for n in (3, 2, 1):  # a county glued to the end of the town
        head, tail = words[:-n], words[-n:]
        if head and is_county(" ".join(tail)) and head[-1].lower() not in _SMALL:
            return " ".join(head)
    return line


def split_lines(lines: Iterable[object]) -> list[str]:
    """Address lines split at commas (``FERNDOWN, WIMBORNE`` is two lines), cleaned, blanks dropped."""
    out = []
    for line in lines:
        if isinstance(line, str):
            out += [c for c in (clean_line(part) for part in line.split(",")) if c]
    return out


def is_county(line: str) -> bool:
    return _key(line) in COUNTIES


def looks_like_place(line: str) -> bool:
    """A town line: letters only (no house number), not a street or a building."""
    if not line or re.search(r"\d", line):
        return False
    if _STREET.search(line):  # "HIGH ST" is a street, "ST IVES" a town
        return False
    return not _BUILDING.search(line)


def town_from_lines(lines: Sequence[object]) -> str:
    """The post town of an address given as lines (postcode excluded), upper case, or "" if none is found."""
    for line in reversed(split_lines(lines)):
        if is_county(line):
            continue
        return line if looks_like_place(line) else ""
    return ""


def title(town: str) -> str:
    """One title-casing rule for every source: ``STOCKTON-ON-TEES`` -> ``Stockton-on-Tees``,
    ``KING'S LYNN`` -> ``King's Lynn``, ``NEWCASTLE UPON TYNE`` -> ``Newcastle upon Tyne``."""
    words = re.split(r"([ \-])", town.lower())
    parts = [w for w in words if w not in (" ", "-")]
    out = []
    index = 0
    for w in words:
        if w in (" ", "-") or not w:
            out.append(w)
            continue
        inner = 0 < index < len(parts) - 1
        if inner and w in _SMALL:
            out.append(w)
        else:
            out.append(w[:1].upper() + w[1:])  # not str.title: that gives "King'S"
        index += 1
    return re.sub(r"\s+", " ", "".join(out)).strip()


def consistent(towns: pd.Series, also: Iterable[str] = ()) -> pd.Series:
    """Names equal but for spaces, hyphens and full stops get the spelling used most often in ``towns`` and
    ``also`` together (ties: the first in sort order), so ``Stockton on Tees`` and ``Stockton-on-Tees`` are one
    town."""
    filled = towns[towns != ""]
    if filled.empty:
        return towns
    keys = filled.map(_key)
    pool = pd.concat([filled, pd.Series([t for t in also if t], dtype=object)], ignore_index=True)
    counts = pd.DataFrame({"key": pool.map(_key), "name": pool}).value_counts().reset_index(name="n")
    best = counts.sort_values(["key", "n", "name"], ascending=[True, False, True]).drop_duplicates("key")
    spelling = best.set_index("key")["name"]
    out = towns.copy()
    out[filled.index] = keys.map(spelling).to_numpy()
    return out


def practice_towns(
    codes: Iterable[str], ods: pd.DataFrame, site_lines: pd.Series | None = None
) -> tuple[pd.Series, dict]:
    """Town per practice code: from the ODS address lines (``ods``: code, address1..address5), else from the
    chosen NHS Choices site's lines (``site_lines``: code -> list of lines). Returns the towns (index code,
    "" when none was found) and counts for the build report."""
    codes = pd.Index(list(codes))
    lines = ods.set_index("code")[[f"address{i}" for i in range(1, 6)]].reindex(codes)
    from_ods = pd.Series([town_from_lines(r) for r in lines.itertuples(index=False)], index=codes, dtype=object)
    from_site = pd.Series("", index=codes, dtype=object)
    if site_lines is not None:
        known = site_lines.reindex(codes)
        from_site = pd.Series(
            [town_from_lines(v) if isinstance(v, (list, tuple)) else "" for v in known], index=codes, dtype=object
        )
    raw_town = from_ods.where(from_ods != "", from_site)
    towns = consistent(raw_town.map(title), also=from_site.map(title))  # both sources vote on spelling
    both = (from_ods != "") & (from_site != "")
    agree = both & (from_ods.map(_key) == from_site.map(_key))
    info = {
        "from_hscic": int((from_ods != "").sum()),
        "from_nhs_choices": int(((from_ods == "") & (from_site != "")).sum()),
        "none": int((towns == "").sum()),
        "both_sources": int(both.sum()),
        "sources_agree": int(agree.sum()),
        "towns": int(towns[towns != ""].nunique()),
        "method": "post town from the HSCIC address lines (last line before the postcode that is not a county, "
        "if it is not a street or building), else from the chosen NHS Choices site's lines; one title case; "
        "spellings that differ only in spaces, hyphens or full stops unified",
    }
    return towns, info
