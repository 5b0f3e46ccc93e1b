"""Which webhook URLs are allowed: http(s) only, and a host on the allow-list (or public when the list is empty)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class WebhookUrlPolicy:
    """Check webhook URLs against ``allowlist`` (host names, ``*.suffix`` patterns, IPs, CIDR ranges).

    >>> WebhookUrlPolicy(["127.0.0.1"]).check("http://127.0.0.1:9000/hook") is None
    True
    """

    def __init__(self, allowlist: list[str]) -> None:
        self.allowlist = [entry.strip().lower() for entry in allowlist if entry.strip()]

    def check(self, url: str, *, resolve: bool = False) -> str | None:
        """Why ``url`` is refused, in Chinese; None when allowed. ``resolve`` also checks the resolved addresses."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return f"Webhook 地址“{url}”不是有效的 URL"
        if parts.scheme not in ("http", "https"):
            return f"Webhook 地址只支持 http 或 https，不支持“{parts.scheme or '（无协议）'}”"
        host = (parts.hostname or "").lower()
        if not host:
            return "Webhook 地址缺少主机名"
        if parts.username or parts.password:
            return "Webhook 地址不能包含用户名或密码"
        del port
        if self.allowlist:
            if not self._allowed(host):
                return f"Webhook 主机“{host}”不在允许列表中（设置项 webhook_allowlist）"
            return None
        addresses = [host]
        if resolve:
            try:
                addresses = [info[4][0] for info in socket.getaddrinfo(host, None)]
            except OSError:
                return f"Webhook 主机“{host}”无法解析"
        for address in addresses:
            if address == "localhost" or address.endswith(".localhost"):
                return f"Webhook 主机“{host}”指向本机，不允许（可在 webhook_allowlist 中放行）"
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
                return f"Webhook 主机“{host}”是内网或保留地址，不允许（可在 webhook_allowlist 中放行）"
        return None

    def _allowed(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        for entry in self.allowlist:
            if entry.startswith("*.") and host.endswith(entry[1:]):
                return True
            if host == entry:
                return True
            if ip is not None and "/" in entry:
                try:
                    if ip in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False
