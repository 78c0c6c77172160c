"""Readers of one list-file record's file: a picture, a sound or a text.

Each reads one file and raises a `ValueError` naming it when it holds
nothing usable: pictures are decoded by PIL to uint8 RGB, sounds (16-bit
PCM WAV, or FLAC with the optional `soundfile`) to mono float32 resampled
to the asked rate, descriptions to UTF-8 bytes.
"""

import io
import wave

import numpy as np
from PIL import Image


def decode_image_file(path, image_size):
    """Reads a JPEG/PNG file as uint8 RGB `[image_size, image_size, 3]`.

    Raises:
        ValueError: for an empty or undecodable file, naming it.
        OSError: for a missing file.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if not raw:
        raise ValueError(f"image file {path!r} is empty (0 bytes).")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image = image.convert("RGB")
    except OSError as error:
        raise ValueError(
            f"image file {path!r} is not a decodable JPEG/PNG: {error}"
        ) from error
    image = image.resize((image_size, image_size), Image.BILINEAR)
    return np.asarray(image, np.uint8)


def read_text_file(path):
    """Reads a description file; raises `ValueError` when it is empty."""
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not text:
        raise ValueError(f"description file {path!r} is empty.")
    return text.encode("utf-8")


def read_wav_file(path, rate=16000):
    """Reads 16-bit PCM WAV (mono or mixed down) as float32 at `rate`.

    A file recorded at another rate is resampled to `rate` (band-limited,
    by `resample`).
    """
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(
                f"sound file {path!r}: expected 16-bit PCM WAV, found "
                f"{8 * w.getsampwidth()}-bit."
            )
        file_rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        pcm = pcm.reshape(-1, w.getnchannels()).mean(axis=1)
    if pcm.size == 0:
        raise ValueError(f"sound file {path!r} has no samples.")
    return resample((pcm / 32768.0).astype(np.float32), file_rate, rate)


def read_sound_file(path, rate=16000):
    """Reads a WAV or FLAC file as mono float32 at `rate` (resampled).

    FLAC needs the optional `soundfile` package.

    Raises:
        ImportError: for a `.flac` file without `soundfile`, with the
            install command.
        ValueError: for a file that holds no samples or is not 16-bit WAV.
    """
    if not str(path).lower().endswith(".flac"):
        return read_wav_file(path, rate)
    try:
        import soundfile
    except ImportError:
        raise ImportError(
            f"Reading the FLAC file {path!r} needs soundfile: "
            "`pip install soundfile`."
        ) from None
    samples, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    if samples.size == 0:
        raise ValueError(f"sound file {path!r} has no samples.")
    return resample(samples.mean(axis=1), file_rate, rate)


def resample(samples, from_rate, to_rate):
    """Resamples a 1-D float32 signal from `from_rate` to `to_rate` Hz.

    The spectrum is cut (or zero-padded) at the new Nyquist frequency and
    transformed back, the band-limited resampling of
    `scipy.signal.resample`; a signal already at `to_rate` is returned as
    it is.

    Example:
    >>> from cm_zoo.data.file_readers import resample
    >>> t = np.arange(8000) / 8000
    >>> y = resample(np.sin(2 * np.pi * 440 * t).astype("float32"), 8000,
    ...              16000)
    >>> y.shape, y.dtype, bool(np.abs(y).max() < 1.01)
    ((16000,), dtype('float32'), True)
    """
    if int(from_rate) == int(to_rate):
        return samples
    length = max(1, round(len(samples) * to_rate / from_rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    kept = min(len(spectrum), length // 2 + 1)
    out = np.fft.irfft(spectrum[:kept], n=length) * (length / len(samples))
    return out.astype(np.float32)
