"""`repolens mcp-config`: every client's configuration starts (or reaches) a server that
answers, exactly as written. Launches take the command and arguments from the generated
configuration (after --write, from the file itself), run them from an unrelated directory with
a PATH that does not lead to this virtualenv, and call a tool through the real MCP client.
Installing merges without losing anything else in the file, refuses files it cannot read, and
never writes a token.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import click
import httpx2
import pytest
from click.testing import CliRunner, Result
from conftest import copy_fixture, index_without_embeddings
from http_server import START_SECONDS, free_port, running
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from server.cli import main
from server.http import TOKEN_ENV
from server.mcp_config import (
    CLIENTS,
    McpConfigError,
    client_config,
    default_path,
    http_spec,
    install,
    server_command,
    stdio_spec,
)
from server.tools import RepolensTools

TOKEN = "mcp-config-test-token-0123456789"
JOIN_IDS = ["pkg/paths.py::join", "pkg/util.py::join"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_without_embeddings(copy_fixture("pyrepo", tmp_path_factory.mktemp("mcp_config") / "pyrepo"))


def cli(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["mcp-config", *args], env=env, catch_exceptions=False)


def cli_json(*args: str, env: dict[str, str | None] | None = None) -> dict[str, Any]:
    result = cli(*args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def launch_spec(client: str, document: dict[str, Any]) -> tuple[str, list[str]]:
    """The command and arguments a client would run, read from its configuration."""
    table = {"vscode": "servers", "codex": "mcp_servers"}.get(client, "mcpServers")
    entry = document[table]["repolens"]
    return entry["command"], entry["args"]


def find_join(command: str, args: list[str], workdir: Path) -> list[str]:
    """Start the server as a client would (bare environment, unrelated working directory) and
    return the ids find_symbol gives for ``join``."""
    params = StdioServerParameters(command=command, args=args, env={"PATH": os.defpath}, cwd=str(workdir))

    async def run() -> list[str]:
        with (workdir / "server.log").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=START_SECONDS) as client:
                result = await client.call_tool("find_symbol", {"name": "join", "kind": "function"})
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return [s["id"] for s in result.structured_content["symbols"]]

    return anyio.run(run)


# -- what the server is started with ---------------------------------------------------------
def test_every_stdio_client_starts_the_same_absolute_command(indexed: Path) -> None:
    seen = {}
    for client in CLIENTS:
        out = cli_json("--client", client, "--repo", str(indexed))
        assert out["client"] == client and out["config"] and out["format"] in ("json", "toml")
        seen[client] = launch_spec(client, out["config"])
    command, args = seen["claude-code"]
    assert all(spec == (command, args) for spec in seen.values()), seen
    assert Path(command).is_absolute() and Path(command).exists()
    assert args[-4:] == ["serve", "--repo", str(indexed), "--watch"]


def test_the_command_is_the_console_script_else_this_python(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "repolens"
    if script.exists():
        assert server_command() == [str(script)]
    assert server_command(scripts_dir=tmp_path) == [os.path.abspath(sys.executable), "-m", "server.cli"]


def test_options_reach_the_command(indexed: Path, tmp_path: Path) -> None:
    out = cli_json("--client", "cursor", "--repo", str(indexed), "--repo", str(tmp_path), "--no-watch", "--no-embed",
                   "--name", "code-graph")
    entry = out["config"]["mcpServers"]["code-graph"]
    assert entry["args"][-6:] == ["serve", "--repo", str(indexed), "--repo", str(tmp_path), "--no-embed"]
    db = cli_json("--client", "cursor", "--repo", str(indexed), "--db", str(tmp_path / "db"))
    assert db["config"]["mcpServers"]["repolens"]["args"][-3:] == ["--db", str(tmp_path / "db"), "--watch"]
    bad = cli("--client", "cursor", "--name", "two words")
    assert bad.exit_code == 1 and "server name" in bad.output


def test_claude_code_prints_the_equivalent_claude_mcp_add(indexed: Path) -> None:
    result = cli("--client", "claude-code", "--repo", str(indexed))
    assert result.exit_code == 0
    config = json.loads(result.stdout)  # stdout is the JSON alone
    command, args = launch_spec("claude-code", config)
    assert config["mcpServers"]["repolens"]["type"] == "stdio"
    assert f"goes in {indexed / '.mcp.json'}" in result.stderr
    assert f"claude mcp add --scope project repolens -- {command} {' '.join(args)}" in result.stderr


# -- launched as written ---------------------------------------------------------------------
def test_claude_code_config_written_to_mcp_json_starts_the_server(indexed: Path, tmp_path: Path) -> None:
    out = cli_json("--client", "claude-code", "--repo", str(indexed), "--write")
    path = indexed / ".mcp.json"
    assert out["path"] == str(path) and out["action"] == "added"
    try:
        command, args = launch_spec("claude-code", json.loads(path.read_text()))
        assert find_join(command, args, tmp_path) == JOIN_IDS
    finally:
        path.unlink()


def test_module_form_of_the_command_starts_the_server(indexed: Path, tmp_path: Path) -> None:
    """Without a console script next to the Python, the command is ``PYTHON -m server.cli``."""
    spec = stdio_spec([indexed], command=server_command(scripts_dir=tmp_path))
    command, args = launch_spec("vscode", client_config("vscode", spec, indexed).document)
    assert args[:2] == ["-m", "server.cli"]
    assert find_join(command, args, tmp_path) == JOIN_IDS


def test_codex_toml_written_and_read_back_starts_the_server(indexed: Path, tmp_path: Path) -> None:
    path = tmp_path / "codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('model = "o4-mini"\n\n[mcp_servers.other]\ncommand = "other-server"\n')
    result = cli("--client", "codex", "--repo", str(indexed), "--write", env={"CODEX_HOME": str(path.parent)})
    assert result.exit_code == 0 and f"added server 'repolens' in {path}" in result.stdout
    data = tomllib.loads(path.read_text())
    assert data["model"] == "o4-mini" and data["mcp_servers"]["other"] == {"command": "other-server"}
    command, args = launch_spec("codex", data)
    assert find_join(command, args, tmp_path) == JOIN_IDS


# -- HTTP ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def http_server(indexed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The server started with the command mcp-config itself suggests, token from the environment."""
    port = free_port()
    spec = http_spec(f"127.0.0.1:{port}", [indexed], embed=False, environ={TOKEN_ENV: TOKEN})
    with running(spec.serve_hint, port, {**os.environ, TOKEN_ENV: TOKEN},
                 tmp_path_factory.mktemp("http") / "server.log"):
        yield f"127.0.0.1:{port}", list(spec.serve_hint)


