"""Settings: the only place the environment is read.

Every setting is `DEALSIGNAL_<NAME>` in the environment or `.env`; nested groups use `__`,
e.g. `DEALSIGNAL_TRANSCRIBE__COMPUTE_TYPE=int8`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.ratelimit import RateLimits
from api.read_cache import ReadCacheSettings
from api.webhooks.service import WebhookSettings
from extract.analyzer import ExtractOptions
from transcribe.types import TranscribeOptions


class TranscribeSettings(BaseModel):
    """Speech recognition; a larger CTranslate2 Whisper model can be dropped in by path."""

    model_dir: str | None = None
    compute_type: str = "int8"
    beam_size: int = Field(default=1, ge=1, le=10)
    cpu_threads: int = Field(default=2, ge=1, le=64)
    max_duration_s: float = Field(default=4 * 3600.0, gt=0)
    rep_channel: Literal["left", "right"] | None = None

    def options(self) -> TranscribeOptions:
        """Return the stage's option dataclass."""
        return TranscribeOptions(
            model_dir=self.model_dir,
            compute_type=self.compute_type,
            beam_size=self.beam_size,
            cpu_threads=self.cpu_threads,
            max_duration_s=self.max_duration_s,
            rep_channel=self.rep_channel,
        )


class ExtractSettings(BaseModel):
    """Signal extraction."""

    framework: Literal["MEDDICC", "BANT", "SPICED"] = "MEDDICC"
    competitors: list[str] | None = None  # None: the built-in list
    heads_dir: str | None = None

    def options(self) -> ExtractOptions:
        """Return the stage's option dataclass."""
        base = ExtractOptions(framework=self.framework, heads_dir=self.heads_dir)
        if self.competitors is None:
            return base
        return ExtractOptions(
            framework=self.framework, heads_dir=self.heads_dir, competitors=tuple(self.competitors)
        )


class RunnerSettings(BaseModel):
    """Where calls are processed: in this process (default) or by Celery workers."""

    kind: Literal["inprocess", "celery"] = "inprocess"
    workers: int = Field(default=1, ge=1, le=16)
    poll_interval_s: float = Field(default=0.5, gt=0)
    broker_url: str = "redis://127.0.0.1:6379/0"  # amqp://guest:guest@127.0.0.1:5672// works too
    queue: str = "dealsignal.calls"
    lease_s: float = Field(default=60.0, gt=0)  # a worker renews its call's lease; others take over after it
    rescore_interval_s: float = Field(default=3600.0, ge=0)  # re-score every deal this often; 0: never


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEALSIGNAL_",
        env_file=".env",
        env_ignore_empty=True,
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("var")
    database_url: str | None = None  # None: SQLite file under data_dir
    max_upload_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    max_json_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    transcribe: TranscribeSettings = TranscribeSettings()
    extract: ExtractSettings = ExtractSettings()
    runner: RunnerSettings = RunnerSettings()
    rate_limit: RateLimits = RateLimits()  # per API key: DEALSIGNAL_RATE_LIMIT__PER_SECOND, __BURST
    webhooks: WebhookSettings = WebhookSettings()  # DEALSIGNAL_WEBHOOKS__MAX_ATTEMPTS and so on
    read_cache: ReadCacheSettings = ReadCacheSettings()  # DEALSIGNAL_READ_CACHE__AUTH_TTL_S, …

    @property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dealsignal.db').resolve()}"

    @property
    def audio_dir(self) -> Path:
        """Folder where uploaded audio is stored by content digest."""
        return self.data_dir / "audio"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (tests override the dependency)."""
    return Settings()
