"""Client configuration for the MCP server: what Claude Code, Claude Desktop, VS Code,
Cursor, Windsurf, Codex (or any other MCP client) need to start ``repolens serve`` or to
reach a running ``repolens serve --http``.

Pure functions build the entry; :func:`install` merges it into a client's file. The command
is absolute (the ``repolens`` console script next to this Python, or this Python with
``-m server.cli``) and so are the repository paths, so it works from whatever directory and
with whatever ``PATH`` the client starts it. A bearer token is never written into a file:
the entry names the ``REPOLENS_TOKEN`` variable (or a VS Code password input) instead.

The formats, as their documentation described them when this was written (clients change
these; each is marked where less certain):

- claude-code: ``.mcp.json`` in the project, ``{"mcpServers": {name: {"type": "stdio",
  "command", "args"}}}``; HTTP as ``{"type": "http", "url", "headers"}``, where Claude Code
  expands ``${VAR}`` (header expansion had bugs in some 2.x releases).
- claude-desktop: ``claude_desktop_config.json`` (macOS ``~/Library/Application Support/
  Claude``, Windows ``%APPDATA%\\Claude``; no official Linux build, ``~/.config/Claude`` is
  what unofficial ones read), ``mcpServers`` with ``command``/``args``: local servers only.
- vscode: ``.vscode/mcp.json``, ``{"servers": {...}, "inputs": [...]}``; HTTP with
  ``"type": "http"`` and the token from a ``promptString`` input with ``"password": true``.
- cursor: ``.cursor/mcp.json`` (or ``~/.cursor/mcp.json``), ``mcpServers``; HTTP as
  ``url`` + ``headers`` with ``${env:VAR}`` interpolation.
- windsurf: ``~/.codeium/windsurf/mcp_config.json``, ``mcpServers``; HTTP as ``serverUrl``
  + ``headers`` with ``${env:VAR}``.
- codex: ``~/.codex/config.toml`` (``$CODEX_HOME``), ``[mcp_servers.NAME]`` with
  ``command``/``args``; HTTP as ``url`` + ``bearer_token_env_var`` (older Codex releases
  needed ``experimental_use_rmcp_client = true`` for HTTP servers).
- generic: the common ``mcpServers`` shape, printed only (``--path`` to write it).
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from server.http import MCP_PATH, TOKEN_ENV, is_loopback, parse_address

CLIENTS = ("claude-code", "claude-desktop", "vscode", "cursor", "windsurf", "codex", "generic")
DEFAULT_NAME = "repolens"
VSCODE_TOKEN_INPUT = "repolens-token"

Format = Literal["json", "toml"]
Action = Literal["added", "updated", "unchanged"]


class McpConfigError(ValueError):
    """The configuration cannot be made or installed; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """How the client reaches the server: a command to start (stdio) or a URL (HTTP)."""

    name: str = DEFAULT_NAME
    command: str = ""
    args: tuple[str, ...] = ()
    url: str | None = None
    token_env: str | None = None
    """With ``url``: the environment variable holding the bearer token, if one is sent."""
    serve_hint: tuple[str, ...] = ()
    """With ``url``: the command that starts the server the URL points at."""

    @property
    def argv(self) -> list[str]:
        return [self.command, *self.args]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """One client's entry: the document to merge (``document``), where it goes, and notes."""

    client: str
    name: str
    format: Format
    document: dict[str, Any]
    path: Path | None
    notes: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return render(self.document, self.format)


# -- the command ----------------------------------------------------------------------------
def server_command(executable: str | None = None, scripts_dir: Path | None = None) -> list[str]:
    """The absolute command that runs this installation's ``repolens``: the console script next
    to the Python (in a virtualenv, its ``bin``/``Scripts``), else ``PYTHON -m server.cli``.
    The Python's path is not resolved: a virtualenv's ``python`` is a symlink, and resolving it
    would leave the virtualenv."""
    python = os.path.abspath(executable or sys.executable)
    folder = scripts_dir if scripts_dir is not None else Path(python).parent
    script = folder / ("repolens.exe" if sys.platform == "win32" else "repolens")
    if script.is_file() and os.access(script, os.X_OK):
        return [os.path.abspath(script)]
    return [python, "-m", "server.cli"]


def serve_args(repos: Sequence[Path], db_dir: Path | None = None, *, watch: bool = True, embed: bool = True,
               address: str | None = None) -> list[str]:
    """``serve`` and its options, with absolute paths."""
    if db_dir is not None and len(repos) > 1:
        raise McpConfigError("--db names one index directory; serve several repositories with their default "
                             "indexes (REPO/.repolens)")
    args = ["serve"]
    for repo in repos or (Path("."),):
        args += ["--repo", os.path.abspath(repo)]
    if db_dir is not None:
        args += ["--db", os.path.abspath(db_dir)]
    if address:
        args += ["--http", address]
    if watch:
        args.append("--watch")
    if not embed:
        args.append("--no-embed")
    return args