def url_and_header(client: str, document: dict[str, Any]) -> tuple[str, str]:
    """The URL and the Authorization header the client would send, with the variable it names
    filled in as the client would (VS Code asks for its input)."""
    if client == "codex":
        entry = document["mcp_servers"]["repolens"]
        return entry["url"], f"Bearer {os.environ.get(entry['bearer_token_env_var'], TOKEN)}"
    entry = document["servers" if client == "vscode" else "mcpServers"]["repolens"]
    header = entry["headers"]["Authorization"]
    for form in (f"${{{TOKEN_ENV}}}", f"${{env:{TOKEN_ENV}}}", "${input:repolens-token}"):
        header = header.replace(form, TOKEN)
    return entry["serverUrl" if client == "windsurf" else "url"], header


def test_http_configs_reach_the_running_server_without_writing_the_token(http_server: tuple[str, list[str]],
                                                                        indexed: Path) -> None:
    address, serve_hint = http_server
    assert serve_hint[-4:] == ["--http", address, "--watch", "--no-embed"]
    targets = set()
    for client in [c for c in CLIENTS if c != "claude-desktop"]:
        result = cli("--client", client, "--repo", str(indexed), "--http", address, env={TOKEN_ENV: TOKEN})
        assert result.exit_code == 0, result.output
        assert TOKEN not in result.output
        fmt = "toml" if client == "codex" else "json"
        document = tomllib.loads(result.stdout) if fmt == "toml" else json.loads(result.stdout)
        targets.add(url_and_header(client, document))
    assert targets == {(f"http://{address}/mcp", f"Bearer {TOKEN}")}
    ((url, header),) = targets

    async def run() -> list[str]:
        async with httpx2.AsyncClient(headers={"Authorization": header}, timeout=httpx2.Timeout(30.0)) as http, \
                Client(streamable_http_client(url, http_client=http)) as client:
            result = await client.call_tool("find_symbol", {"name": "join", "kind": "function"})
        assert result.structured_content is not None
        return [s["id"] for s in result.structured_content["symbols"]]

    assert anyio.run(run) == JOIN_IDS


