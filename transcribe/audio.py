"""Decode and validate uploaded call recordings with PyAV.

Every upload becomes float32 samples at 16 kHz, one row per channel, because that is what
Whisper and the speaker encoder read. Files are opened through a file object, never by name,
so FFmpeg identifies the container from its bytes: a text file called ``call.wav`` is refused.

Errors (see ``errors.py``): ``AudioDecodeError`` for empty, non-audio, truncated or corrupt
files; ``AudioTooLongError`` when the recording is longer than ``max_duration_s``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
import numpy.typing as npt

from transcribe.errors import AudioDecodeError, AudioTooLongError

SAMPLE_RATE = 16_000
# A decode that yields this much less than the container declares means the file was cut short.
_TRUNCATION_TOLERANCE_S = 0.5
_TRUNCATION_TOLERANCE_RATIO = 0.02
# FFmpeg demuxers that accept almost any bytes; finding one of them means "not audio".
# Telephone codecs (AMR) send comfort-noise and no-data frames of a few bytes during silence;
# FFmpeg cannot decode some of them, and they carry no speech, so they become silence.
_SPEECHLESS_PACKET_BYTES = 8
# Damaged frames are replaced by silence too, until they are most of the file.
_MAX_FAILED_PACKETS = 8
_NON_AUDIO_FORMATS = frozenset({"tty", "image2", "image2pipe", "txt", "srt", "webvtt", "ass"})

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the container says about a recording, before decoding it."""

    duration_s: float
    channels: int
    sample_rate: int
    codec: str
    container: str = ""


def looks_like_audio(path: Path) -> bool:
    """Return True when the file's bytes hold an audio stream FFmpeg can read (name ignored)."""
    try:
        probe_audio(path)
    except AudioDecodeError:
        return False
    return True


def probe_audio(path: Path) -> AudioInfo:
    """Read the container header of `path` without decoding the samples.

    Raises:
        AudioDecodeError: the file is missing, empty, or holds no readable audio stream.
    """
    with _open(path) as (container, stream):
        return _info(path, container, stream)


def decode_audio(path: Path, *, max_duration_s: float | None = None) -> FloatArray:
    """Decode `path` to float32 16 kHz samples shaped (channels, samples).

    Mono and stereo keep their channels (a stereo call usually has one party per side);
    anything with more channels is mixed down to mono.

    Args:
        path: the recording.
        max_duration_s: refuse recordings longer than this many seconds.

    Returns:
        A C-contiguous array of shape (1, n) or (2, n), values in [-1, 1].

    Raises:
        AudioDecodeError: empty, not audio, truncated or corrupt.
        AudioTooLongError: longer than `max_duration_s`.
    """
    with _open(path) as (container, stream):
        info = _info(path, container, stream)
        _check_length(path, info.duration_s, max_duration_s)
        samples = _decode_stream(path, container, stream, info.channels, max_duration_s)
    decoded_s = samples.shape[1] / SAMPLE_RATE
    if samples.shape[1] == 0:
        raise AudioDecodeError(f"{path.name}: no audio samples could be decoded")
    if info.duration_s - decoded_s > max(
        _TRUNCATION_TOLERANCE_S, _TRUNCATION_TOLERANCE_RATIO * info.duration_s
    ):
        raise AudioDecodeError(
            f"{path.name} looks truncated: the header declares {info.duration_s:.1f} s "
            f"but only {decoded_s:.1f} s could be decoded"
        )
    return samples


@contextmanager
def _open(path: Path) -> Iterator[tuple[Any, Any]]:
    """Yield (container, first audio stream), mapping every FFmpeg failure to AudioDecodeError."""
    if not path.is_file():
        raise AudioDecodeError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path.name} is empty (0 bytes)")
    _check_wav_header(path)
    with path.open("rb") as handle:
        try:
            container = av.open(handle, mode="r")
        except (av.error.FFmpegError, ValueError, OSError) as exc:
            raise AudioDecodeError(f"{path.name} is not a readable audio file: {exc}") from exc
        with container:
            if container.format.name in _NON_AUDIO_FORMATS or not container.streams.audio:
                raise AudioDecodeError(f"{path.name} holds no audio stream")
            yield container, container.streams.audio[0]


def _info(path: Path, container: Any, stream: Any) -> AudioInfo:
    codec = stream.codec_context
    if codec is None or not codec.sample_rate:
        raise AudioDecodeError(f"{path.name}: the audio stream has no usable codec")
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    return AudioInfo(
        duration_s=duration,
        channels=int(codec.channels),
        sample_rate=int(codec.sample_rate),
        codec=str(codec.name),
        container=str(container.format.name),
    )


def _check_length(path: Path, duration_s: float, max_duration_s: float | None) -> None:
    if max_duration_s is not None and duration_s > max_duration_s:
        raise AudioTooLongError(
            f"{path.name} is {duration_s:.1f} s long; the limit is {max_duration_s:.1f} s"
        )


def _decode_stream(
    path: Path, container: Any, stream: Any, channels: int, max_duration_s: float | None
) -> FloatArray:
    out_channels = 2 if channels == 2 else 1
    resampler = av.AudioResampler(
        format="fltp", layout="stereo" if out_channels == 2 else "mono", rate=SAMPLE_RATE
    )
    chunks: list[FloatArray] = []
    total = failed = packets = 0
    for packet in container.demux(stream):
        if packet.size == 0:  # the demuxer's end-of-stream marker
            continue
        packets += 1
        before = len(chunks)
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            failed += packet.size > _SPEECHLESS_PACKET_BYTES
            if failed > _MAX_FAILED_PACKETS and failed > packets // 2:
                raise AudioDecodeError(f"{path.name} is corrupt: {exc}") from exc
            frames = []
            chunks.append(_silence(packet, out_channels))
        for frame in frames:
            chunks.extend(_as_float(out, out_channels) for out in resampler.resample(frame))
        total += sum(chunk.shape[1] for chunk in chunks[before:])
        # Containers without a declared length are checked as they decode.
        _check_length(path, total / SAMPLE_RATE, max_duration_s)
    chunks.extend(_as_float(out, out_channels) for out in resampler.resample(None))
    if not chunks:
        return np.zeros((out_channels, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32)


def _silence(packet: Any, channels: int) -> FloatArray:
    """Stand in for a packet the decoder refuses (AMR comfort-noise frames, a damaged frame)."""
    seconds = float(packet.duration * packet.time_base) if packet.duration and packet.time_base else 0.0
    return np.zeros((channels, round(seconds * SAMPLE_RATE)), dtype=np.float32)


def _as_float(frame: av.AudioFrame, channels: int) -> FloatArray:
    return np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(channels, -1)


def _check_wav_header(path: Path) -> None:
    """Refuse a RIFF/WAVE file whose data chunk is shorter than its header says.

    FFmpeg's wav demuxer silently shrinks the declared length to the bytes present, so a
    cut-off upload would otherwise pass as a shorter, valid call.
    """
    with path.open("rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        size = path.stat().st_size
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                raise AudioDecodeError(f"{path.name} is truncated: the WAV header has no data chunk")
            chunk_id, chunk_size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"data":
                # 0 and 0xFFFFFFFF are placeholders written by streaming recorders.
                if chunk_size not in (0, 0xFFFFFFFF) and handle.tell() + chunk_size > size + 1:
                    missing = handle.tell() + chunk_size - size
                    raise AudioDecodeError(
                        f"{path.name} is truncated: the WAV data chunk is missing {missing} bytes"
                    )
                return
            handle.seek(chunk_size + (chunk_size & 1), 1)
