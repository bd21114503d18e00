"""Plan CSV files: what we write reads back the same, planners' spreadsheets are read, bad rows are named."""

import pandas as pd
import pytest

from boundaries.data.region import load_region
from boundaries.errors import InputError
from boundaries.publish.planfile import read_plan_csv, write_plan_csv


@pytest.fixture(scope="module")
def region():
    return load_region("North East")


@pytest.fixture(scope="module")
def ccg():
    return load_region("North East").ccg_assignment()


@pytest.fixture
def written(region, ccg, tmp_path):
    return write_plan_csv(ccg, region, tmp_path / "plan.csv")


def test_a_written_plan_reads_back_the_same(region, ccg, written):
    plan = read_plan_csv(written, region)
    assert plan.to_dict() == {code: str(label) for code, label in ccg.items()}
    assert plan.index.name == "code" and plan.name == "consortium"
    assert [p.name for p in written.parent.iterdir()] == ["plan.csv"]  # no temporary file left beside it


def test_a_written_plan_is_readable_in_a_spreadsheet(region, written):
    lines = written.read_text().splitlines()
    assert lines[0] == "code,name,consortium,patients,lad,lad_name,postcode"  # postcode last: older columns stay put
    assert len(lines) == 1 + len(region.practices)


def test_a_written_plan_carries_each_practices_postcode(region, written):
    frame = pd.read_csv(written, dtype=str).set_index("code")
    assert frame["postcode"].to_dict() == region.practices["postcode"].to_dict()
    assert frame.loc["A81001", "postcode"] == "TS18 1HU"


def test_a_region_without_postcodes_writes_none(region, ccg, tmp_path):
    from types import SimpleNamespace

    bare = SimpleNamespace(practices=region.practices.drop(columns="postcode"))
    path = write_plan_csv(ccg, bare, tmp_path / "plan.csv")
    assert path.read_text().splitlines()[0] == "code,name,consortium,patients,lad,lad_name"


def test_a_reader_ignores_columns_it_does_not_need(region, written, tmp_path):
    # older plan files (no postcode) and spreadsheets with columns of their own read the same
    older = tmp_path / "older.csv"
    pd.read_csv(written, dtype=str).drop(columns="postcode").to_csv(older, index=False)
    extra = tmp_path / "extra.csv"
    extra.write_text("note,consortium,code,postcode,size\nkeep,North,A81001,TS18 1HU,big\n")
    assert read_plan_csv(older, region).to_dict() == read_plan_csv(written, region).to_dict()
    assert read_plan_csv(extra).to_dict() == {"A81001": "North"}


def test_a_planners_spreadsheet_with_other_headings_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffGP_PRACTICE_CODE,ccg\r\nA81001,North\r\nA81002, South \r\n".encode())
    plan = read_plan_csv(path)  # no region: any codes
    assert plan.to_dict() == {"A81001": "North", "A81002": "South"}


def error_of(path, region=None) -> InputError:
    with pytest.raises(InputError) as caught:
        read_plan_csv(path, region)
    return caught.value


def rewrite(path, edit):
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def test_missing_file(tmp_path):
    error = error_of(tmp_path / "none.csv")
    assert error.file == str(tmp_path / "none.csv") and "no such file" in str(error)


def test_missing_consortium_column(written):
    rewrite(written, lambda lines: [lines[0].replace("consortium", "team"), *lines[1:]])
    error = error_of(written)
    assert (error.file, error.row) == (str(written), 1)
    assert "consortium column" in str(error) and "'team'" in str(error)


def test_missing_code_column(written):
    rewrite(written, lambda lines: [lines[0].replace("code", "id", 1), *lines[1:]])
    error = error_of(written)
    assert error.row == 1 and "practice code column" in str(error)


def test_unknown_practice(region, written):
    rewrite(written, lambda lines: [lines[0], "ZZ9999,Nowhere Surgery,00C,1,E1,X,ZZ9 9ZZ", *lines[1:]])
    error = error_of(written, region)
    assert (error.row, error.field) == (2, "code")
    assert "ZZ9999 is not in region North East" in str(error)
    assert read_plan_csv(written).loc["ZZ9999"] == "00C"  # without a region any code is allowed


def test_duplicate_practice(written):
    lines = written.read_text().splitlines()
    rewrite(written, lambda lines: [*lines, lines[3]])
    error = error_of(written)
    assert (error.row, error.field) == (len(lines) + 1, "code")
    assert f"practice {lines[3].split(',')[0]} appears twice" in str(error)


def test_practice_left_out(region, written):
    code = written.read_text().splitlines()[10].split(",")[0]
    rewrite(written, lambda lines: lines[:10] + lines[11:])
    error = error_of(written, region)
    assert error.file == str(written) and error.row is None
    assert "1 practice(s) of North East are in no consortium" in str(error) and code in str(error)
    assert len(read_plan_csv(written)) == len(region.practices) - 1  # fine as a partial plan without a region


def test_empty_consortium_and_empty_code(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code,consortium\nA81001,North\nA81002,\n")
    error = error_of(path)
    assert (error.row, error.field) == (3, "consortium") and "A81002 has no consortium" in str(error)
    path.write_text("code,consortium\n,North\n")
    assert (error_of(path).row, error_of(path).field) == (2, "code")


def test_truncated_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code,consortium\nA81001,North\nA81002\n")
    error = error_of(path)
    assert error.row == 3 and "wrong number of fields" in str(error)


@pytest.mark.parametrize(
    "content",
    [
        b"Code;Consortium\r\nA81001;North\r\nA81002;South\r\n",  # a semicolon locale's "CSV"
        "code\tconsortium\nA81001\tNorth\nA81002\tSouth\n".encode("utf-16"),  # "Unicode text", with its BOM
    ],
    ids=["semicolons", "utf-16-tabs"],
)
def test_spreadsheet_dialects_that_are_unambiguous_are_read(tmp_path, content):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    assert read_plan_csv(path).to_dict() == {"A81001": "North", "A81002": "South"}


def test_text_that_is_not_utf8_names_the_row_and_the_encoding_needed(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("code,consortium\nA81001,North\nA81002,Caf\xe9\n".encode("cp1252"))
    error = error_of(path)
    assert error.row == 3 and "byte 0xe9" in str(error) and "CSV UTF-8" in str(error)
