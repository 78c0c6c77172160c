import pytest

from cm_zoo.atomic_files import atomic_directory


def test_directory_appears_only_when_complete(tmp_path):
    target = tmp_path / "nested" / "tree"
    stray = tmp_path / "nested" / "tree.partial"
    stray.mkdir(parents=True)
    (stray / "left_by_a_killed_writer.txt").write_text("old")
    with atomic_directory(target) as partial:
        assert not target.exists()
        (partial / "a.txt").write_text("a")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert not stray.exists()


def test_failed_writer_leaves_nothing(tmp_path):
    target = tmp_path / "tree"
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_directory(target) as partial:
            (partial / "half.txt").write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
