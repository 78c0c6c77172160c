import numpy as np
import pytest

from cm_zoo import data

ANNOTATION = """<annotation>
  <filename>kitchen.jpg</filename>
  <imagesize><nrows>200</nrows><ncols>400</ncols></imagesize>
  <object><name>stove</name><deleted>0</deleted><polygon>
    <pt><x>0</x><y>100</y></pt><pt><x>100</x><y>100</y></pt>
    <pt><x>100</x><y>200</y></pt><pt><x>0</x><y>200</y></pt></polygon>
  </object>
  <object><name>ghost</name><deleted>1</deleted><polygon>
    <pt><x>300</x><y>0</y></pt><pt><x>400</x><y>0</y></pt>
    <pt><x>400</x><y>100</y></pt></polygon></object>
  <object><name>window</name><deleted>0</deleted><polygon>
    <pt><x>300</x><y>0</y></pt><pt><x>400</x><y>0</y></pt>
    <pt><x>400</x><y>100</y></pt><pt><x>300</x><y>100</y></pt></polygon>
  </object>
</annotation>"""


def test_parse_keeps_named_undeleted_objects(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(ANNOTATION)
    objects, size = data.parse_annotation(str(path))
    assert [name for name, _ in objects] == ["stove", "window"]
    assert size == (200.0, 400.0)
    assert objects[0][1].shape == (4, 2)


def test_words_are_drawn_where_the_objects_are(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(ANNOTATION)
    image = data.render_annotation_file(str(path), 64)
    ink = image.min(axis=-1) < 128
    # stove: bottom-left quadrant; window: top-right; elsewhere blank.
    assert ink[32:, :32].any() and ink[:32, 32:].any()
    assert not ink[:32, :16].any() and not ink[40:, 48:].any()


def test_the_name_changes_the_image():
    square = np.array([[0, 0], [50, 0], [50, 50], [0, 50]], "float32")
    bed = data.render_spatial_text([("bed", square)], (50, 50), 48)
    sink = data.render_spatial_text([("sink", square)], (50, 50), 48)
    assert (bed != sink).any()


def test_bad_annotations_raise_naming_the_file(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<annotation><object>")
    with pytest.raises(ValueError, match="broken.xml.*not valid XML"):
        data.parse_annotation(str(broken))
    empty = tmp_path / "empty.xml"
    empty.write_text("<annotation><filename>x.jpg</filename></annotation>")
    with pytest.raises(ValueError, match="empty.xml.*found none"):
        data.parse_annotation(str(empty))
