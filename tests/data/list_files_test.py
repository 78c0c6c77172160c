import io
import os
import sys
import wave

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cm_zoo import data


def _write_image(path, color, fmt):
    Image.new("RGB", (20, 12), color).save(path, format=fmt)


def _write_list(tmp_path, lines):
    list_path = tmp_path / "list.txt"
    list_path.write_text("".join(f"{line}\n" for line in lines))
    return str(list_path)


@pytest.fixture
def image_dir(tmp_path):
    (tmp_path / "img").mkdir()
    _write_image(tmp_path / "img" / "red.jpg", (255, 0, 0), "JPEG")
    _write_image(tmp_path / "img" / "blue.png", (0, 0, 255), "PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (20, 12), "green").save(jpeg, format="JPEG")
    (tmp_path / "img" / "corrupt.jpg").write_bytes(jpeg.getvalue()[:40])
    (tmp_path / "img" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    (tmp_path / "img" / "empty.jpg").write_bytes(b"")
    return tmp_path


def _collect(dataset):
    return [(x.numpy(), int(y)) for x, y in dataset]


def test_decodes_jpeg_and_png_in_list_order(image_dir):
    list_path = _write_list(image_dir, ["img/red.jpg 1", "img/blue.png 0"])
    dataset, report = data.make_list_dataset(list_path, "natural", image_size=8)
    (red, red_label), (blue, blue_label) = _collect(dataset)
    assert red.shape == (8, 8, 3) and red.dtype == np.uint8
    assert red[..., 0].mean() > 200 and red[..., 2].mean() < 50
    assert blue[..., 2].mean() > 200 and (red_label, blue_label) == (1, 0)
    assert report.num_skipped == 0


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("img/corrupt.jpg", "not a decodable"),
        ("img/corrupt.png", "not a decodable"),
        ("img/empty.jpg", "empty"),
        ("img/missing.jpg", "No such file"),
    ],
)
def test_bad_file_raises_naming_it(image_dir, bad, reason):
    list_path = _write_list(image_dir, ["img/red.jpg 0", f"{bad} 1"])
    dataset, _ = data.make_list_dataset(list_path, "clipart", image_size=8)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=f"(?s){os.path.basename(bad)}.*{reason}",
    ):
        _collect(dataset)


def test_skip_drops_only_bad_records_and_counts_them(image_dir):
    lines = [
        "img/red.jpg 0",
        "img/corrupt.jpg 1",
        "img/empty.jpg 2",
        "img/missing.png 3",
        "img/blue.png 4",
        "img/corrupt.png 5",
    ]
    list_path = _write_list(image_dir, lines)
    dataset, report = data.make_list_dataset(
        list_path, "sketch", image_size=8, on_corrupt="skip"
    )
    with pytest.warns(UserWarning, match="Skipping"):
        batches = list(dataset.batch(4))
    labels = np.concatenate([y.numpy() for _, y in batches]).tolist()
    assert labels == [0, 4]
    assert report.num_skipped == 4
    assert sorted(os.path.basename(p) for p, _ in report.skipped) == [
        "corrupt.jpg",
        "corrupt.png",
        "empty.jpg",
        "missing.png",
    ]


def test_unknown_label_names_the_line(tmp_path):
    list_path = _write_list(tmp_path, ["a.jpg bedroom", "b.jpg attic"])
    with pytest.raises(ValueError, match=r"Unknown label 'attic'.*list.txt:2"):
        data.read_list_file(list_path, class_names=["bedroom", "kitchen"])
    list_path = _write_list(tmp_path, ["a.jpg 0", "b.jpg 7"])
    with pytest.raises(ValueError, match=r"Unknown label 7.*\[0, 2\)"):
        data.read_list_file(list_path, class_names=["bedroom", "kitchen"])


