"""Speech for the `sound` modality: espeak-ng, 8 kHz, 8-bit mu-law."""

import io
import subprocess
import wave

import numpy as np

SOUND_RATE = 8000
SOUND_SECONDS = 2.0
VOICE = ("en-us", 170, 50)  # espeak-ng voice, words per minute, pitch
# Out-of-distribution speech: other voices, speeds and pitches.
OOD_VOICES = (
    "en-gb-scotland",
    "en-gb-x-rp+f3",
    "en-029",
    "en-us-nyc+m3",
    "en-gb-x-gbclan+f2",
    "en+klatt",
)
OOD_SPEEDS = (120, 220)
OOD_PITCHES = (20, 85)
OOD_LEAD_SECONDS = 0.3
OOD_NOISE = 0.01  # noise standard deviation, on a [-1, 1] scale


def ood_voice(variant):
    """`(voice, words per minute, pitch)` of an out-of-distribution item."""
    rng = np.random.default_rng(variant)
    return (
        OOD_VOICES[variant % len(OOD_VOICES)],
        int(rng.integers(*OOD_SPEEDS)),
        int(rng.integers(*OOD_PITCHES)),
    )


def with_room(audio, variant):
    """Leading silence and faint noise around an out-of-distribution clip."""
    rng = np.random.default_rng(variant)
    lead = np.zeros(int(rng.uniform(0.0, OOD_LEAD_SECONDS) * SOUND_RATE))
    audio = np.concatenate([lead, audio])
    audio = audio + rng.normal(0.0, OOD_NOISE, audio.shape)
    return np.clip(audio[: int(SOUND_RATE * SOUND_SECONDS)], -1.0, 1.0)


def speak(text, voice=VOICE):
    """espeak-ng -> float [-1, 1] at SOUND_RATE, trimmed, <= SOUND_SECONDS.

    Args:
        text: str. What is said.
        voice: tuple. `(espeak-ng voice, words per minute, pitch 0-99)`.

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
        [
            "espeak-ng",
            "-v",
            voice[0],
            "-s",
            str(voice[1]),
            "-p",
            str(voice[2]),
            "--stdout",
            text,
        ],
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
