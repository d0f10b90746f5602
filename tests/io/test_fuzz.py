"""``sktrain.load`` on damaged and crafted files: 600 seeded mutations of real
files (truncated, bit-flipped, member-swapped), each a ValueError with
sktrain's message; crafted files that name code never run it."""

import io
import json
import random
import sys
import warnings
import zipfile

import numpy as np
import pytest

import sktrain
from sktrain import KerasRegressor, MLPClassifier
from sktrain._io.archive import _sealed_zip

N_TRUNCATED, N_FLIPPED, N_SWAPPED = 150, 300, 150


@pytest.fixture(scope="module")
def saved(tmp_path_factory, binary_data):
    X, y = binary_data
    folder = tmp_path_factory.mktemp("fuzz")
    files = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in (
            MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
            KerasRegressor(epochs=1, random_state=0, model__hidden_layer_sizes=(4,)),
        ):
            path = folder / f"{type(est).__name__}.sktrain"
            est.fit(X, y.astype(float)).save(path)
            files[type(est).__name__] = path.read_bytes()
    return files


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rezip(members):
    """A zip with these members and a valid seal, as a crafted file would be."""
    members = dict(members)
    manifest = json.loads(members.pop("sktrain.json"))
    return _sealed_zip(manifest, members)


def _truncated(data, rng):
    return data[: rng.randrange(0, len(data))]


def _flipped(data, rng):
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 8])):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _swapped(data, rng, other):
    members = _members(data)
    names = [n for n in members if n != "sktrain.json"]
    kind = rng.choice(["swap", "foreign", "drop", "empty"])
    pairs = [(a, b) for a in names for b in names if a < b and members[a] != members[b]]
    if kind == "swap" and pairs:
        a, b = rng.choice(pairs)
        members[a], members[b] = members[b], members[a]
    elif kind == "foreign":
        foreign = {n: v for n, v in _members(other).items() if n != "sktrain.json"}
        name = rng.choice(names)
        choices = [v for v in foreign.values() if v != members[name]]
        members[name] = rng.choice(choices)
    elif kind in ("drop", "swap"):
        del members[rng.choice(names)]
    else:
        members[rng.choice(names)] = b""
    return _rezip(members)


def _load_fails_cleanly(path):
    with pytest.raises(ValueError) as info:
        sktrain.load(path)
    assert str(info.value).startswith(repr(str(path))), info.value
    return info.value


def test_mutated_files_all_raise_value_error(saved, tmp_path):
    rng = random.Random(0)
    names = sorted(saved)
    path = tmp_path / "mutant.sktrain"
    kinds = (
        ["truncated"] * N_TRUNCATED + ["flipped"] * N_FLIPPED + ["swapped"] * N_SWAPPED
    )
    for i, kind in enumerate(kinds):
        name = names[i % 2]
        data = saved[name]
        if kind == "truncated":
            mutant = _truncated(data, rng)
        elif kind == "flipped":
            mutant = _flipped(data, rng)
        else:
            mutant = _swapped(data, rng, saved[names[(i + 1) % 2]])
        assert mutant != data
        if kind == "swapped":
            assert _members(mutant) != _members(data)
        path.write_bytes(mutant)
        _load_fails_cleanly(path)
    assert len(kinds) >= 500


def test_unmutated_files_load(saved, tmp_path, binary_data):
    for name, data in saved.items():
        path = tmp_path / f"{name}.sktrain"
        path.write_bytes(data)
        assert sktrain.load(path).predict(binary_data[0]).shape == (120,)
        path.write_bytes(_rezip(_members(data)))  # re-sealed, same members
        sktrain.load(path)


def _canary(tmp_path, monkeypatch):
    (tmp_path / "sktrain_canary.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(tmp_path / 'ran')!r}).write_text('imported')\n"
        "def boom(*a, **k):\n    raise SystemExit('canary called')\n"
        "class Boom:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("sktrain_canary", None)


def _crafted(saved, edit):
    members = _members(saved["MLPClassifier"])
    manifest = json.loads(members["sktrain.json"])
    edit(manifest)
    members["sktrain.json"] = json.dumps(manifest).encode()
    return _rezip(members)


def test_crafted_function_is_not_imported_in_safe_mode(saved, tmp_path, monkeypatch):
    _canary(tmp_path, monkeypatch)

    def edit(manifest):
        manifest["params"]["loss"] = {"__function__": "sktrain_canary:boom"}

    path = tmp_path / "function.sktrain"
    path.write_bytes(_crafted(saved, edit))
    with pytest.warns(UserWarning, match="Not restored"):
        est = sktrain.load(path)
    assert est.loss is None
    assert "sktrain_canary" not in sys.modules
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    "config",
    [
        {"module": "sktrain_canary", "class_name": "Boom", "config": {}},
        {"module": "os", "class_name": "system", "config": {"command": "true"}},
        {
            "module": "keras.layers",
            "class_name": "Lambda",
            "config": {"function": {"module": "sktrain_canary", "class_name": "boom"}},
        },
    ],
    ids=["foreign-class", "os-system", "nested-foreign-module"],
)
def test_crafted_keras_config_naming_other_modules_is_refused(
    saved, tmp_path, monkeypatch, config
):
    _canary(tmp_path, monkeypatch)

    def edit(manifest):
        manifest["params"]["solver"] = {"__keras__": config}

    path = tmp_path / "keras.sktrain"
    path.write_bytes(_crafted(saved, edit))
    error = _load_fails_cleanly(path)
    assert "only rebuilds objects of Keras and sktrain" in str(error)
    assert "sktrain_canary" not in sys.modules
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(format_version=99),
        lambda m: m.update(format_version="2"),
        lambda m: m.update({"class": "Pipeline"}),
        lambda m: m["state"].update(_rng={"__object__": "Popen", "state": {}}),
        lambda m: m["state"].update(n_iter_={"__array__": "sktrain.json"}),
        lambda m: m["params"].update(alpha={"__nonsense__": 1}),
        lambda m: m.pop("digests"),
        lambda m: m.update(params=[1, 2]),
    ],
    ids=[
        "newer",
        "str-version",
        "foreign-class",
        "foreign-object",
        "bad-array",
        "unknown-tag",
        "no-digests",
        "params-list",
    ],
)
def test_crafted_manifests_raise_value_error(saved, tmp_path, edit):
    path = tmp_path / "crafted.sktrain"
    path.write_bytes(_crafted(saved, edit))
    _load_fails_cleanly(path)


def test_a_killed_save_leaves_the_old_file(tmp_path, binary_data, monkeypatch):
    X, y = binary_data
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    path = est.save(tmp_path / "keep.sktrain")
    before = path.read_bytes()

    def die(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("sktrain._io.archive.os.replace", die)
    with pytest.raises(KeyboardInterrupt):
        est.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.sktrain"]
    np.testing.assert_array_equal(sktrain.load(path).predict(X), est.predict(X))
