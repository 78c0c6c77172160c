"""Descriptions: raw strings, tensorflow-text tokens, sentence/word vectors.

Two routes from text to vectors, as in CMPlaces (skip-thought sentence
vectors) and See-Hear-Read (word embeddings learned in the text tower):
`load_sentence_vectors` reads precomputed vectors (`.npy`, e.g. 4800-d
skip-thought), and `load_word_vectors` reads word2vec / GloVe text files into
a vocabulary and matrix that a text tower can use to initialise its
embedding; `tokenize` gives that tower's tokens.
"""

import numpy as np
import tensorflow as tf

try:
    import tensorflow_text
except ImportError as error:
    raise ImportError(
        "cm_zoo.data.descriptions needs tensorflow-text: "
        "`pip install tensorflow-text==2.21.*`."
    ) from error

ON_EMPTY = ("raise", "skip")


def check_descriptions(texts, on_empty="raise"):
    """Validates raw description strings.

    Args:
        texts: sequence of str.
        on_empty: str. `"raise"` raises on an empty (or blank) text; `"skip"`
            drops them.

    Returns:
        `(texts, kept)`: object array of the kept strings, and the int64
        indices of the kept entries in the input.

    Raises:
        ValueError: for an empty description (naming its index) under
            `on_empty="raise"`, or an unknown `on_empty`.

    Example:
    >>> texts, kept = cm_zoo.data.check_descriptions(
    ...     ["a red barn", " ", "sea"], on_empty="skip")
    >>> list(texts), kept.tolist()
    (['a red barn', 'sea'], [0, 2])
    """
    if on_empty not in ON_EMPTY:
        raise ValueError(
            f"`on_empty` must be one of {list(ON_EMPTY)}. "
            f"Received: on_empty={on_empty!r}"
        )
    kept = []
    for index, text in enumerate(texts):
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if text.strip():
            kept.append(index)
        elif on_empty == "raise":
            raise ValueError(
                f"description {index} is empty: expected non-blank text, "
                f"found {text!r}. Pass on_empty='skip' to drop it."
            )
    out = np.empty(len(kept), dtype=object)
    out[:] = [texts[i] for i in kept]
    return out, np.array(kept, np.int64)


def tokenize(texts):
    """Lower-cases and splits text into words with tensorflow-text.

    Uses `tensorflow_text.UnicodeScriptTokenizer`, so punctuation becomes
    its own token and runs of letters stay together.

    Args:
        texts: str tensor or array, shape `[N]`.

    Returns:
        `tf.RaggedTensor` of tokens, shape `[N, None]`, dtype string.

    Example:
    >>> tokens = cm_zoo.data.tokenize(["A red Barn.", "sea"])
    >>> [[t.decode() for t in row] for row in tokens.to_list()]
    [['a', 'red', 'barn', '.'], ['sea']]
    """
    texts = tf.strings.lower(tf.convert_to_tensor(texts, tf.string))
    return tensorflow_text.UnicodeScriptTokenizer().tokenize(texts)


def load_sentence_vectors(path, num_rows=None, dim=None):
    """Loads precomputed sentence vectors (one row per description).

    Args:
        path: str. A `.npy` file of shape `[N, D]`.
        num_rows: int. Expected `N` (the number of descriptions), if known.
        dim: int. Expected `D` (4800 for combine-skip skip-thought), if known.

    Returns:
        float32 array `[N, D]`.

    Raises:
        ValueError: if the file is not 2-D, its shape differs from the
            expected one, or it holds non-finite values.
    """
    vectors = np.load(path, allow_pickle=False)
    if vectors.ndim != 2:
        raise ValueError(
            f"Sentence-vector file {path!r}: expected a 2-D array "
            f"[num_descriptions, dim], found shape {vectors.shape}."
        )
    for name, expected, found in (
        ("rows", num_rows, vectors.shape[0]),
        ("dim", dim, vectors.shape[1]),
    ):
        if expected is not None and expected != found:
            raise ValueError(
                f"Sentence-vector file {path!r}: expected {name}={expected}, "
                f"found {name}={found}."
            )
    if not np.all(np.isfinite(vectors)):
        raise ValueError(
            f"Sentence-vector file {path!r} holds NaN or infinite values."
        )
    return vectors.astype(np.float32)


def load_word_vectors(path, max_words=None):
    """Reads word vectors in word2vec or GloVe text format.

    word2vec text files start with a `count dim` header line; GloVe files
    have none. Every other line is `word v1 ... vD`. The first occurrence of
    a word wins.

    Args:
        path: str. The text file (UTF-8).
        max_words: int. Read at most this many words. Defaults to all.

    Returns:
        `(vocabulary, matrix)`: list of str and float32 array `[V, D]`.

    Raises:
        ValueError: for an empty file or a line whose width differs from the
            first vector's, naming the file and line.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "glove.txt")
    >>> _ = open(path, "w").write("barn 1 0\\nsea 0 1\\n")
    >>> vocab, matrix = cm_zoo.data.load_word_vectors(path)
    >>> vocab, matrix.shape
    (['barn', 'sea'], (2, 2))
    """
    vocabulary, rows, seen = [], [], set()
    dim = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            parts = line.rstrip().split(" ")
            if (
                number == 1
                and len(parts) == 2
                and all(p.isdigit() for p in parts)
            ):
                dim = int(parts[1])
                continue
            if len(parts) < 2:
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise ValueError(
                    f"Word-vector file {path}:{number}: expected {dim} "
                    f"values, found {len(parts) - 1}."
                )
            if parts[0] in seen:
                continue
            seen.add(parts[0])
            vocabulary.append(parts[0])
            rows.append(np.array(parts[1:], np.float32))
            if max_words is not None and len(vocabulary) >= max_words:
                break
    if not rows:
        raise ValueError(
            f"Word-vector file {path!r}: expected word2vec/GloVe lines "
            "'word v1 ... vD', found none."
        )
    return vocabulary, np.stack(rows)
