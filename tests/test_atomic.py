"""Outputs appear whole or not at all; names built from regions are safe."""

import pytest

from boundaries.atomic import atomic_folder, atomic_path, slug, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "plan.csv"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_a_folder_appears_whole_or_not_at_all(tmp_path):
    """A failed fill leaves the old folder as it was and no temporary; a finished one replaces it whole."""
    target = tmp_path / "geo"
    target.mkdir()
    (target / "practices.csv").write_text("old\n")
    with pytest.raises(RuntimeError), atomic_folder(target) as partial:
        (partial / "practices.csv").write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["geo"]
    assert [p.name for p in target.iterdir()] == ["practices.csv"] and (target / "practices.csv").read_text() == "old\n"
    with atomic_folder(target) as partial:
        (partial / "lads.csv").write_text("new\n")
        assert [p.name for p in target.iterdir()] == ["practices.csv"]  # nothing seen before the end
    assert [p.name for p in tmp_path.iterdir()] == ["geo"] and [p.name for p in target.iterdir()] == ["lads.csv"]
    with atomic_folder(tmp_path / "fresh") as partial:  # no folder before: it appears
        (partial / "VERSIONS").write_text("1\n")
    assert (tmp_path / "fresh" / "VERSIONS").read_text() == "1\n"


def test_slugs_are_safe_file_names():
    assert slug("South West") == "south-west"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("Yorkshire & the Humber <script>") == "yorkshire-the-humber-script"
    assert slug("") == "unnamed"
