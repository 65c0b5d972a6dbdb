"""The one typed settings model and its loader.

Precedence, highest first: CLI flags > `SLEUTH_*` environment variables > `<workspace>/sleuth.toml`
> defaults. Sources are merged as plain dicts, then validated once, so an error can name the key
*and* the source it came from (file, variable or flag) instead of a pydantic traceback.
Relative paths are resolved against the workspace folder.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sleuth.errors import ConfigError

CONFIG_FILE = "sleuth.toml"
ENV_PREFIX = "SLEUTH_"
ENV_NESTING = "__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DocsSettings(_Section):
    """Docs server: what to ingest and how to search it."""

    paths: list[Path] = Field(default_factory=lambda: [Path("docs")], description="Folders/files to ingest.")
    chunk_chars: int = Field(1200, ge=200, le=20000, description="Target chunk size in characters.")
    chunk_overlap: float = Field(0.15, ge=0.0, le=0.5, description="Overlap between chunks, as a fraction.")
    embeddings: bool = Field(False, description="Also build dense embeddings (hybrid search).")
    embedding_model_path: Path | None = Field(
        None, description="Local ONNX model file; default is the bundled all-MiniLM-L6-v2 int8 build."
    )
    default_k: int = Field(8, ge=1, le=100, description="Passages returned by search_docs by default.")
    auto_refresh: bool = Field(
        True, description="The docs server re-ingests in the background when the indexed files changed."
    )
    refresh_interval_s: float = Field(
        30.0, ge=0, description="How often the docs server checks its files (0: at start and on list_sources only)."
    )


class SqlSettings(_Section):
    """SQL server: which database, and the bounds every query runs within."""

    db: Path | None = Field(None, description="DuckDB database file.")
    data_dirs: list[Path] = Field(default_factory=list, description="CSV/Parquet/JSON folders exposed as views.")
    read_write: bool = Field(False, description="Allow writes (separate, destructive tools).")
    timeout_s: float = Field(10.0, gt=0, le=3600, description="Per-query timeout in seconds.")
    max_rows: int = Field(1000, ge=1, le=1_000_000, description="Rows returned to the model at most.")
    max_chars: int = Field(50_000, ge=1000, description="Characters of result text returned at most.")
    memory_limit: str = Field("1GB", description="DuckDB memory_limit.")
    threads: int = Field(2, ge=1, le=256, description="DuckDB threads.")


class FilesSettings(_Section):
    """Files server: the sandbox roots and what is denied inside them."""

    roots: list[Path] = Field(default_factory=lambda: [Path(".")], description="Folders the server may read.")
    allow_write: bool = Field(False, description="Expose write_file/edit_file (destructive).")
    deny: list[str] = Field(
        default_factory=lambda: [
            ".env",
            ".env.*",
            "*.pem",
            "*.key",
            "id_rsa*",
            "id_ed25519*",
            "id_ecdsa*",
            "**/.git/**",
            "**/.sleuth/**",
            "*.kdbx",
            ".netrc",
            ".npmrc",
            ".pypirc",
            "credentials*",
        ],
        description="Gitignore-style patterns denied even inside roots (setting it replaces this list).",
    )
    deny_extra: list[str] = Field(
        default_factory=list, description="More patterns to deny, on top of files.deny (keeps the secret list)."
    )
    max_read_lines: int = Field(2000, ge=1, description="Lines returned by one read_file call at most.")
    max_results: int = Field(200, ge=1, description="Matches returned by one search_files call at most.")
    search_timeout_s: float = Field(10.0, gt=0, description="Time limit of one search_files call.")


class ServerSpec(_Section):
    """A third-party MCP server for the agent: a stdio command or a Streamable HTTP URL."""

    name: str
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return v


class AgentSettings(_Section):
    """The agent: models, budgets, memory."""

    model: str = Field("anthropic:claude-sonnet-4-6", description="provider:model for the agent.")
    grader_model: str = Field(
        "anthropic:claude-haiku-4-5",
        description="provider:model for reflection (default: Haiku for an Anthropic agent, else agent.model).",
    )
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible endpoint.")
    max_corrections: int = Field(2, ge=0, le=10, description="Corrective re-queries per turn.")
    max_steps: int = Field(12, ge=1, le=100, description="Model calls per turn.")
    turn_timeout_s: float = Field(300.0, gt=0, description="Wall-clock budget of one turn.")
    tool_timeout_s: float = Field(60.0, gt=0, description="Timeout of one tool call.")
    token_budget: int = Field(200_000, ge=1000, description="Tokens per turn, input plus output.")
    summarize_after_tokens: int = Field(60_000, ge=1000, description="Summarize history past this size.")
    checkpoint_url: str | None = Field(
        None, description="postgresql://… for shared checkpoints; default is SQLite in .sleuth/."
    )
    approve_tools: list[str] = Field(default_factory=list, description="Extra tool names that always need approval.")
    servers: list[ServerSpec] = Field(default_factory=list, description="Third-party MCP servers.")

    @model_validator(mode="after")
    def _grader_follows_the_model(self) -> AgentSettings:
        """Unless set, the grader is a Haiku-class model for an Anthropic agent, else the agent's own
        model: a local endpoint or a script has no Anthropic key behind it."""
        if "grader_model" not in self.model_fields_set and not self.model.startswith("anthropic:"):
            object.__setattr__(self, "grader_model", self.model)
        return self


class Settings(_Section):
    """All of Sleuth's settings for one workspace."""

    workspace: Path = Field(Path("."), description="The workspace folder.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("warning", description="Stderr log level.")
    docs: DocsSettings = Field(default_factory=DocsSettings)
    sql: SqlSettings = Field(default_factory=SqlSettings)
    files: FilesSettings = Field(default_factory=FilesSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)

    @property
    def state_dir(self) -> Path:
        """Where Sleuth keeps its own state: index, checkpoints, logs."""
        return self.workspace / ".sleuth"

    @property
    def index_dir(self) -> Path:
        return self.state_dir / "index"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def checkpoint_db(self) -> Path:
        return self.state_dir / "checkpoints.sqlite"


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _set_path(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def _env_value(raw: str) -> Any:
    """Env values are strings; lists and tables may be given as JSON, lists also comma-separated."""
    text = raw.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _from_env(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    tree: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "SLEUTH_WORKSPACE":
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split(ENV_NESTING)]
        value = _env_value(raw)
        if isinstance(value, str) and "," in value and _is_list_field(keys):
            value = [part.strip() for part in value.split(",") if part.strip()]
        _set_path(tree, keys, value)
        origin[tuple(keys)] = f"environment variable {name}"
    return tree, origin


def _is_list_field(keys: list[str]) -> bool:
    model: type[BaseModel] = Settings
    for k in keys[:-1]:
        field = model.model_fields.get(k)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    field = model.model_fields.get(keys[-1])
    return field is not None and getattr(field.annotation, "__origin__", None) is list


def _flatten(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for k, v in tree.items():
        if isinstance(v, Mapping):
            paths.extend(_flatten(v, (*prefix, k)))
        else:
            paths.append((*prefix, k))
    return paths


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", fix=f"correct the syntax in {path}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", fix=f"save {path} as UTF-8") from None


def _describe_origin(loc: tuple[str, ...], origin: Mapping[tuple[str, ...], str]) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return "the defaults"


def _fix_for(error_type: str, key: str, source: str) -> str:
    where = source if source != "the defaults" else "sleuth.toml"
    if error_type == "extra_forbidden":
        return f"remove or rename '{key}' in {where}; the README lists every key"
    if error_type == "missing":
        return f"set '{key}' in {where}"
    return f"give '{key}' a valid value in {where}"


def _validation_to_config_error(exc: ValidationError, origin: Mapping[tuple[str, ...], str]) -> ConfigError:
    lines = []
    fixes = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc)
        source = _describe_origin(loc, origin)
        lines.append(f"'{key}' from {source}: {err['msg']}")
        fixes.append(_fix_for(err["type"], key, source))
    head = "invalid configuration: " + "; ".join(lines)
    return ConfigError(head, fix="; ".join(dict.fromkeys(fixes)))


def _resolve_paths(settings: Settings) -> Settings:
    ws = settings.workspace

    def res(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else (ws / p)

    settings.docs.paths = [res(p) for p in settings.docs.paths]
    if settings.docs.embedding_model_path is not None:
        settings.docs.embedding_model_path = res(settings.docs.embedding_model_path)
    if settings.sql.db is not None:
        settings.sql.db = res(settings.sql.db)
    settings.sql.data_dirs = [res(p) for p in settings.sql.data_dirs]
    settings.files.roots = [res(p) for p in settings.files.roots]
    return settings


def find_workspace(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The workspace is the flag, else SLEUTH_WORKSPACE, else the current folder."""
    environ = os.environ if environ is None else environ
    raw = explicit if explicit is not None else environ.get("SLEUTH_WORKSPACE")
    ws = Path(raw).expanduser() if raw else Path.cwd()
    if not ws.exists():
        raise ConfigError(f"workspace folder {ws} does not exist", fix="pass --workspace DIR with a real folder")
    if not ws.is_dir():
        raise ConfigError(f"workspace {ws} is not a folder", fix="pass --workspace DIR with a folder")
    return ws.resolve()


def load_settings(
    workspace: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[tuple[str, ...], str] | None = None,
) -> Settings:
    """Load settings for a workspace. `overrides` are CLI flags as a nested dict (highest precedence);
    `flags` names the command-line flag of a key where it is not "--" plus the key's parts, so an
    error names the flag the user actually typed."""
    environ = os.environ if environ is None else environ
    ws = find_workspace(workspace, environ)
    toml_path = ws / CONFIG_FILE
    file_tree = _read_toml(toml_path) if toml_path.is_file() else {}
    env_tree, origin = _from_env(environ)
    for loc in _flatten(file_tree):
        origin.setdefault(loc, f"file {toml_path}")
    over_tree = dict(overrides or {})
    for loc in _flatten(over_tree):
        origin[loc] = "command-line " + (flags or {}).get(loc, "flag --" + "-".join(loc).replace("_", "-"))
    merged = _deep_merge(_deep_merge(file_tree, env_tree), over_tree)
    if "workspace" in file_tree:
        raise ConfigError(
            f"'workspace' cannot be set inside {toml_path}",
            fix="remove it; the folder holding sleuth.toml is the workspace",
        )
    merged["workspace"] = ws
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise _validation_to_config_error(exc, origin) from None
    return _resolve_paths(settings)


def check_paths(settings: Settings) -> list[ConfigError]:
    """Configured paths that do not exist, as errors that name the key and the fix."""
    problems: list[ConfigError] = []
    for p in settings.docs.paths:
        if not p.exists():
            problems.append(ConfigError(f"docs.paths: {p} does not exist", fix="create it or edit docs.paths"))
    if settings.sql.db is not None and not settings.sql.db.is_file():
        what = "is a folder, not a DuckDB file" if settings.sql.db.is_dir() else "does not exist"
        problems.append(ConfigError(f"sql.db: {settings.sql.db} {what}", fix="create it or edit sql.db"))
    for p in settings.sql.data_dirs:
        if not p.is_dir():
            what = "is a file, not a folder" if p.exists() else "does not exist"
            problems.append(ConfigError(f"sql.data_dirs: {p} {what}", fix="edit sql.data_dirs"))
    for p in settings.files.roots:
        if not p.is_dir():
            problems.append(ConfigError(f"files.roots: {p} is not a folder", fix="edit files.roots"))
    return problems