def stdio_spec(repos: Sequence[Path], db_dir: Path | None = None, *, name: str = DEFAULT_NAME, watch: bool = True,
               embed: bool = True, command: Sequence[str] | None = None) -> ServerSpec:
    """The server as a process the client starts and talks to over stdio."""
    base = list(command) if command else server_command()
    args = serve_args(repos, db_dir, watch=watch, embed=embed)
    return ServerSpec(name=_check_name(name), command=base[0], args=(*base[1:], *args))


def http_spec(address: str, repos: Sequence[Path], db_dir: Path | None = None, *, name: str = DEFAULT_NAME,
              auth: bool | None = None, watch: bool = True, embed: bool = True,
              environ: Mapping[str, str] | None = None) -> ServerSpec:
    """The server as a URL: ``repolens serve --http HOST:PORT`` runs separately. The token is
    sent when ``auth`` says so; by default when ``REPOLENS_TOKEN`` is set or the server binds
    beyond loopback (where it requires one)."""
    host, port = parse_address(address)
    env = os.environ if environ is None else environ
    if auth is None:
        auth = bool(env.get(TOKEN_ENV)) or not is_loopback(host)
    elif not auth and not is_loopback(host):
        raise McpConfigError(f"a server bound to {host} requires a bearer token, so the client must send one; "
                             "drop --no-auth")
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}{MCP_PATH}"
    hint = (*server_command(), *serve_args(repos, db_dir, watch=watch, embed=embed, address=address))
    return ServerSpec(name=_check_name(name), url=url, token_env=TOKEN_ENV if auth else None, serve_hint=hint)


def _check_name(name: str) -> str:
    # VS Code's schema asks for this pattern; the others accept it too.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
        raise McpConfigError(f"server name {name!r}: use a letter, then letters, digits, '-' or '_'")
    return name


# -- per client -----------------------------------------------------------------------------
def client_config(client: str, spec: ServerSpec, project: Path, *, home: Path | None = None,
                  platform: str | None = None, environ: Mapping[str, str] | None = None) -> ClientConfig:
    """``client``'s entry for ``spec``. ``project`` is the (first) served repository: project
    files (``.mcp.json``, ``.vscode/mcp.json``, ``.cursor/mcp.json``) go there."""
    if client not in CLIENTS:
        raise McpConfigError(f"unknown client {client!r}; one of: {', '.join(CLIENTS)}")
    env = os.environ if environ is None else environ
    path = default_path(client, project, home=home, platform=platform, environ=env)
    notes: list[str] = []
    document: dict[str, Any]
    fmt: Format = "json"
    if client == "claude-code":
        entry = _entry(spec, url_key="url", http_type="http", stdio_type="stdio", reference="${%s}")
        document = {"mcpServers": {spec.name: entry}}
        notes.append("or, with Claude Code's own command: " + _claude_add(spec))
    elif client == "claude-desktop":
        if spec.url:
            raise McpConfigError("Claude Desktop's configuration file starts local servers only; add a remote "
                                 "server under Settings > Connectors, or drop --http to let it start repolens")
        document = {"mcpServers": {spec.name: _entry(spec)}}
        notes.append("restart Claude Desktop to load it")
    elif client == "vscode":
        document = _vscode(spec)
        if not spec.url:
            add = {"name": spec.name, "type": "stdio", "command": spec.command, "args": list(spec.args)}
            notes.append("or, for your VS Code user profile: code --add-mcp " + _quote([json.dumps(add)]))
    elif client == "cursor":
        document = {"mcpServers": {spec.name: _entry(spec, url_key="url", reference="${env:%s}")}}
    elif client == "windsurf":
        document = {"mcpServers": {spec.name: _entry(spec, url_key="serverUrl", reference="${env:%s}")}}
    elif client == "codex":
        fmt = "toml"
        document = {"mcp_servers": {spec.name: _codex(spec)}}
        if not spec.url:
            notes.append("or, with Codex's own command: codex mcp add " + _quote([spec.name, "--", *spec.argv]))
    else:
        document = {"mcpServers": {spec.name: _entry(spec, url_key="url", http_type="http", stdio_type="stdio",
                                                     reference="${%s}")}}
        if spec.token_env:
            notes.append(f"replace ${{{spec.token_env}}} by however your client reads environment variables; "
                         "never by the token itself in a shared file")
    if spec.url:
        env_part = f"{TOKEN_ENV}=... " if spec.token_env else ""
        notes.append(f"start the server first: {env_part}{_quote(list(spec.serve_hint))}")
        if spec.token_env and not env.get(spec.token_env):
            where = "where the server runs" if client == "vscode" else "where the server and the client run"
            notes.append(f"{spec.token_env} is not set in this environment: set it (16 characters or more) {where}")
    return ClientConfig(client, spec.name, fmt, document, path, tuple(notes))