def test_http_auth_follows_the_token_and_the_bind_address(tmp_path: Path) -> None:
    loopback = http_spec("127.0.0.1:8765", [tmp_path], environ={})
    assert loopback.url == "http://127.0.0.1:8765/mcp" and loopback.token_env is None
    assert "headers" not in client_config("cursor", loopback, tmp_path).document["mcpServers"]["repolens"]
    wide = http_spec("0.0.0.0:9000", [tmp_path], environ={})
    assert wide.url == "http://127.0.0.1:9000/mcp" and wide.token_env == TOKEN_ENV
    assert http_spec("[::]:9000", [tmp_path], environ={}).url == "http://[::1]:9000/mcp"
    with pytest.raises(McpConfigError, match="requires a bearer token"):
        http_spec("10.1.2.3:9000", [tmp_path], auth=False)
    with pytest.raises(McpConfigError, match="local servers only"):
        client_config("claude-desktop", loopback, tmp_path)


# -- installing ------------------------------------------------------------------------------
def test_write_merges_and_keeps_other_servers_and_keys(indexed: Path, tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    other = {"command": "npx", "args": ["-y", "other"], "env": {"OTHER_KEY": "secret"}}
    path.write_text(json.dumps({"mcpServers": {"other": other}, "preferences": {"theme": "dark"}}))
    path.chmod(0o600)
    args = ("--client", "cursor", "--repo", str(indexed), "--path", str(path), "--write")

    first = cli_json(*args)
    data = json.loads(path.read_text())
    assert first["action"] == "added" and first["path"] == str(path)
    assert data["mcpServers"]["other"] == other and data["preferences"] == {"theme": "dark"}
    assert data["mcpServers"]["repolens"] == first["config"]["mcpServers"]["repolens"]
    assert "secret" not in json.dumps(first)  # other servers' settings are never echoed

    assert cli_json(*args)["action"] == "unchanged"
    updated = cli_json(*args, "--no-watch")
    assert updated["action"] == "updated"
    assert "--watch" not in json.loads(path.read_text())["mcpServers"]["repolens"]["args"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mcp.json"]  # no temporary files left
    assert path.stat().st_mode & 0o777 == 0o600  # the file keeps its permissions


def test_vscode_write_keeps_other_inputs_and_never_the_token(tmp_path: Path) -> None:
    path = tmp_path / ".vscode" / "mcp.json"
    path.parent.mkdir()
    mine = {"type": "promptString", "id": "github-token", "password": True}
    document = {"inputs": [mine], "servers": {"github": {"type": "http", "url": "https://x"}}}
    path.write_text("\ufeff" + json.dumps(document), encoding="utf-8")  # with a byte-order mark, as Notepad saves
    for _ in range(2):  # twice: the input is replaced, not repeated
        out = cli_json("--client", "vscode", "--repo", str(tmp_path), "--http", "127.0.0.1:8765", "--write",
                       env={TOKEN_ENV: TOKEN})
    text = path.read_text()
    assert TOKEN not in text
    data = json.loads(text)
    assert out["path"] == str(path)
    assert [i["id"] for i in data["inputs"]] == ["github-token", "repolens-token"]
    assert set(data["servers"]) == {"github", "repolens"}
    assert data["servers"]["repolens"]["headers"] == {"Authorization": "Bearer ${input:repolens-token}"}


def test_invalid_json_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    broken = '{\n  // my servers\n  "mcpServers": {}\n}\n'
    path.write_text(broken)
    result = cli("--client", "claude-code", "--repo", str(tmp_path), "--write")
    assert result.exit_code == 1
    assert f"{path} is not valid JSON (line 2" in result.output and "left unchanged" in result.output
    assert path.read_text() == broken
    as_json = cli("--client", "claude-code", "--repo", str(tmp_path), "--write", "--json")
    assert as_json.exit_code == 1 and "not valid JSON" in json.loads(as_json.stdout)["error"]
    path.write_text('{"mcpServers": ["not", "an", "object"]}')
    assert "is not an object" in cli("--client", "claude-code", "--repo", str(tmp_path), "--write").output


CODEX_BEFORE = '''\
# my Codex settings
model = "o4-mini"

[mcp_servers.other]
command = "other-server"  # keep me

[mcp_servers.repolens]
command = "/old/repolens"
args = ["serve"]

[mcp_servers.repolens.env]
OLD = "1"

[profiles.fast]
model = "o4-mini"
'''


def test_codex_write_replaces_only_its_own_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CODEX_BEFORE)
    spec = stdio_spec([tmp_path], command=["/abs/repolens"])
    path_out, action = install(client_config("codex", spec, tmp_path), path)
    text = path.read_text()
    data = tomllib.loads(text)
    assert (path_out, action) == (path, "updated")
    assert data["mcp_servers"]["repolens"] == {"command": "/abs/repolens",
                                               "args": ["serve", "--repo", str(tmp_path), "--watch"]}
    assert data["mcp_servers"]["other"] == {"command": "other-server"}
    assert data["profiles"] == {"fast": {"model": "o4-mini"}} and data["model"] == "o4-mini"
    assert "# my Codex settings" in text and "# keep me" in text and "OLD" not in text
    assert install(client_config("codex", spec, tmp_path), path) == (path, "unchanged")


def test_codex_refuses_invalid_or_inline_toml(tmp_path: Path) -> None:
    config = client_config("codex", stdio_spec([tmp_path], command=["/abs/repolens"]), tmp_path)
    path = tmp_path / "config.toml"
    for text, message in [('model = "unterminated\n', "not valid TOML"),
                          ('mcp_servers = { repolens = { command = "x" } }\n', "inline")]:
        path.write_text(text)
        with pytest.raises(McpConfigError, match=message):
            install(config, path)
        assert path.read_text() == text


def test_toml_strings_are_escaped(tmp_path: Path) -> None:
    odd = tmp_path / 'we"ird\\name\tdir'
    odd.mkdir()
    config = client_config("codex", stdio_spec([odd], command=["/abs/repolens"]), odd)
    assert tomllib.loads(config.text)["mcp_servers"]["repolens"]["args"][2] == str(odd)


def test_write_follows_a_symlinked_config(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "mcp.json"
    link.symlink_to(real)
    install(client_config("cursor", stdio_spec([tmp_path], command=["/abs/repolens"]), tmp_path), link)
    assert link.is_symlink() and "repolens" in json.loads(real.read_text())["mcpServers"]


def test_generic_has_no_usual_file(tmp_path: Path) -> None:
    result = cli("--client", "generic", "--repo", str(tmp_path), "--write")
    assert result.exit_code == 1 and "--path" in result.output
    assert cli_json("--client", "generic", "--repo", str(tmp_path))["path"] is None


def test_usual_files_per_client_and_platform(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    paths = {c: default_path(c, project, home=home, platform="linux", environ={}) for c in CLIENTS}
    assert paths == {
        "claude-code": project / ".mcp.json",
        "claude-desktop": home / ".config" / "Claude" / "claude_desktop_config.json",
        "vscode": project / ".vscode" / "mcp.json",
        "cursor": project / ".cursor" / "mcp.json",
        "windsurf": home / ".codeium" / "windsurf" / "mcp_config.json",
        "codex": home / ".codex" / "config.toml",
        "generic": None,
    }
    desktop = {"darwin": home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json",
               "win32": tmp_path / "AppData" / "Claude" / "claude_desktop_config.json"}
    for platform, expected in desktop.items():
        got = default_path("claude-desktop", project, home=home, platform=platform,
                           environ={"APPDATA": str(tmp_path / "AppData")})
        assert got == expected
    assert default_path("codex", project, home=home, environ={"CODEX_HOME": str(tmp_path / "cx")}) == \
        tmp_path / "cx" / "config.toml"


def test_an_unindexed_repository_is_pointed_out(tmp_path: Path) -> None:
    result = cli("--client", "cursor", "--repo", str(tmp_path))
    assert result.exit_code == 0 and f"run `repolens index {tmp_path}` first" in result.stderr


def test_the_readme_shows_what_the_commands_print() -> None:
    """The README's configurations are this module's output for a repository at /home/me/app
    (repolens installed in its .venv); it lists every tool and every other command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    app = Path("/home/me/app")
    spec = stdio_spec([app], command=[str(app / ".venv" / "bin" / "repolens")])
    for client in ("claude-code", "vscode", "codex"):
        assert client_config(client, spec, app).text.strip() in readme, client
    assert client_config("claude-code", spec, app).notes[0] in readme
    assert "repolens index .\nrepolens mcp-config --client claude-code --write\n" in readme
    tools = (*RepolensTools.READ_ONLY, *RepolensTools.WRITING)
    assert len(tools) == 18 and all(f"- `{tool}(" in readme for tool in tools)
    others = set(main.list_commands(click.Context(main))) - {tool.replace("_", "-") for tool in tools}
    assert others and all(f"repolens {command}" in readme for command in others), others
