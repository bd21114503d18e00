"""The offline map assets: fetched once from the npm registry, pinned and checked, installed whole or not at all."""

import io
import tarfile

import pytest
from typer.testing import CliRunner

from boundaries.app.cli import app
from boundaries.publish import map_assets
from boundaries.publish.map_assets import MissingAssetsError, fetch_assets


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_tarball_that_is_not_the_pinned_one_installs_nothing(tmp_path):
    """A registry that serves other bytes under the pinned name (a mirror gone wrong, a tampered package): the
    checksum refuses it and the destination is not created."""
    name, version, _, files = map_assets.PACKAGES[0]
    registry = tmp_path / "registry"
    (registry / name / "-").mkdir(parents=True)
    (registry / name / "-" / f"{name}-{version}.tgz").write_bytes(_tarball({m: b"alert(1)" for m in files}))
    dest = tmp_path / "assets"
    with pytest.raises(MissingAssetsError, match="checksum mismatch"):
        fetch_assets(dest, registry=registry.as_uri())
    assert not dest.exists()


def test_assets_already_there_are_not_fetched_again(tmp_path):
    """Idempotent: a folder holding the pinned versions is left alone (the registry here does not exist)."""
    dest = tmp_path / "assets"
    dest.mkdir()
    (dest / "VERSIONS").write_text(map_assets._stamp())
    assert fetch_assets(dest, registry=(tmp_path / "nowhere").as_uri()) == dest
    result = CliRunner().invoke(app, ["assets", str(dest)])
    assert result.exit_code == 0 and "map assets installed in" in result.output


def test_the_installed_assets_are_the_pinned_files(tmp_path):
    """The set-up fetched the assets with this same function: every file a map inlines is there, with its
    licence, and the folder records the pinned versions."""
    folder = map_assets.asset_dir()
    assert (folder / "VERSIONS").read_text() == map_assets._stamp()
    for _, _, _, files in map_assets.PACKAGES:
        for rel in files.values():
            assert (folder / rel).is_file() and (folder / rel).stat().st_size > 0, rel