def test_malformed_line_and_bad_arguments_raise(tmp_path):
    list_path = _write_list(tmp_path, ["just_a_path.jpg"])
    with pytest.raises(ValueError, match="Malformed line.*list.txt:1"):
        data.read_list_file(list_path)
    list_path = _write_list(tmp_path, ["a.jpg 0"])
    with pytest.raises(ValueError, match="on_corrupt"):
        data.make_list_dataset(
            list_path, "natural", image_size=8, on_corrupt="ignore"
        )
    with pytest.raises(ValueError, match="image_size"):
        data.make_list_dataset(list_path, "natural")
    with pytest.raises(ValueError, match="Unknown modality"):
        data.make_list_dataset(list_path, "video", image_size=8)


def test_description_list_reads_text_and_rejects_empty(tmp_path):
    (tmp_path / "a.txt").write_text("A quiet bedroom.\n")
    (tmp_path / "b.txt").write_text("  \n")
    list_path = _write_list(tmp_path, ["a.txt 0", "b.txt 1"])
    dataset, _ = data.make_list_dataset(list_path, "description")
    with pytest.raises(tf.errors.InvalidArgumentError, match="b.txt.*is empty"):
        _collect(dataset)
    dataset, report = data.make_list_dataset(
        list_path, "description", on_corrupt="skip"
    )
    with pytest.warns(UserWarning):
        rows = _collect(dataset)
    assert rows == [(b"A quiet bedroom.", 0)] and report.num_skipped == 1