def _entry(spec: ServerSpec, *, url_key: str = "url", http_type: str | None = None, stdio_type: str | None = None,
           reference: str = "${%s}") -> dict[str, Any]:
    if spec.url:
        entry: dict[str, Any] = {"type": http_type} if http_type else {}
        entry[url_key] = spec.url
        if spec.token_env:
            entry["headers"] = {"Authorization": "Bearer " + reference % spec.token_env}
        return entry
    entry = {"type": stdio_type} if stdio_type else {}
    return {**entry, "command": spec.command, "args": list(spec.args)}


def _vscode(spec: ServerSpec) -> dict[str, Any]:
    if not spec.url:
        return {"servers": {spec.name: {"type": "stdio", "command": spec.command, "args": list(spec.args)}}}
    entry: dict[str, Any] = {"type": "http", "url": spec.url}
    if not spec.token_env:
        return {"servers": {spec.name: entry}}
    entry["headers"] = {"Authorization": f"Bearer ${{input:{VSCODE_TOKEN_INPUT}}}"}
    prompt = {"type": "promptString", "id": VSCODE_TOKEN_INPUT, "password": True,
              "description": f"repolens bearer token (the server's {spec.token_env})"}
    return {"inputs": [prompt], "servers": {spec.name: entry}}


def _codex(spec: ServerSpec) -> dict[str, Any]:
    if not spec.url:
        return {"command": spec.command, "args": list(spec.args)}
    entry: dict[str, Any] = {"url": spec.url}
    if spec.token_env:
        entry["bearer_token_env_var"] = spec.token_env
    return entry


def _claude_add(spec: ServerSpec) -> str:
    if not spec.url:
        return "claude mcp add --scope project " + _quote([spec.name, "--", *spec.argv])
    line = "claude mcp add --scope project --transport http " + _quote([spec.name, spec.url])
    if spec.token_env:  # single quotes: Claude Code expands the variable, the shell must not
        line += f" --header 'Authorization: Bearer ${{{spec.token_env}}}'"
    return line


def _quote(argv: list[str]) -> str:
    return subprocess.list2cmdline(argv) if sys.platform == "win32" else shlex.join(argv)


def default_path(client: str, project: Path, *, home: Path | None = None, platform: str | None = None,
                 environ: Mapping[str, str] | None = None) -> Path | None:
    """Where ``client`` reads its configuration: project files under ``project``, the others
    under the user's home (None for ``generic``)."""
    env = os.environ if environ is None else environ
    home = home if home is not None else Path.home()
    platform = platform or sys.platform
    root = Path(os.path.abspath(project))
    if client == "claude-code":
        return root / ".mcp.json"
    if client == "vscode":
        return root / ".vscode" / "mcp.json"
    if client == "cursor":
        return root / ".cursor" / "mcp.json"
    if client == "windsurf":
        return home / ".codeium" / "windsurf" / "mcp_config.json"
    if client == "codex":
        return Path(env["CODEX_HOME"]) / "config.toml" if env.get("CODEX_HOME") else home / ".codex" / "config.toml"
    if client == "claude-desktop":
        if platform == "darwin":
            return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
        if platform == "win32":
            appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
            return appdata / "Claude" / "claude_desktop_config.json"
        config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        return config / "Claude" / "claude_desktop_config.json"
    return None


