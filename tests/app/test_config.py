"""Settings files: presets inherit the defaults, regions override, bad files name the file and the key."""

import pytest

from boundaries.app.config import load_config
from boundaries.errors import InputError


def test_presets_extend_the_defaults_and_keep_region_exceptions():
    config = load_config("locality")
    assert config.run.preset == "locality"
    south_west = config.for_region("South West")
    assert [g.lad for g in south_west.lad_groups] == ["E06000053"]
    assert "Scilly" in south_west.lad_groups[0].reason
    assert config.for_region("north east").lad_groups == ()


def test_a_bare_name_is_a_built_in_file_and_a_path_is_the_planners(tmp_path, monkeypatch):
    assert load_config("hub").run.preset == "hub"
    with pytest.raises(InputError, match="did you mean 'hub'.*built-in: consortium, default, hub, locality"):
        load_config("hubb")
    mine = tmp_path / "mine.toml"
    mine.write_text('extends = "consortium"\n[run]\ntime_limit = 42\n')
    monkeypatch.chdir(tmp_path)
    config = load_config("mine.toml")  # a file in the current folder, starting from a built-in one
    assert (config.run.preset, config.run.time_limit) == ("consortium", 42)
    assert config.for_region("South West").lad_groups  # the default file's nesting exceptions came along


def test_command_line_overrides_win():
    settings = load_config("default").for_region("London", time_limit=7, backend="highs")
    assert settings.time_limit == 7 and settings.backend == "highs"
    assert settings.problem_settings()["lad_groups"] == {"E09000001": "E09000012"}


@pytest.mark.parametrize(
    "text, field",
    [
        ('[run]\npreset = "huge"\n', "[run] preset"),
        ('[run]\nnesting = "loose"\n', "[run] nesting"),
        ("[run]\ntime_limit = -3\n", "[run] time_limit"),
        ("[run]\ngap = 2\n", "[run] gap"),
        ('[run]\ncolour = "red"\n', "[run]"),
        ("[run]\n[weights]\nbeauty = 1\n", "[weights] beauty"),
        ('[regions."London"]\nlad_groups = [{ lad = "E09000001" }]\n', '[regions."London"] lad_groups'),
    ],
)
def test_bad_settings_name_file_and_field(tmp_path, text, field):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert str(path) in str(caught.value) and field in str(caught.value)


def test_broken_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[run\npreset=")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(path)


def test_a_consultation_address_must_be_an_email_address():
    from boundaries.app.config import load_config
    from boundaries.errors import InputError

    assert load_config(None).for_region("North East", comment_email="consult@nhs.example").comment_email
    with pytest.raises(InputError, match="is not an email address"):
        load_config(None).for_region("North East", comment_email="consult@nhs.example' onclick='x")
