"""Outputs appear whole or not at all; names built from regions are safe."""

import pytest

from boundaries.atomic import atomic_path, slug, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "plan.csv"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_slugs_are_safe_file_names():
    assert slug("South West") == "south-west"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("Yorkshire & the Humber <script>") == "yorkshire-the-humber-script"
    assert slug("") == "unnamed"
