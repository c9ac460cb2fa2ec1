"""Speaker embeddings from Resemblyzer's pretrained voice encoder.

The network and its features are rebuilt here rather than imported from the ``resemblyzer``
package: that package imports ``webrtcvad``, which needs ``pkg_resources``, which current
setuptools no longer ships; and we only need the encoder, not its librosa-based loader. The
weights are the ones the package installs (``resemblyzer/pretrained.pt``), and the features
match its ``wav_to_mel_spectrogram``: 40 mel bands of the power spectrum, 25 ms windows every
10 ms, at 16 kHz.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from transcribe.errors import TranscribeError

SAMPLE_RATE = 16_000
HOP = 160  # 10 ms
N_FFT = 400  # 25 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # the encoder was trained on 1.6 s partial utterances
_TARGET_DBFS = -30.0  # Resemblyzer normalises every input to this loudness

FloatArray = npt.NDArray[np.float32]


class VoiceEncoderError(TranscribeError):
    """The voice encoder weights are missing or unreadable."""


def default_weights() -> Path:
    """Return the path of the weights shipped by the resemblyzer package (without importing it)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise VoiceEncoderError("resemblyzer is not installed; it ships the voice encoder weights")
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


class _Network(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw: torch.Tensor = torch.relu(self.linear(hidden[-1]))
        norm: torch.Tensor = torch.linalg.vector_norm(raw, dim=1, keepdim=True)
        return raw / norm.clamp_min(1e-8)


class VoiceEncoder:
    """Turns 1.6 s stretches of 16 kHz speech into L2-normalised 256-d speaker embeddings."""

    def __init__(self, weights: Path | None = None, threads: int = 1) -> None:
        self._threads = threads
        path = weights or default_weights()
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError) as exc:
            raise VoiceEncoderError(f"cannot load voice encoder weights from {path}") from exc
        self._net = _Network()
        # The checkpoint also holds the training-only similarity scale and bias.
        self._net.load_state_dict(checkpoint["model_state"], strict=False)
        self._net.eval()
        self._filters = torch.from_numpy(mel_filters())

    def mel_frames(self, audio: FloatArray) -> FloatArray:
        """Return the (frames, 40) mel power spectrogram of `audio` after loudness normalisation."""
        rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
        gain = 10 ** (_TARGET_DBFS / 20) / rms if rms > 1e-6 else 1.0
        wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32) * np.float32(gain))
        window = torch.hann_window(N_FFT, periodic=True)
        spec = torch.stft(wave, N_FFT, HOP, window=window, center=True, return_complex=True)
        power = spec.abs().square()
        mel: FloatArray = (self._filters @ power).T.contiguous().numpy()
        return mel

    def embed(self, mels: FloatArray, starts: list[int]) -> FloatArray:
        """Embed the PARTIAL_FRAMES-long stretches of `mels` that begin at `starts` (frame indices)."""
        if not starts:
            return np.zeros((0, 256), dtype=np.float32)
        padded = np.pad(mels, ((0, PARTIAL_FRAMES), (0, 0)))
        batch = np.stack([padded[s : s + PARTIAL_FRAMES] for s in starts])
        with torch.inference_mode(), _torch_threads(self._threads):
            out: FloatArray = self._net(torch.from_numpy(batch)).numpy()
        return out


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    """Run torch with `count` intra-op threads, then restore the process setting.

    Right after Whisper, CTranslate2's OpenMP workers are still spinning; a multi-threaded LSTM
    then fights them for the cores and runs several times slower than on one thread (measured:
    1.1 s on one thread against 6-13 s on two, on a busy 2-core machine).
    """
    previous = torch.get_num_threads()
    if count == previous:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def mel_filters() -> FloatArray:
    """Slaney-style mel filterbank (librosa's default), shape (N_MELS, N_FFT // 2 + 1)."""
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2 : N_MELS + 2] - edges[:N_MELS]))[:, None]
    return weights.astype(np.float32)


# Slaney's mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = float(np.log(6.4) / 27.0)


def _hz_to_mel(hz: float) -> float:
    if hz < _MIN_LOG_HZ:
        return hz / _F_SP
    return _MIN_LOG_MEL + float(np.log(hz / _MIN_LOG_HZ)) / _LOG_STEP


def _mel_to_hz(mels: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    linear = _F_SP * mels
    log = _MIN_LOG_HZ * np.exp(_LOG_STEP * (mels - _MIN_LOG_MEL))
    return np.where(mels >= _MIN_LOG_MEL, log, linear)