# -- rendering and merging ------------------------------------------------------------------
def render(document: Mapping[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    out: list[str] = []
    for table, entries in document.items():
        for name, values in entries.items():
            out += [f"[{_toml_key(table)}.{_toml_key(name)}]"]
            out += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(out) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
        return '"' + "".join(escaped.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                             for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def merge(config: ClientConfig, existing: str, path: Path) -> tuple[str, Action]:
    """The text of the file at ``path`` (now ``existing``) with ``config``'s entry added or
    replaced and everything else kept. Raises McpConfigError when the file cannot be read as
    its format: it is never overwritten then."""
    if config.format == "toml":
        return _merge_toml(config, existing, path)
    return _merge_json(config, existing, path)


def _merge_json(config: ClientConfig, existing: str, path: Path) -> tuple[str, Action]:
    try:
        data = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as exc:
        raise McpConfigError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                             "comments and trailing commas count as invalid. Fix the file or add the entry by hand; "
                             "it was left unchanged") from None
    if not isinstance(data, dict):
        raise McpConfigError(f"{path} holds a JSON {type(data).__name__}, not an object; it was left unchanged")
    merged = copy.deepcopy(data)
    action: Action = "added"
    for key, value in config.document.items():
        if isinstance(value, dict):
            table = merged.setdefault(key, {})
            if not isinstance(table, dict):
                raise McpConfigError(f"{path}: {key!r} is not an object; it was left unchanged")
            if config.name in table:
                action = "unchanged" if table[config.name] == value[config.name] else "updated"
            table.update(value)
        elif isinstance(value, list):  # VS Code inputs: replace those with our ids, keep others
            items = merged.setdefault(key, [])
            if not isinstance(items, list):
                raise McpConfigError(f"{path}: {key!r} is not an array; it was left unchanged")
            ours = {item["id"] for item in value}
            merged[key] = [i for i in items if not (isinstance(i, dict) and i.get("id") in ours)] + value
    if action == "unchanged" and merged != data:
        action = "updated"
    return json.dumps(merged, indent=2, ensure_ascii=False) + "\n", action


_HEADER = re.compile(r"^\s*\[\[?(?P<keys>[^\]#]*)\]\]?\s*(#.*)?$")


def _header_keys(line: str) -> list[str] | None:
    """The dotted key of a TOML table header line, or None when the line is not one."""
    match = _HEADER.match(line)
    if not match:
        return None
    keys = re.findall(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*(?:\.|$)', match["keys"])
    out = []
    for key in keys:
        if key.startswith('"'):
            out.append(tomllib.loads(f"k = {key}")["k"])
        else:
            out.append(key.strip("'"))
    return out


def _merge_toml(config: ClientConfig, existing: str, path: Path) -> tuple[str, Action]:
    try:
        data = tomllib.loads(existing)
    except tomllib.TOMLDecodeError as exc:
        raise McpConfigError(f"{path} is not valid TOML ({exc}); fix it or add the entry by hand; "
                             "it was left unchanged") from None
    ((table, entries),) = config.document.items()
    servers = data.get(table, {})
    if not isinstance(servers, dict):
        raise McpConfigError(f"{path}: {table!r} is not a table; it was left unchanged")
    if servers.get(config.name) == entries[config.name]:
        return existing, "unchanged"
    action: Action = "updated" if config.name in servers else "added"

    # Drop our table (and its sub-tables) where it is, put the new one in its place or at the
    # end; comments and the rest of the file stay as they were.
    lines = existing.splitlines()
    kept: list[str] = []
    at: int | None = None
    inside = False
    in_string = False
    for line in lines:
        keys = None if in_string else _header_keys(line)
        if keys is not None:
            inside = keys[:2] == [table, config.name]
            if inside and at is None:
                at = len(kept)
        if line.count('"""') % 2 or line.count("'''") % 2:
            in_string = not in_string
        if not inside:
            kept.append(line)
    if action == "updated" and at is None:
        raise McpConfigError(f"{path} defines {table}.{config.name} inline, which repolens does not rewrite; "
                             f"replace it by hand with:\n{config.text}")
    block = config.text.rstrip("\n").splitlines()
    if at is None:
        while kept and not kept[-1].strip():
            kept.pop()
        new_lines = [*kept, *([""] if kept else []), *block]
    else:
        new_lines = [*kept[:at], *block, *([""] if at < len(kept) and kept[at].strip() else []), *kept[at:]]
    text = "\n".join(new_lines) + "\n"

    expected = copy.deepcopy(data)
    expected.setdefault(table, {})[config.name] = entries[config.name]
    try:
        check = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        check = None
    if check != expected:
        raise McpConfigError(f"could not update {path} safely; it was left unchanged. Add this by hand:\n"
                             f"{config.text}")
    return text, action


def install(config: ClientConfig, path: Path | None = None) -> tuple[Path, Action]:
    """Merge ``config`` into its file (``path``, else the client's usual one), atomically:
    the new text goes to a temporary file in the same directory, which then replaces the old
    one, so an interrupted write leaves the old file whole. A symbolic link (dotfiles) is
    followed, not replaced."""
    target = path if path is not None else config.path
    if target is None:
        raise McpConfigError(f"the {config.client} configuration has no usual file; name one with --path")
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        target = target.resolve()
    try:
        existing = target.read_text(encoding="utf-8-sig") if target.exists() else ""  # -sig: Notepad
    except UnicodeDecodeError:
        raise McpConfigError(f"{target} is not UTF-8 text; it was left unchanged") from None
    text, action = merge(config, existing, target)
    if action == "unchanged":
        return target, action
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # Created like any new file (the umask applies), then given the old file's mode if there is one.
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o7777)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target, action