def test_sound_list_reads_wav_and_resamples_other_rates(tmp_path):
    tone = np.sin(2 * np.pi * 200 * np.arange(800) / 8000)
    for name, rate, width, pcm in (
        ("ok.wav", 16000, 2, np.array([0, 16384, -16384], "<i2")),
        ("slow.wav", 8000, 2, (tone * 16384).astype("<i2")),
        ("8bit.wav", 16000, 1, np.array([0, 200, 50], "u1")),
    ):
        with wave.open(str(tmp_path / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(width)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
    dataset, _ = data.make_list_dataset(
        _write_list(tmp_path, ["ok.wav 0", "slow.wav 1"]), "sound"
    )
    (x, _), (slow, _) = _collect(dataset)
    np.testing.assert_allclose(x, [0.0, 0.5, -0.5])
    expected = 0.5 * np.sin(2 * np.pi * 200 * np.arange(1600) / 16000)
    np.testing.assert_allclose(slow, expected, atol=2e-3)
    dataset, _ = data.make_list_dataset(
        _write_list(tmp_path, ["8bit.wav 0"]), "sound"
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="16-bit PCM"):
        _collect(dataset)


def test_flac_without_soundfile_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "soundfile", None)
    with pytest.raises(ImportError, match="pip install soundfile"):
        data.file_readers.read_sound_file(str(tmp_path / "a.flac"))


def test_spatial_text_list_renders_xml(tmp_path):
    (tmp_path / "room.xml").write_text(
        "<annotation><imagesize><nrows>100</nrows><ncols>100</ncols>"
        "</imagesize><object><name>bed</name><polygon>"
        "<pt><x>10</x><y>10</y></pt><pt><x>90</x><y>10</y></pt>"
        "<pt><x>90</x><y>90</y></pt></polygon></object></annotation>"
    )
    dataset, _ = data.make_list_dataset(
        _write_list(tmp_path, ["room.xml 3"]), "spatial_text", image_size=32
    )
    ((x, y),) = _collect(dataset)
    assert x.shape == (32, 32, 3) and y == 3 and (x < 128).any()


def test_cache_reads_each_file_once(image_dir):
    list_path = _write_list(image_dir, ["img/red.jpg 0", "img/blue.png 1"])
    dataset, _ = data.make_list_dataset(
        list_path, "natural", image_size=8, cache=True
    )
    first = _collect(dataset)
    os.remove(image_dir / "img" / "red.jpg")
    second = _collect(dataset)
    assert [y for _, y in second] == [0, 1]
    np.testing.assert_array_equal(first[0][0], second[0][0])


def test_pictures_are_decoded_in_the_graph_not_by_python(
    image_dir, monkeypatch
):
    def python_decode(path, image_size):
        raise AssertionError(f"Python decoded {path}")

    monkeypatch.setattr(data.file_readers, "decode_image_file", python_decode)
    list_path = _write_list(image_dir, ["img/red.jpg 0", "img/blue.png 1"])
    dataset, report = data.make_list_dataset(list_path, "clipart", image_size=8)

    assert [y for _, y in _collect(dataset)] == [0, 1]
    assert report.num_skipped == 0


def test_grayscale_and_rgba_pngs_become_rgb(tmp_path):
    Image.new("L", (9, 7), 200).save(tmp_path / "gray.png")
    Image.new("RGBA", (9, 7), (0, 255, 0, 10)).save(tmp_path / "rgba.png")
    list_path = _write_list(tmp_path, ["gray.png 0", "rgba.png 1"])
    dataset, _ = data.make_list_dataset(list_path, "natural", image_size=4)

    (gray, _), (rgba, _) = _collect(dataset)

    np.testing.assert_array_equal(gray, np.full((4, 4, 3), 200, np.uint8))
    np.testing.assert_array_equal(rgba[..., 1], np.full((4, 4), 255))


def test_picture_only_pil_reads_is_named_with_the_reason(tmp_path):
    Image.new("RGB", (9, 7), "red").save(tmp_path / "a.jpg")
    Image.new("RGB", (9, 7), "red").save(tmp_path / "b.tiff")
    list_path = _write_list(tmp_path, ["b.tiff 0", "a.jpg 1", "b.tiff 2"])

    dataset, report = data.make_list_dataset(
        list_path, "natural", image_size=4, on_corrupt="skip"
    )
    with pytest.warns(UserWarning, match=r"b\.tiff.*tf\.io\.decode_image"):
        rows = _collect(dataset)

    assert [y for _, y in rows] == [1]
    assert [os.path.basename(p) for p, _ in report.skipped] == ["b.tiff"] * 2


def _write_mixed_pictures(tmp_path):
    """12 list lines: distinct small pictures, 5 of them bad, in runs."""
    rng = np.random.default_rng(0)
    bad = {0: b"", 4: b"not a picture", 5: b"\x89PNG\r\n\x1a\nxx", 11: b""}
    lines = []
    for i in range(12):
        name = f"{i:02d}.png"
        if i in bad:
            (tmp_path / name).write_bytes(bad[i])
        elif i != 7:  # 07.png is listed but missing
            pixels = rng.integers(0, 256, (5 + i, 7, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / name)
        lines.append(f"{name} {i}")
    return _write_list(tmp_path, lines), [1, 2, 3, 6, 8, 9, 10]


def test_batches_are_full_and_equal_the_records_despite_bad_files(tmp_path):
    list_path, good = _write_mixed_pictures(tmp_path)
    one_by_one, _ = data.make_list_dataset(
        list_path, "natural", image_size=6, on_corrupt="skip"
    )
    batched, report = data.make_list_dataset(
        list_path, "natural", image_size=6, on_corrupt="skip", batch_size=3
    )
    with pytest.warns(UserWarning, match="Skipping"):
        records = _collect(one_by_one)
        batches = [(x.numpy(), y.numpy()) for x, y in batched]

    assert [len(y) for _, y in batches] == [3, 3, 1]
    assert np.concatenate([y for _, y in batches]).tolist() == good
    assert [y for _, y in records] == good
    np.testing.assert_array_equal(
        np.concatenate([x for x, _ in batches]), [x for x, _ in records]
    )
    assert [os.path.basename(p) for p, _ in report.skipped] == [
        "00.png",
        "04.png",
        "05.png",
        "07.png",
        "11.png",
    ]


def test_batched_raise_names_the_first_bad_file(tmp_path):
    list_path, _ = _write_mixed_pictures(tmp_path)
    (tmp_path / "00.png").unlink()  # now missing: still the first bad one
    dataset, _ = data.make_list_dataset(
        list_path, "sketch", image_size=6, batch_size=4
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="(?s)00.png.*No such file"
    ):
        _collect(dataset)


@pytest.mark.parametrize("bad_index", [4, None])
def test_batched_raise_sees_a_bad_last_block_and_yields_no_empty_batch(
    tmp_path, bad_index
):
    names = [f"{i}.png" for i in range(5)]
    for i, name in enumerate(names):
        if i == bad_index:
            (tmp_path / name).write_bytes(b"not a picture")
        else:
            Image.new("RGB", (6, 5), (i, 0, 0)).save(tmp_path / name)
    list_path = _write_list(tmp_path, [f"{n} {i}" for i, n in enumerate(names)])
    dataset, _ = data.make_list_dataset(
        list_path, "natural", image_size=4, batch_size=2
    )
    if bad_index is None:
        # The end mark that checks the tail adds no batch.
        labels = [y.numpy().tolist() for _, y in dataset]
        assert labels == [[0, 1], [2, 3], [4]]
        return
    with pytest.raises(tf.errors.InvalidArgumentError, match="4.png"):
        list(dataset)


def test_float32_pictures_are_what_keras_directory_reader_gives(tmp_path):
    rng = np.random.default_rng(1)
    names = ["c0/0.png", "c1/1.jpg", "c0/2.png"]  # Keras' order: 0, 2, 1
    for i, name in enumerate(names):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        pixels = rng.integers(0, 256, (13, 9 + i, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / name)
    list_path = _write_list(
        tmp_path, [f"{names[i]} {i % 2}" for i in (0, 2, 1)]
    )
    keras_reader = keras.utils.image_dataset_from_directory(
        tmp_path, image_size=(8, 8), batch_size=3, shuffle=False, verbose=False
    )
    ours, _ = data.make_list_dataset(
        list_path, "clipart", image_size=8, batch_size=3, dtype="float32"
    )
    rounded, _ = data.make_list_dataset(list_path, "clipart", image_size=8)

    ((x, y),) = [(x.numpy(), y.numpy()) for x, y in ours]
    ((x_keras, y_keras),) = [(x.numpy(), y.numpy()) for x, y in keras_reader]
    assert x.dtype == x_keras.dtype == np.float32
    np.testing.assert_array_equal(x, x_keras)
    np.testing.assert_array_equal(y, y_keras)
    assert (x != np.round(x)).any()
    np.testing.assert_array_equal(
        np.round(x), [r for r, _ in _collect(rounded)]
    )


@pytest.mark.parametrize(
    "modality, arguments, message",
    [
        ("sound", {"batch_size": 4}, "batch_size.*padded_batch"),
        ("natural", {"batch_size": 0, "image_size": 8}, "batch_size"),
        ("natural", {"batch_size": True, "image_size": 8}, "batch_size"),
        ("description", {"dtype": "float32"}, "dtype.*natural"),
        ("spatial_text", {"dtype": "float32", "image_size": 8}, "dtype"),
        ("natural", {"dtype": "float16", "image_size": 8}, "dtype='float16'"),
    ],
)
def test_bad_batch_size_or_dtype_raises(tmp_path, modality, arguments, message):
    list_path = _write_list(tmp_path, ["a.x 0"])
    with pytest.raises(ValueError, match=message):
        data.make_list_dataset(list_path, modality, **arguments)


def test_list_datasets_run_without_the_autotune_thread(image_dir):
    pictures = _write_list(image_dir, ["img/red.jpg 0", "img/blue.png 1"])
    (image_dir / "texts").mkdir()
    (image_dir / "texts" / "a.txt").write_text("a kitchen with a table")
    texts = _write_list(image_dir / "texts", ["a.txt 0"])
    for list_path, modality, kwargs in (
        (pictures, "clipart", {"image_size": 8}),
        (pictures, "clipart", {"image_size": 8, "batch_size": 2}),
        (texts, "description", {}),
    ):
        dataset, _ = data.make_list_dataset(list_path, modality, **kwargs)
        assert dataset.options().autotune.enabled is False, modality
        assert len(list(dataset)) >= 1
