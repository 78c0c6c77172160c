"""Data: the embedded clip-art benchmark, list-file readers, pipelines."""

from cm_zoo.data import clipart_benchmark
from cm_zoo.data import clipart_build
from cm_zoo.data import descriptions
from cm_zoo.data import file_readers
from cm_zoo.data import list_files
from cm_zoo.data import pipelines
from cm_zoo.data import spatial_text
from cm_zoo.data.descriptions import check_descriptions
from cm_zoo.data.descriptions import load_sentence_vectors
from cm_zoo.data.descriptions import load_word_vectors
from cm_zoo.data.descriptions import tokenize
from cm_zoo.data.file_readers import decode_image_file
from cm_zoo.data.list_files import ListFileReport
from cm_zoo.data.list_files import make_list_dataset
from cm_zoo.data.list_files import read_list_file
from cm_zoo.data.pipelines import make_eval_dataset
from cm_zoo.data.pipelines import make_multimodal_dataset
from cm_zoo.data.spatial_text import parse_annotation
from cm_zoo.data.spatial_text import render_annotation_file
from cm_zoo.data.spatial_text import render_spatial_text

__all__ = [
    "ListFileReport",
    "check_descriptions",
    "clipart_benchmark",
    "clipart_build",
    "decode_image_file",
    "descriptions",
    "file_readers",
    "list_files",
    "load_sentence_vectors",
    "load_word_vectors",
    "make_eval_dataset",
    "make_list_dataset",
    "make_multimodal_dataset",
    "parse_annotation",
    "pipelines",
    "read_list_file",
    "render_annotation_file",
    "render_spatial_text",
    "spatial_text",
    "tokenize",
]
