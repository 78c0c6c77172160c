"""Speech for the `sound` modality: espeak-ng, 8 kHz, 8-bit mu-law."""

import io
import subprocess
import wave

import numpy as np

SOUND_RATE = 8000
SOUND_SECONDS = 2.0


def speak(text):
    """espeak-ng -> float [-1, 1] at SOUND_RATE, trimmed, <= SOUND_SECONDS.

    Raises:
        ImportError: without scipy (a build-time-only dependency).
    """
    try:
        from scipy import signal
    except ImportError as error:
        raise ImportError(
            "Building the clip-art benchmark needs scipy: `pip install scipy`."
        ) from error
    result = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "170", "--stdout", text],
        capture_output=True,
        timeout=60,
    )
    if result.returncode != 0:
        return None
    with wave.open(io.BytesIO(result.stdout)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    audio = pcm.astype(np.float64) / 32768.0
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    if loud.size == 0:
        return None
    audio = audio[loud[0] : loud[-1] + 1]
    audio = signal.resample_poly(audio, SOUND_RATE, rate)
    limit = int(SOUND_RATE * SOUND_SECONDS)
    if audio.size > limit:
        audio = audio[:limit]
        fade = int(0.02 * SOUND_RATE)
        audio[-fade:] *= np.linspace(1.0, 0.0, fade)
    return np.clip(audio, -1.0, 1.0)


def mulaw_encode(audio):
    mu = 255.0
    y = np.sign(audio) * np.log1p(mu * np.abs(audio)) / np.log1p(mu)
    return np.round((y + 1.0) / 2.0 * mu).astype(np.uint8)
