"""``xcapki browser install/uninstall`` against a temporary home, for Linux and macOS."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
from pathlib import Path

import pytest

from xcapki.cli.main import run
from xcapki.nativehost.install import (
    CHROMIUM_EXTENSION_ID,
    FIREFOX_EXTENSION_ID,
    Browser,
    InstallScope,
    install,
    uninstall,
)

EXPECTED = {
    ("linux", InstallScope.USER, Browser.CHROMIUM): ".config/chromium/NativeMessagingHosts",
    ("linux", InstallScope.USER, Browser.CHROME): ".config/google-chrome/NativeMessagingHosts",
    ("linux", InstallScope.USER, Browser.FIREFOX): ".mozilla/native-messaging-hosts",
    ("linux", InstallScope.SYSTEM, Browser.CHROMIUM): "etc/chromium/native-messaging-hosts",
    ("linux", InstallScope.SYSTEM, Browser.CHROME): "etc/opt/chrome/native-messaging-hosts",
    ("linux", InstallScope.SYSTEM, Browser.FIREFOX): "usr/lib/mozilla/native-messaging-hosts",
    ("darwin", InstallScope.USER, Browser.CHROMIUM):
        "Library/Application Support/Chromium/NativeMessagingHosts",
    ("darwin", InstallScope.USER, Browser.CHROME):
        "Library/Application Support/Google/Chrome/NativeMessagingHosts",
    ("darwin", InstallScope.USER, Browser.FIREFOX):
        "Library/Application Support/Mozilla/NativeMessagingHosts",
    ("darwin", InstallScope.SYSTEM, Browser.CHROMIUM):
        "Library/Application Support/Chromium/NativeMessagingHosts",
    ("darwin", InstallScope.SYSTEM, Browser.CHROME): "Library/Google/Chrome/NativeMessagingHosts",
    ("darwin", InstallScope.SYSTEM, Browser.FIREFOX):
        "Library/Application Support/Mozilla/NativeMessagingHosts",
}  # fmt: skip


@pytest.mark.parametrize(("platform", "scope", "browser"), sorted(EXPECTED, key=str))
def test_manifests_go_where_each_browser_looks(
    tmp_path: Path, platform: str, scope: InstallScope, browser: Browser
) -> None:
    written = install([browser], scope=scope, home=tmp_path, platform=platform)
    manifest = tmp_path / EXPECTED[(platform, scope, browser)] / "tw.xcapki.native_host.json"
    assert [f.path for f in written if f.browser is browser] == [manifest]
    document = json.loads(manifest.read_text())
    assert document["name"] == "tw.xcapki.native_host"
    assert document["type"] == "stdio"
    launcher = Path(document["path"])
    assert launcher.is_absolute()
    assert launcher.stat().st_mode & 0o111
    if browser is Browser.FIREFOX:
        assert document["allowed_extensions"] == [FIREFOX_EXTENSION_ID]
    else:
        assert document["allowed_origins"] == [f"chrome-extension://{CHROMIUM_EXTENSION_ID}/"]
    removed = uninstall([browser], scope=scope, home=tmp_path, platform=platform)
    assert {f.path for f in removed} == {manifest, launcher}
    assert not manifest.exists()
    assert not launcher.exists()


def test_the_launcher_starts_the_host(tmp_path: Path) -> None:
    install([Browser.CHROMIUM], home=tmp_path, platform="linux", host_options=["--timeout", "9"])
    launcher = tmp_path / ".local/share/xcapki/xcapki-native-host"
    answer = subprocess.run(
        [str(launcher), "chrome-extension://x/"], input=b"", capture_output=True, check=True
    )
    assert answer.stdout[4:] == b'{"version":"2.9.0"}'


def test_chromium_profile_directory(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    install([Browser.CHROMIUM, Browser.FIREFOX], home=tmp_path, user_data_dir=profile)
    assert (profile / "NativeMessagingHosts" / "tw.xcapki.native_host.json").exists()
    assert (tmp_path / ".mozilla/native-messaging-hosts/tw.xcapki.native_host.json").exists()


def test_windows_is_refused_with_a_remedy(tmp_path: Path) -> None:
    from xcapki.nativehost.errors import NativeHostError

    with pytest.raises(NativeHostError, match="registry"):
        install([Browser.CHROME], home=tmp_path, platform="win32")


def test_the_cli_in_both_languages(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(["browser", "install", "--home", str(tmp_path), "--firefox"], stdout=out, stderr=err)
    assert code == 0
    assert "Wrote the firefox file" in out.getvalue()
    out = io.StringIO()
    code = run(
        ["--lang", "zh-TW", "browser", "uninstall", "--home", str(tmp_path), "--firefox"],
        stdout=out,
        stderr=err,
    )
    assert code == 0
    assert "已移除 firefox 檔案" in out.getvalue()
    out = io.StringIO()
    run(["browser", "uninstall", "--home", str(tmp_path)], stdout=out, stderr=err)
    assert "Nothing to remove" in out.getvalue()


EXTENSION_MANIFEST = Path(__file__).resolve().parents[2] / "extension" / "manifest.json"


def test_the_extension_manifest_serves_chromium_and_firefox() -> None:
    """The ids the host manifests admit are the extension's own: Chromium's derived from the
    public key (SHA-256, first 32 hex digits spelt a-p), Firefox's the gecko id. Firefox MV3
    runs background scripts (no service worker) and places MAIN-world scripts from 128 on."""
    manifest = json.loads(EXTENSION_MANIFEST.read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 3
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    assert "".join(chr(ord("a") + int(d, 16)) for d in digest) == CHROMIUM_EXTENSION_ID
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert gecko["id"] == FIREFOX_EXTENSION_ID
    assert int(gecko["strict_min_version"].split(".")[0]) >= 128
    assert manifest["background"]["scripts"] == [manifest["background"]["service_worker"]]
    assert "nativeMessaging" in manifest["permissions"]


def test_firefox_on_macos_gets_allowed_extensions(tmp_path: Path) -> None:
    written = install([Browser.FIREFOX], home=tmp_path, platform="darwin")
    manifest = tmp_path / "Library/Application Support/Mozilla/NativeMessagingHosts"
    target = manifest / "tw.xcapki.native_host.json"
    assert [item.path for item in written][1:] == [target]
    document = json.loads(target.read_text())
    assert document["allowed_extensions"] == [FIREFOX_EXTENSION_ID]
    assert "allowed_origins" not in document
    assert Path(document["path"]).is_file()
