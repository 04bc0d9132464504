"""The one place that reads the environment.

Every process (scripts, Rasa, the action server, the chat client, tests)
gets its configuration from `get_settings()`. Variables are prefixed with
`OKPAY_`; see docs/configuration.md.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, List

from pydantic import BaseSettings, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDER_TOKENS = {"", "changeme", "change-me", "secret", "token", "password", "xxx", "todo"}
#: Shortest secret production accepts (HMAC keys, shared secrets).
MIN_SECRET_CHARS = 24
EMBEDDED, REPLICATED = "embedded", "replicated"
#: Settings whose values are secrets (tokens, keys): never in a ConfigMap (bot.deploy.kubernetes), masked wherever a
#: log line shows them (bot.logs.guard).
SECRET_SETTINGS = frozenset({
    "rasa_token", "action_secret", "widget_jwt_secret", "wechat_token", "wechat_app_secret", "wechat_aes_key",
    "telegram_token", "telegram_secret_token", "log_hash_key", "metrics_token",
})
#: Settings that are connection URLs, with the store's password in them: secrets too (logs mask their passwords).
CONNECTION_SETTINGS = frozenset({"database_url", "tracker_database_url", "redis_url", "event_stream"})
DEPLOYMENTS = (EMBEDDED, REPLICATED)


class Settings(BaseSettings):
    environment: str = "development"
    #: Rasa's server (REST channel and HTTP API).
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    #: Token of Rasa's HTTP API. Left empty, `bot.cli.serve` makes a random one
    #: per start; production must set it.
    rasa_token: str = ""
    #: The action server (`bot.actions`).
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    #: Shared secret Rasa sends to the action server (header X-OKPay-Action-Secret,
    #: endpoints.yml); the action server refuses calls without it. Left empty,
    #: `bot.cli.serve` makes a random one per start; production must set it.
    action_secret: str = ""
    #: SQLite file of the tracker store, relative to the project root.
    tracker_db: Path = Path("var/okpay.db")
    #: The event stream's URL (bot/stream: every event Rasa stores, for the console's live view): sqlite:///… or
    #: redis://…. Empty: `event_stream.db` beside `tracker_db` (embedded), `redis_url` (replicated).
    event_stream: str = ""
    models_dir: Path = Path("bot/models")
    log_dir: Path = Path("var/log")
    #: TensorFlow threads per Rasa process. Our models are small: one thread
    #: answers faster than several that wait for each other (measured).
    tf_threads: int = 1
    #: Seconds to wait for the servers to load before giving up.
    start_timeout: float = 180.0

    #: How the processes are laid out. "embedded" (default): SQLite files and
    #: one process each. "replicated": PostgreSQL (OKPAY_DATABASE_URL) for
    #: tickets and conversations, Redis (OKPAY_REDIS_URL) for conversation
    #: locks and socket.io, several Rasa and action-server processes behind
    #: nginx. See docs/deployment.md.
    deployment: str = "embedded"
    rasa_replicas: int = 2
    action_replicas: int = 2
    #: The load balancer's public address (replicated): webhooks and socket.io only.
    proxy_host: str = "127.0.0.1"
    proxy_port: int = 8080
    nginx_bin: Path = Path("/usr/sbin/nginx")
    #: Conversation tracker database (replicated); empty: the ticket database.
    tracker_database_url: str = ""
    #: Seconds one message may hold its conversation's lock; a lock left by a
    #: killed process frees itself after this (Rasa's TICKET_LOCK_LIFETIME).
    lock_lifetime_s: int = 20
    #: Alphanumeric prefix of the lock keys in Redis.
    lock_key_prefix: str = "okpay"

    #: The ticket store (tickets, agents, ratings). Empty: the SQLite file
    #: `ticket_db`. Production: a PostgreSQL URL such as
    #: postgresql://okpay@db.internal/okpay.
    database_url: str = ""
    ticket_db: Path = Path("var/tickets.db")

    #: Live support: when agents work, in which time zone, how many
    #: conversations one agent handles at once, and how long the queue may grow
    #: before new requests are recorded for a later reply instead.
    service_timezone: str = "Asia/Shanghai"
    service_hours: str = "09:00-21:00"
    #: ISO weekdays served (1 = Monday … 7 = Sunday), as "1-5" or "1,2,3,6".
    service_days: str = "1-7"
    agent_capacity: int = 3
    queue_limit: int = 30
    #: Estimated minutes per conversation, until enough have been handled to
    #: measure it.
    average_handling_minutes: float = 6.0
    #: An agent counts as available while the console has been seen this recently.
    presence_timeout_s: int = 90

    #: The agent console.
    console_host: str = "127.0.0.1"
    console_port: int = 5080
    console_session_hours: float = 8.0
    #: Cookies only over HTTPS. Unset: on in production (behind TLS), off
    #: elsewhere (http://127.0.0.1 development).
    console_secure_cookies: bool | None = None
    #: Sign-in throttle: this many failed sign-ins for one username from one
    #: client address, or from one client address for any usernames, within the
    #: window, and /api/login answers 429 to that address until the window has
    #: passed (kept in Redis when `redis_url` is set). A username is never locked
    #: for everyone, so nobody can lock agents out (bot/console/login_limit.py).
    console_login_max_failures: int = 5
    console_login_max_failures_per_ip: int = 20
    console_login_window_s: int = 900
    #: Reverse proxies (comma-separated IPs) whose X-Forwarded-For names the
    #: client; from any other peer the header is ignored. Behind a proxy, list
    #: it: otherwise every sign-in counts as the proxy's address, and one
    #: address's failures throttle everyone.
    console_trusted_proxies: str = ""
    #: Review queue (console, `python -m bot.insights.review`): user messages
    #: whose intent confidence is below this are collected for review. Above the
    #: NLU's fallback threshold (0.4 in config.yml), so it catches what the bot
    #: answered while unsure, not only what it gave up on.
    review_confidence_threshold: float = 0.6
    #: Where Rasa's callback channel posts the bot's messages.
    callback_url: str = "http://127.0.0.1:5034/bot"

    #: Redis, when several Rasa processes serve the same users: socket.io
    #: fan-out of the widget and de-duplication of webhook retries across
    #: processes. Empty: one process, kept in memory.
    redis_url: str = ""
    #: Seconds a WeChat or Telegram delivery stays "being handled" without a sign
    #: of life from the process handling it (renewed every third of it); after
    #: that, a re-delivery is handled by another process (bot/channels/deliveries.py).
    delivery_processing_s: float = 10.0
    #: Rate limits (bot/ratelimit.py; shared through Redis when `redis_url` is
    #: set). Messages one conversation may send per minute on any channel;
    #: more get a "slow down" answer and are not handed to the bot.
    rate_messages_per_minute: int = 30
    #: Messages per minute from one client address (widget): WeChat and Telegram
    #: deliver from their own servers, so only the per-conversation limit applies there.
    rate_messages_per_minute_per_address: int = 120
    #: New anonymous widget visitors per hour from one client address.
    rate_new_visitors_per_hour_per_address: int = 30
    #: Tickets one conversation may open per hour, and from one client address
    #: (widget), so a script cannot fill the queue that real users wait in.
    rate_tickets_per_hour: int = 3
    rate_tickets_per_hour_per_address: int = 10
    #: Longest user message handed to the bot, in characters; longer ones are cut.
    max_message_chars: int = 2000
    #: Largest webhook body accepted, in bytes (WeChat XML, Telegram JSON).
    max_webhook_bytes: int = 64 * 1024

    #: The in-app chat widget (socket.io). The host app signs a JWT whose
    #: `sub` is the user, with `aud` = widget_jwt_audience and an `exp` at most
    #: widget_token_max_minutes ahead. The secret must have 32 characters or
    #: more. Empty: `bot.cli.serve` keeps a random one in var/widget_secret
    #: (development); production must set it or the widget stays off.
    widget_jwt_secret: str = ""
    widget_jwt_algorithm: str = "HS256"
    widget_jwt_audience: str = "okpay-widget"
    widget_token_max_minutes: int = 1440
    #: Pages allowed to open the widget's socket (comma-separated origins);
    #: empty: the console's own origin, where the demo page is.
    widget_allowed_origins: str = ""
    #: Where browsers reach Rasa's socket.io (behind a proxy: its public URL);
    #: empty: Rasa's own address.
    widget_socket_url: str = ""
    #: How long an anonymous visitor's session token is valid.
    widget_anonymous_days: int = 30

    #: WeChat official account (微信公众号). Token and app id/secret from the
    #: account's 基本配置 page; the EncodingAESKey only for safe (encrypted) mode.
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_aes_key: str = ""
    wechat_api_url: str = "https://api.weixin.qq.com/cgi-bin/"
    #: WeChat gives up on a reply after 5 s; answer passively until this many
    #: seconds, then by the customer-service API.
    wechat_reply_deadline_s: float = 4.0

    #: Telegram bot. The secret token is what setWebhook was given; Telegram
    #: sends it back in X-Telegram-Bot-Api-Secret-Token with every update.
    telegram_token: str = ""
    telegram_secret_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    #: The public HTTPS URL of /webhooks/telegram/webhook, for `python -m bot.channels.telegram set-webhook`.
    telegram_webhook_url: str = ""

    #: Logs (docs/logging.md). "json": one JSON object per line; "text": the same fields as a readable line.
    #: Empty: text when the output is a terminal outside production, JSON otherwise (files, containers).
    log_format: str = ""
    #: DEBUG, INFO, WARNING or ERROR (Rasa's own lines also follow LOG_LEVEL / --debug).
    log_level: str = "INFO"
    #: This process's name in its lines (rasa-1, actions-2, console …); `bot.cli.serve` sets it per process.
    process_name: str = ""
    #: Key of the conversation ids' hash in logs. Empty: a random key kept in var/log_hash_key (one
    #: machine); processes on several machines must share one, or their hashes differ.
    log_hash_key: str = ""
    #: Retention (`python -m bot.privacy.retention`, run daily): conversations, stream entries, review items and
    #: the personal fields of tickets unchanged for this many days are removed. 0 keeps everything.
    retention_days: int = 180
    #: Empty: `GET /metrics` of every process answers any caller (counts only, docs/metrics.md). Set: only
    #: callers sending `Authorization: Bearer <token>` (the console's port reached from the internet).
    metrics_token: str = ""
    #: supervisord (bot/deploy/supervisor.py, docs/process-manager.md): failed starts of one process
    #: retried, 1 s, 2 s, 3 s … apart, before it is left FATAL; each process's output file is rotated
    #: at this size, keeping this many old files.
    restart_retries: int = 5
    log_max_bytes: int = 50 * 1024 * 1024
    log_backups: int = 5

    #: TLS at nginx (replicated; docs/deployment.md). With both files set, the public listener serves
    #: HTTPS on `https_port` and `proxy_port` answers 301 to it (except /health, for local probes).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    https_port: int = 8443

    class Config:
        env_prefix = "OKPAY_"

    @validator("deployment")
    def _known_deployment(cls, deployment: str) -> str:
        if deployment not in DEPLOYMENTS:
            raise ValueError(f"OKPAY_DEPLOYMENT must be one of {', '.join(DEPLOYMENTS)}")
        return deployment

    @validator("log_format")
    def _known_log_format(cls, log_format: str) -> str:
        if log_format not in ("", "json", "text"):
            raise ValueError("OKPAY_LOG_FORMAT must be json or text (or empty: chosen by the output)")
        return log_format

    @validator("log_level")
    def _known_log_level(cls, level: str) -> str:
        if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("OKPAY_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level.upper()

    @validator("console_secure_cookies", always=True)
    def _secure_cookies_in_production(cls, secure: bool | None, values: dict) -> bool:
        return values.get("environment") == "production" if secure is None else secure

    @validator("retention_days")
    def _retention_not_negative(cls, days: int) -> int:
        if days < 0:
            raise ValueError("OKPAY_RETENTION_DAYS must be 0 (keep everything) or a number of days")
        return days

    @validator("rasa_replicas", "action_replicas")
    def _at_least_one(cls, count: int) -> int:
        if count < 1:
            raise ValueError("at least one replica")
        return count

    @validator("rasa_token", "action_secret")
    def _refuse_placeholder_secret_in_production(cls, secret: str, values: dict, field: Any) -> str:
        if values.get("environment") == "production" and (
                secret.strip().lower() in _PLACEHOLDER_TOKENS or len(secret) < MIN_SECRET_CHARS):
            raise ValueError(f"OKPAY_{field.name.upper()} must be set to a real secret of {MIN_SECRET_CHARS} "
                             "characters or more in production")
        return secret

    @validator("log_hash_key")
    def _refuse_placeholder_hash_key_in_production(cls, key: str, values: dict) -> str:
        """Empty is allowed (a key kept in var/, one machine); a placeholder would make every hash guessable."""
        if values.get("environment") == "production" and key and (
                key.strip().lower() in _PLACEHOLDER_TOKENS or len(key) < MIN_SECRET_CHARS):
            raise ValueError(f"OKPAY_LOG_HASH_KEY must be a real secret of {MIN_SECRET_CHARS} characters or more "
                             "in production (or empty: a key kept in var/ on one machine)")
        return key

    @validator("tls_key_file", always=True)
    def _both_tls_files_or_none(cls, key: Path | None, values: dict) -> Path | None:
        if (key is None) != (values.get("tls_cert_file") is None):
            raise ValueError("OKPAY_TLS_CERT_FILE and OKPAY_TLS_KEY_FILE go together: set both or neither")
        return key

    @property
    def tls(self) -> bool:
        """Whether nginx serves the public routes over HTTPS (a certificate and key are set)."""
        return self.tls_cert_file is not None and self.tls_key_file is not None

    @property
    def replicated(self) -> bool:
        return self.deployment == REPLICATED

    @property
    def rasa_replica_ports(self) -> List[int]:
        """Where the Rasa processes listen. Replicated: after `rasa_port`, which is the internal balancer's."""
        if not self.replicated:
            return [self.rasa_port]
        return [self.rasa_port + 1 + i for i in range(self.rasa_replicas)]

    @property
    def action_replica_ports(self) -> List[int]:
        if not self.replicated:
            return [self.action_port]
        return [self.action_port + 1 + i for i in range(self.action_replicas)]

    @property
    def public_url(self) -> str:
        """Where users' channels reach the assistant: the load balancer (over HTTPS with TLS set), or Rasa itself."""
        if self.replicated and self.tls:
            return f"https://{self.proxy_host}" + ("" if self.https_port == 443 else f":{self.https_port}")
        return f"http://{self.proxy_host}:{self.proxy_port}" if self.replicated else self.rasa_url

    @property
    def tracker_url(self) -> str:
        """The conversation tracker database (replicated deployments)."""
        return self.tracker_database_url or self.ticket_database_url

    @property
    def conversations_url(self) -> str:
        """Where Rasa stores the conversations: the SQLite file `tracker_db` (embedded) or `tracker_url` (replicated)."""
        return self.tracker_url if self.replicated else f"sqlite:///{self.resolve(self.tracker_db)}"

    @property
    def event_stream_url(self) -> str:
        """Where Rasa's event broker writes and the console reads (bot/stream)."""
        if self.event_stream:
            return self.event_stream
        if self.replicated:
            return self.redis_url
        return f"sqlite:///{self.resolve(self.tracker_db).parent / 'event_stream.db'}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_endpoint_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def ticket_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolve(self.ticket_db)}"

    @property
    def console_url(self) -> str:
        return f"http://{self.console_host}:{self.console_port}"

    @property
    def widget_origins(self) -> list:
        """Origins allowed to open the widget's socket."""
        configured = [origin.strip() for origin in self.widget_allowed_origins.split(",") if origin.strip()]
        return configured or [self.console_url, f"http://localhost:{self.console_port}"]

    @property
    def trusted_proxies(self) -> frozenset:
        """Peers whose X-Forwarded-For the console believes."""
        return frozenset(ip.strip() for ip in self.console_trusted_proxies.split(",") if ip.strip())

    @property
    def channel_proxies(self) -> frozenset:
        """Peers whose X-Forwarded-For the channels believe: the console's, and our own nginx (replicated)."""
        return self.trusted_proxies | (frozenset({"127.0.0.1", "::1"}) if self.replicated else frozenset())

    @property
    def widget_server_url(self) -> str:
        return self.widget_socket_url or self.public_url

    def resolve(self, path: Path) -> Path:
        """`path` relative to the project root unless it is absolute."""
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests: forget the cached settings after changing the environment."""
    get_settings.cache_clear()
